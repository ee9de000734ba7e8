// /api/tus: resumable uploads (tus 1.0) for authenticated users, and for guests of a drop-box link
// (header X-HCD-Link: the link's secret); see services/transfers.ts.
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../http.js';
import type { Deps } from '../deps.js';
import { requireAuth } from './auth.js';
import { guestTus } from './links.js';

export function tusRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const auth = requireAuth(deps);
  app.use('*', (c, next) => (c.req.header('x-hcd-link') ? next() : auth(c, next)));
  const handle = (c: Context<AppEnv>) => {
    const link = c.req.header('x-hcd-link');
    return link ? guestTus(deps, c, link) : deps.transfers.handle(c.req.raw, c.var.caller);
  };
  app.all('/', handle);
  app.all('/*', handle);
  return app;
}
