// Groups of users (a class, a team): create, rename, delete, members. Data only: what a user may do is
// still decided by their role (policy/policy.ts), never by a group.
import type { Group, GroupRef } from '../api-types.js';
import type { Db } from '../db/connection.js';
import { groupQueries, type GroupRow } from '../db/queries/groups.js';
import { userQueries, type UserRow } from '../db/queries/users.js';
import { badRequest, conflict, notFound } from '../errors.js';
import type { Ctx } from '../policy/policy.js';
import { normaliseUsername } from './accounts.js';
import type { Audit } from './audit.js';
import type { Clock } from './clock.js';
import { cleanGroupName, MAX_GROUP_CHARS } from './roster.js';

export function checkGroupName(raw: unknown): string {
  const name = cleanGroupName(raw);
  if (name === null) throw badRequest('invalid_group', `A group's name has 1 to ${MAX_GROUP_CHARS} characters.`);
  return name;
}

export class Groups {
  readonly q;
  private readonly users;

  constructor(
    private readonly db: Db,
    private readonly audit: Audit,
    private readonly clock: Clock,
  ) {
    this.q = groupQueries(db);
    this.users = userQueries(db);
  }

  list(): Group[] {
    return this.q.all().map((g) => ({ id: g.id, name: g.name, members: g.members, createdAt: new Date(g.created_at).toISOString() }));
  }

  get(id: number): GroupRow {
    const g = this.q.byId(id);
    if (!g) throw notFound(`No group ${id}.`, 'no_such_group');
    return g;
  }

  json(id: number): Group {
    const g = this.list().find((x) => x.id === id);
    if (!g) throw notFound(`No group ${id}.`, 'no_such_group');
    return g;
  }

  /** The group of this name (any case), created if there is none (inside the caller's transaction). */
  ensure(ctx: Ctx, name: string): GroupRef & { created: boolean } {
    const g = this.q.byName(name);
    if (g) return { id: g.id, name: g.name, created: false };
    const id = this.q.insert(name, this.clock.now());
    this.audit.by(ctx, 'group_create', `group:${name}`);
    return { id, name, created: true };
  }

  create(ctx: Ctx, rawName: unknown): Group {
    const name = checkGroupName(rawName);
    if (this.q.byName(name)) throw conflict('group_exists', `There is already a group "${name}".`);
    const { id } = this.ensure(ctx, name);
    return this.json(id);
  }

  /** Active users by name, all or nothing: an unknown or deleted name is a 404 naming it. */
  activeUsers(names: readonly string[]): UserRow[] {
    const seen = new Map<string, UserRow>();
    for (const raw of names) {
      const n = normaliseUsername(raw);
      const u = this.users.byName(n);
      if (!u || u.deleted_at !== null) throw notFound(`No user "${n}".`, 'no_such_user');
      seen.set(n, u);
    }
    return [...seen.values()];
  }

  /** Renames the group and adds or removes members, in one transaction; one audit entry. */
  update(ctx: Ctx, id: number, body: { name?: string; add?: string[]; remove?: string[] }): Group {
    const g = this.get(id);
    const name = body.name === undefined ? undefined : checkGroupName(body.name);
    const add = this.activeUsers(body.add ?? []);
    const remove = this.activeUsers(body.remove ?? []);
    if (name === undefined && add.length === 0 && remove.length === 0) {
      throw badRequest('bad_request', 'Nothing to change: send name, add or remove.');
    }
    if (name !== undefined && name.toLowerCase() !== g.name.toLowerCase() && this.q.byName(name)) {
      throw conflict('group_exists', `There is already a group "${name}".`);
    }
    const detail: Record<string, unknown> = {};
    this.db.transaction(() => {
      if (name !== undefined && name !== g.name) {
        this.q.rename(id, name, this.clock.now());
        detail.from = g.name;
        detail.to = name;
      }
      const added = add.filter((u) => this.q.addMember(id, u.id)).map((u) => u.username);
      const removed = remove.filter((u) => this.q.removeMember(id, u.id)).map((u) => u.username);
      if (added.length) detail.added = added;
      if (removed.length) detail.removed = removed;
      this.audit.by(ctx, 'group_update', `group:${name ?? g.name}`, detail);
    })();
    return this.json(id);
  }

  /** Deletes the group; its members' accounts and files stay as they are. */
  delete(ctx: Ctx, id: number): void {
    const g = this.get(id);
    const members = this.q.memberIds(id).length;
    this.db.transaction(() => {
      this.q.delete(id);
      this.audit.by(ctx, 'group_delete', `group:${g.name}`, { members });
    })();
  }
}
