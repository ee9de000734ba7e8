// /api/admin: groups (a class, a team), accounts in bulk (preview, then create with passwords and login
// cards), bulk actions on a selection or a group, and the network details printed on cards. Admins only.
import { Hono } from 'hono';
import { z } from 'zod';
import { BULK_ACTIONS, ROLES, type DeletedGroupResponse, type GroupsResponse } from '../api-types.js';
import { badRequest } from '../errors.js';
import { readJson, type AppEnv } from '../http.js';
import type { Deps } from '../deps.js';
import { MAX_IMPORT } from '../services/roster.js';
import { adminOnly } from './auth.js';

/** A pasted export of a whole school year, with its many columns, still fits. */
const IMPORT_JSON_LIMIT = 512 * 1024;

const role = z.enum(ROLES);
const usernames = z.array(z.string()).min(1).max(1000);

const previewBody = z.union([
  z.object({ text: z.string().max(IMPORT_JSON_LIMIT), role: role.default('user'), group: z.string().optional() }),
  z.object({
    generate: z.object({ count: z.number().int().min(1).max(MAX_IMPORT), prefix: z.string().min(1).max(40) }),
    role: role.default('user'),
    group: z.string().optional(),
  }),
]);

const createBody = z.object({
  accounts: z
    .array(
      z.object({
        username: z.string(),
        name: z.string().nullable().optional(),
        role: role.nullable().optional(),
        group: z.string().nullable().optional(),
        line: z.number().int().optional(),
      }),
    )
    .max(MAX_IMPORT),
});

const bulkBody = z.object({
  action: z.enum(BULK_ACTIONS),
  usernames: usernames.optional(),
  group: z.number().int().optional(),
  role: role.optional(),
});

const groupPatch = z.object({ name: z.string().optional(), add: z.array(z.string()).max(1000).optional(), remove: z.array(z.string()).max(1000).optional() });

/** A zod failure in words: the first problem and where it is. */
function invalidBody(err: z.ZodError, hint: string) {
  const first = err.issues[0];
  const where = first && first.path.length ? ` (at ${first.path.join('.')})` : '';
  return badRequest('bad_request', `${first?.message ?? 'Invalid body'}${where}. ${hint}`);
}

export function groupRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { groups, bulkAccounts, cards } = deps;
  app.use('/*', adminOnly);

  const groupId = (raw: string) => {
    if (!/^\d{1,15}$/.test(raw)) throw badRequest('bad_request', 'A group is named by its id (a whole number).');
    return Number(raw);
  };

  app.get('/groups', (c) => c.json({ groups: groups.list() } satisfies GroupsResponse));

  app.post('/groups', async (c) => {
    const body = await readJson(c);
    return c.json(groups.create(c.var.caller, body.name), 201);
  });

  app.patch('/groups/:id', async (c) => {
    const id = groupId(c.req.param('id'));
    const parsed = groupPatch.safeParse(await readJson(c));
    if (!parsed.success) throw invalidBody(parsed.error, 'Send {"name"?, "add"?: [usernames], "remove"?: [usernames]}.');
    return c.json(groups.update(c.var.caller, id, parsed.data));
  });

  app.delete('/groups/:id', (c) => {
    const id = groupId(c.req.param('id'));
    groups.delete(c.var.caller, id);
    return c.json({ id, deleted: true } satisfies DeletedGroupResponse);
  });

  app.post('/users/import/preview', async (c) => {
    const parsed = previewBody.safeParse(await readJson(c, IMPORT_JSON_LIMIT));
    if (!parsed.success) throw invalidBody(parsed.error, 'Send {"text", "role"?, "group"?} or {"generate": {"count", "prefix"}, "role"?, "group"?}.');
    return c.json(bulkAccounts.preview(parsed.data));
  });

  app.post('/users/import', async (c) => {
    const parsed = createBody.safeParse(await readJson(c, IMPORT_JSON_LIMIT));
    if (!parsed.success) throw invalidBody(parsed.error, 'Send {"accounts": [{"username", "name"?, "role"?, "group"?}]}: the lines of a preview.');
    const r = await bulkAccounts.create(c.var.caller, parsed.data);
    // Passwords and card secrets: shown once, never kept by a cache.
    return c.json(r, 201, { 'Cache-Control': 'no-store' });
  });

  app.post('/users/bulk', async (c) => {
    const parsed = bulkBody.safeParse(await readJson(c));
    if (!parsed.success)
      throw invalidBody(parsed.error, `Send {"action": ${BULK_ACTIONS.join('|')}, "usernames": [...] or "group": <id>, "role"? (set_role)}.`);
    return c.json(await bulkAccounts.bulk(c.var.caller, parsed.data), 200, { 'Cache-Control': 'no-store' });
  });

  app.get('/cards/network', async (c) => c.json(await cards.network(), 200, { 'Cache-Control': 'no-store' }));

  return app;
}
