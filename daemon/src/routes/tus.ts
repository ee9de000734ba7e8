// /api/tus: resumable uploads (tus 1.0) for authenticated users; see services/transfers.ts.
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../http.js';
import type { Deps } from '../deps.js';

export function tusRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const handle = (c: Context<AppEnv>) => deps.transfers.handle(c.req.raw, c.var.caller);
  app.all('/', handle);
  app.all('/*', handle);
  return app;
}
