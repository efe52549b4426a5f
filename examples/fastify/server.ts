import { main } from '../shared/main.js';
import { listener } from './app.js';

await main('Fastify', listener);
