import type { Server } from 'node:http';
import { main } from '../shared/main.js';
import { createApp } from './app.js';

await main('express', (deps) => {
  const app = createApp(deps);
  let server: Server | undefined;
  return {
    listen: (port) =>
      new Promise((resolve) => {
        server = app.listen(port, () => resolve(server as Server));
      }),
    close: () => new Promise((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
});
