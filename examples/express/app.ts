import type { Server } from 'node:http';
import express from 'express';
import { webhookHandler } from 'stripe-marketplace/express';
import type { Listener } from '../shared/main.js';
import { pages, type RouteDeps } from '../shared/routes.js';

/** The example marketplace as an Express app. Every page's logic lives in ../shared/routes.ts. */
export function createApp(deps: RouteDeps): express.Express {
  const app = express();

  // The webhook route reads the raw bytes itself, so it works even with express.json() mounted for the whole app.
  app.post('/webhooks/stripe', webhookHandler(deps.market));
  app.use(express.json());
  app.use(express.urlencoded({ extended: false }));

  for (const page of pages(deps)) {
    const route = page.method === 'GET' ? app.get.bind(app) : app.post.bind(app);
    route(page.path, async (req, res) => {
      const reply = await page.run(req.params as Record<string, string>, req.body ?? {}, {
        cookie: req.headers.cookie,
        url: req.originalUrl,
      });
      if (reply.cookie) res.setHeader('set-cookie', reply.cookie);
      if ('redirect' in reply) res.redirect(303, reply.redirect);
      else if ('json' in reply) res.status(reply.status).setHeader('cache-control', 'no-store').json(reply.json);
      else res.status(reply.status).type('html').send(reply.html);
    });
  }
  return app;
}

export function listener(deps: RouteDeps): Listener {
  const app = createApp(deps);
  let server: Server | undefined;
  return {
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        const started = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(started)));
        server = started;
      }),
    close: () => new Promise((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}
