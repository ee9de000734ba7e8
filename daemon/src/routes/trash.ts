// /api/trash: list what the caller may see, restore, purge one or all.
import { Hono, type Context } from 'hono';
import type { OkResponse, PurgeAllResponse } from '../api-types.js';
import { badRequest } from '../errors.js';
import { clientIp, readJson, type AppEnv } from '../http.js';
import { parsePathString } from '../storage/paths.js';
import type { Deps } from '../app.js';

export function trashRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { drive } = deps;
  const ctx = (c: Context<AppEnv>) => ({ actor: c.get('user'), ip: clientIp(c) });
  const id = (c: Context<AppEnv>) => {
    const raw = c.req.param('id') ?? '';
    if (!/^\d{1,15}$/.test(raw)) throw badRequest('bad_request', 'A trash item id is a number.');
    return Number(raw);
  };

  app.get('/', (c) => c.json(drive.trashList(ctx(c))));
  app.post('/:id/restore', async (c) => {
    const body = await readJson(c);
    const to = body.to === undefined ? undefined : parsePathString(body.to);
    return c.json(await drive.restore(ctx(c), id(c), to));
  });
  app.delete('/:id', async (c) => {
    await drive.purge(ctx(c), id(c));
    return c.json({ ok: true } satisfies OkResponse);
  });
  app.delete('/', async (c) => c.json({ purged: await drive.purgeAll(ctx(c)) } satisfies PurgeAllResponse));
  return app;
}
