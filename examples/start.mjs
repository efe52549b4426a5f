/**
 * `npm run example:express` / `npm run example:fastify`: runs an example's TypeScript with tsx's loader registered in
 * this process. The tsx command line would start a second Node process to do the same, which costs a few hundred
 * milliseconds of every start. `tsconfig.json` here maps each `stripe-marketplace` import to the library's sources.
 */
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const name = process.argv[2];
if (name !== 'express' && name !== 'fastify') {
  process.stderr.write('usage: node examples/start.mjs express|fastify\n');
  process.exit(2);
}
register({ tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)) });
await import(`./${name}/server.ts`);
