import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { stripeWebhooks } from 'stripe-marketplace/fastify';
import { createRoutes, errorReply, type Reply, type RouteDeps } from '../shared/routes.js';

/** The example marketplace as a Fastify app. Every page's logic lives in ../shared/routes.ts. */
export function createApp(deps: RouteDeps): FastifyInstance {
  const app = Fastify();
  const routes = createRoutes(deps);

  // The plugin parses its own route's body as raw bytes; the rest of the app keeps Fastify's JSON parser.
  app.register(stripeWebhooks, { marketplace: deps.market, path: '/webhooks/stripe' });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  const send = (reply: FastifyReply, result: Reply) =>
    'redirect' in result ? reply.redirect(result.redirect, 303) : reply.code(result.status).type('text/html').send(result.html);
  type Req = FastifyRequest<{ Params: Record<string, string>; Body: Record<string, string> | undefined }>;
  const page = (handler: (req: Req) => Promise<Reply>) => async (req: Req, reply: FastifyReply) => {
    try {
      return send(reply, await handler(req));
    } catch (error) {
      return send(reply, errorReply(error));
    }
  };

  app.get(
    '/',
    page(() => routes.home()),
  );
  app.get(
    '/vendors/new',
    page(() => routes.signupForm()),
  );
  app.post(
    '/vendors',
    page((req) => routes.signup(req.body ?? {})),
  );
  app.get(
    '/vendors/:vendorId/onboard',
    page((req) => routes.onboard(req.params.vendorId!)),
  );
  app.get(
    '/vendors/:vendorId/refresh',
    page((req) => routes.refresh(req.params.vendorId!)),
  );
  app.get(
    '/vendors/:vendorId/return',
    page((req) => routes.vendorReturn(req.params.vendorId!)),
  );
  app.get(
    '/shop',
    page(() => routes.shop()),
  );
  app.post(
    '/orders',
    page((req) => routes.buy(req.body ?? {})),
  );
  app.get(
    '/orders/:orderId',
    page((req) => routes.order(req.params.orderId!)),
  );
  app.get(
    '/platform',
    page(() => routes.platform()),
  );
  return app;
}
