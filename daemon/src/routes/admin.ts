// /api/admin: users, quotas, storage and usage, the audit log, reconciliation. Admins only.
import { Hono, type Context } from 'hono';
import type { AdminUser, AdminUsersResponse, DeletedUserResponse, StorageReport } from '../api-types.js';
import { HttpError, badRequest, conflict, forbidden } from '../errors.js';
import { clientIp, readJson, type AppEnv } from '../http.js';
import { canAdminister } from '../policy/policy.js';
import { checkQuota, checkRole, normaliseUsername } from '../services/accounts.js';
import type { UserRow } from '../db/queries/users.js';
import type { Deps } from '../app.js';

export function adminRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { accounts, audit, drive, reconciler, db } = deps;

  app.use('/*', async (c, next) => {
    if (!canAdminister(c.get('user'))) throw forbidden('Only administrators may do this.');
    await next();
  });

  const usage = () => new Map(drive.files.usageByOwner().map((u) => [u.owner, u]));
  const userJson = (u: UserRow, use = usage()) => ({
    username: u.username,
    role: u.role,
    disabled: u.disabled === 1,
    quotaBytes: u.quota_bytes,
    usedBytes: use.get(u.username)?.bytes ?? 0,
    files: use.get(u.username)?.files ?? 0,
    createdAt: new Date(u.created_at).toISOString(),
    deletedAt: u.deleted_at === null ? null : new Date(u.deleted_at).toISOString(),
  }) satisfies AdminUser;
  const who = (c: Context<AppEnv>) => ({ actor: c.get('user').username, ip: clientIp(c) });

  app.get('/users', (c) => {
    const use = usage();
    const all = accounts.users.all();
    const rows = c.req.query('deleted') === '1' ? all : all.filter((u) => u.deleted_at === null);
    return c.json({ users: rows.map((u) => userJson(u, use)) } satisfies AdminUsersResponse);
  });

  app.post('/users', async (c) => {
    const body = await readJson(c);
    const row = await accounts.createUser({ username: body.username, password: body.password, role: body.role ?? 'user', quotaBytes: body.quotaBytes ?? body.quota });
    audit.record({ ...who(c), action: 'user_create', target: `user:${row.username}`, detail: { role: row.role, quotaBytes: row.quota_bytes } });
    return c.json(userJson(row), 201);
  });

  /** Would this change leave the device without an active administrator? */
  const keepsAnAdmin = (u: UserRow) => u.role !== 'admin' || u.disabled === 1 || accounts.users.countActiveAdmins() > 1;

  app.patch('/users/:name', async (c) => {
    const u = accounts.getActive(normaliseUsername(c.req.param('name')));
    const body = await readJson(c);
    const changes: Record<string, unknown> = {};
    const fields: Parameters<typeof accounts.users.update>[1] = {};
    if (body.role !== undefined) fields.role = checkRole(body.role);
    if (body.disabled !== undefined) {
      if (typeof body.disabled !== 'boolean') throw badRequest('bad_request', '"disabled" is true or false.');
      fields.disabled = body.disabled ? 1 : 0;
    }
    const quota = body.quotaBytes !== undefined ? body.quotaBytes : body.quota;
    if (quota !== undefined) fields.quota_bytes = checkQuota(quota);
    const demotes = (fields.role !== undefined && fields.role !== 'admin') || fields.disabled === 1;
    if (demotes && !keepsAnAdmin(u)) throw conflict('last_admin', 'This is the last active administrator: make another one first.');
    if (body.password !== undefined) {
      await accounts.setPassword(u, body.password);
      changes.password = 'reset';
    }
    db.transaction(() => {
      accounts.users.update(u.id, fields, deps.clock.now());
      // A disabled account is logged out everywhere at once.
      if (fields.disabled === 1) accounts.sessions.deleteForUser(u.id);
    })();
    Object.assign(changes, body.role !== undefined ? { role: fields.role } : {}, body.disabled !== undefined ? { disabled: body.disabled } : {}, quota !== undefined ? { quotaBytes: fields.quota_bytes } : {});
    if (Object.keys(changes).length === 0) throw badRequest('bad_request', 'Nothing to change: send role, password, disabled or quotaBytes.');
    audit.record({ ...who(c), action: 'user_update', target: `user:${u.username}`, detail: changes });
    return c.json(userJson(accounts.users.byId(u.id)!));
  });

  app.delete('/users/:name', (c) => {
    const u = accounts.getActive(normaliseUsername(c.req.param('name')));
    if (!keepsAnAdmin(u)) throw conflict('last_admin', 'This is the last active administrator: make another one first.');
    db.transaction(() => {
      // Soft delete: the account ends, its name stays reserved, its container stays for the admin.
      accounts.users.update(u.id, { deleted_at: deps.clock.now(), disabled: 1 }, deps.clock.now());
      accounts.sessions.deleteForUser(u.id);
    })();
    audit.record({ ...who(c), action: 'user_delete', target: `user:${u.username}` });
    return c.json({ username: u.username, deleted: true, container: `users/${u.username}` } satisfies DeletedUserResponse);
  });

  app.get('/storage', async (c) => {
    const use = usage();
    let disk: { total: number; free: number } | null = null;
    try {
      disk = drive.store.available() ? await drive.store.freeBytes() : null;
    } catch {
      disk = null;
    }
    return c.json({
      storage: drive.store.storageState(),
      disk: disk && { totalBytes: disk.total, freeBytes: disk.free, usedBytes: disk.total - disk.free },
      spaces: drive.files.usageBySpace().map((s) => ({ space: s.space, bytes: s.bytes, files: s.files, folders: s.dirs })),
      users: accounts.users.all().map((u) => ({ username: u.username, bytes: use.get(u.username)?.bytes ?? 0, files: use.get(u.username)?.files ?? 0, quotaBytes: u.quota_bytes, deleted: u.deleted_at !== null })),
      unownedBytes: use.get(null)?.bytes ?? 0,
      trash: drive.trash.totals(),
      missing: drive.files.missing().map((r) => ({ space: r.space, path: '/' + r.path, since: new Date(r.missing_since!).toISOString() })),
    } satisfies StorageReport);
  });

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
    const { actor, ip } = who(c);
    return c.json(await reconciler.reconcile(actor, ip));
  });

  return app;
}
