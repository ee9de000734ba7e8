// /api/admin: users, quotas, storage and usage, the audit log, reconciliation. Admins only. (Groups, accounts in bulk
// and login cards: routes/groups.ts.)
import { Hono } from 'hono';
import type { AdminUser, AdminUsersResponse, DeletedUserResponse } from '../api-types.js';
import { HttpError, badRequest } from '../errors.js';
import { readJson, type AppEnv } from '../http.js';
import type { UserRow } from '../db/queries/users.js';
import type { Deps } from '../deps.js';
import { adminOnly } from './auth.js';

export function adminRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { accounts, audit, drive, reconciler, groups, cards } = deps;
  app.use('/*', adminOnly);

  const usage = () => new Map(drive.files.usageByOwner().map((u) => [u.owner, u]));
  const facts = () => ({ use: usage(), groupsOf: groups.q.membershipsByUser(), carded: cards.q.activeUserIds() });
  const userJson = (u: UserRow, { use, groupsOf, carded } = facts()) =>
    ({
      username: u.username,
      displayName: u.display_name,
      role: u.role,
      disabled: u.disabled === 1,
      groups: groupsOf.get(u.id) ?? [],
      card: carded.has(u.id),
      quotaBytes: u.quota_bytes,
      usedBytes: use.get(u.username)?.bytes ?? 0,
      files: use.get(u.username)?.files ?? 0,
      createdAt: new Date(u.created_at).toISOString(),
      deletedAt: u.deleted_at === null ? null : new Date(u.deleted_at).toISOString(),
    }) satisfies AdminUser;

  app.get('/users', (c) => {
    const f = facts();
    const all = accounts.users.all();
    let rows = c.req.query('deleted') === '1' ? all : all.filter((u) => u.deleted_at === null);
    const group = c.req.query('group');
    if (group !== undefined && group !== '') {
      if (!/^\d{1,15}$/.test(group)) throw badRequest('bad_request', '"group" is a group\'s id.');
      const id = groups.get(Number(group)).id;
      rows = rows.filter((u) => f.groupsOf.get(u.id)?.some((g) => g.id === id));
    }
    return c.json({ users: rows.map((u) => userJson(u, f)) } satisfies AdminUsersResponse);
  });

  app.post('/users', async (c) => {
    const body = await readJson(c);
    const row = await accounts.createUser({
      username: body.username,
      password: body.password,
      role: body.role ?? 'user',
      quotaBytes: body.quotaBytes ?? body.quota,
    });
    audit.by(c.var.caller, 'user_create', `user:${row.username}`, { role: row.role, quotaBytes: row.quota_bytes });
    return c.json(userJson(row), 201);
  });

  app.patch('/users/:name', async (c) => {
    const { row, changes } = await accounts.updateUser(c.req.param('name'), await readJson(c));
    audit.by(c.var.caller, 'user_update', `user:${row.username}`, changes);
    return c.json(userJson(row));
  });

  app.delete('/users/:name', (c) => {
    const u = accounts.deleteUser(c.req.param('name'));
    audit.by(c.var.caller, 'user_delete', `user:${u.username}`);
    return c.json({ username: u.username, deleted: true, container: `users/${u.username}` } satisfies DeletedUserResponse);
  });

  app.get('/storage', async (c) => c.json(await drive.storageReport()));

  app.get('/audit', (c) => {
    const q = c.req.query();
    const int = (name: string, v: string | undefined, max = Number.MAX_SAFE_INTEGER) => {
      if (v === undefined || v === '') return undefined;
      if (!/^\d+$/.test(v) || Number(v) > max) throw badRequest('bad_request', `"${name}" must be a whole number.`);
      return Number(v);
    };
    const time = (name: string, v: string | undefined) => {
      if (!v) return undefined;
      const t = Date.parse(v);
      if (Number.isNaN(t)) throw badRequest('bad_request', `"${name}" must be a date (ISO 8601).`);
      return t;
    };
    return c.json(
      audit.page({
        limit: Math.max(1, int('limit', q.limit, 500) ?? 50),
        before: int('before', q.before),
        actor: q.actor || undefined,
        action: q.action || undefined,
        since: time('since', q.since),
        until: time('until', q.until),
      }),
    );
  });

  app.post('/reconcile', async (c) => {
    if (!drive.store.available()) throw new HttpError('storage_unavailable', 'The storage drive is not connected.');
    const { actor, ip } = c.var.caller;
    return c.json(await reconciler.reconcile(actor.username, ip));
  });

  return app;
}
