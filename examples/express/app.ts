import express from 'express';
import { webhookHandler } from 'stripe-marketplace/express';
import { createRoutes, errorReply, type Reply, type RouteDeps } from '../shared/routes.js';

/** The example marketplace as an Express app. Every page's logic lives in ../shared/routes.ts. */
export function createApp(deps: RouteDeps): express.Express {
  const app = express();
  const routes = createRoutes(deps);

  // The webhook route reads the raw bytes itself, so it works even with express.json() mounted for the whole app.
  app.post('/webhooks/stripe', webhookHandler(deps.market));
  app.use(express.json());
  app.use(express.urlencoded({ extended: false }));

  const send = (res: express.Response, reply: Reply) =>
    'redirect' in reply ? res.redirect(303, reply.redirect) : res.status(reply.status).type('html').send(reply.html);
  const page = (handler: (req: express.Request) => Promise<Reply>) => (req: express.Request, res: express.Response) =>
    handler(req).then(
      (reply) => send(res, reply),
      (error) => send(res, errorReply(error)),
    );
  const param = (req: express.Request, name: string) => String(req.params[name]);

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
    page((req) => routes.onboard(param(req, 'vendorId'))),
  );
  app.get(
    '/vendors/:vendorId/refresh',
    page((req) => routes.refresh(param(req, 'vendorId'))),
  );
  app.get(
    '/vendors/:vendorId/return',
    page((req) => routes.vendorReturn(param(req, 'vendorId'))),
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
    page((req) => routes.order(param(req, 'orderId'))),
  );
  app.get(
    '/platform',
    page(() => routes.platform()),
  );
  return app;
}
