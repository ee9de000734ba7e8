// /api/auth/app-passwords: per-device passwords for file managers (WebDAV), made and revoked by their
// account; the secret is shown once, at creation.
import { Hono } from 'hono';
import { badRequest } from '../errors.js';
import { readJson, type AppEnv } from '../http.js';
import type { Deps } from '../deps.js';

export function appPasswordRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { davAuth } = deps;
  app.get('/', (c) => c.json({ items: davAuth.listAppPasswords(c.var.caller.actor.id) }));
  app.post('/', async (c) => {
    const body = await readJson(c);
    return c.json(davAuth.createAppPassword(c.var.caller.actor.id, body.label), 201);
  });
  app.delete('/:id', (c) => {
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id)) throw badRequest('bad_request', 'An app password is named by its number.');
    davAuth.revokeAppPassword(c.var.caller.actor.id, id);
    return c.json({ ok: true });
  });
  return app;
}
