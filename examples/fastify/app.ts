import Fastify, { type FastifyInstance } from 'fastify';
import { stripeWebhooks } from 'stripe-marketplace/fastify';
import type { Listener } from '../shared/main.js';
import { pages, type RouteDeps } from '../shared/routes.js';

/** The example marketplace as a Fastify app. Every page's logic lives in ../shared/routes.ts. */
export function createApp(deps: RouteDeps): FastifyInstance {
  const app = Fastify();

  // The plugin parses its own route's body as raw bytes; the rest of the app keeps Fastify's JSON parser.
  app.register(stripeWebhooks, { marketplace: deps.market, path: '/webhooks/stripe' });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  for (const page of pages(deps)) {
    app.route({
      method: page.method,
      url: page.path,
      handler: async (req, reply) => {
        const result = await page.run(req.params as Record<string, string>, (req.body as Record<string, string>) ?? {}, {
          cookie: req.headers.cookie,
          url: req.url,
        });
        if (result.cookie) reply.header('set-cookie', result.cookie);
        if ('redirect' in result) return reply.redirect(result.redirect, 303);
        if ('json' in result) return reply.code(result.status).header('cache-control', 'no-store').send(result.json);
        return reply.code(result.status).type('text/html').send(result.html);
      },
    });
  }
  return app;
}

export function listener(deps: RouteDeps): Listener {
  const app = createApp(deps);
  return {
    listen: async (port, host) => {
      await app.listen({ port, host });
      return app.server;
    },
    close: () => app.close(),
  };
}
