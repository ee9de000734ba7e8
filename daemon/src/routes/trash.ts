// /api/trash: list what the caller may see, restore, purge one or all.
import { Hono, type Context } from 'hono';
import type { OkResponse, PurgeAllResponse } from '../api-types.js';
import { badRequest } from '../errors.js';
import { readJson, type AppEnv } from '../http.js';
import { parsePathString } from '../storage/paths.js';
import type { Deps } from '../deps.js';

export function trashRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { trash } = deps;
  const id = (c: Context<AppEnv>) => {
    const raw = c.req.param('id') ?? '';
    if (!/^\d{1,15}$/.test(raw)) throw badRequest('bad_request', 'A trash item id is a number.');
    return Number(raw);
  };

  app.get('/', (c) => c.json(trash.list(c.var.caller)));
  app.post('/:id/restore', async (c) => {
    const body = await readJson(c);
    const to = body.to === undefined ? undefined : parsePathString(body.to);
    return c.json(await trash.restore(c.var.caller, id(c), to));
  });
  app.delete('/:id', async (c) => {
    await trash.purge(c.var.caller, id(c));
    return c.json({ ok: true } satisfies OkResponse);
  });
  app.delete('/', async (c) => c.json({ purged: await trash.purgeAll(c.var.caller) } satisfies PurgeAllResponse));
  return app;
}
