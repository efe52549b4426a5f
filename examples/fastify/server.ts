import { main } from '../shared/main.js';
import { createApp } from './app.js';

await main('fastify', (deps) => {
  const app = createApp(deps);
  return {
    listen: async (port) => {
      await app.listen({ port, host: '0.0.0.0' });
      return app.server;
    },
    close: () => app.close(),
  };
});
