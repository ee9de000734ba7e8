// A class on the drive in five minutes: accounts made from a pasted list (previewed, then created all or
// nothing, each with a generated password and a login card), and actions on a selection or a whole group.
import type { AccountCard, BulkAction, BulkResponse, CardsResponse, GroupRef, ImportLine, ImportPreview } from '../api-types.js';
import type { Db } from '../db/connection.js';
import { sessionQueries } from '../db/queries/sessions.js';
import { userQueries, type UserRow } from '../db/queries/users.js';
import { HttpError, badRequest, conflict } from '../errors.js';
import type { Ctx, Role } from '../policy/policy.js';
import { USERNAME_RULE, type Accounts } from './accounts.js';
import type { Audit } from './audit.js';
import type { Cards } from './cards.js';
import type { Clock } from './clock.js';
import type { Groups } from './groups.js';
import { kidPassword } from './kid-passwords.js';
import {
  cleanGroupName,
  foldAccents,
  MAX_GROUP_CHARS,
  MAX_IMPORT,
  MAX_NAME_CHARS,
  parseRoster,
  roleFromText,
  uniqueUsername,
  usernameFromName,
} from './roster.js';

export type PreviewInput = { role: Role; group?: string } & (
  { text: string; generate?: undefined } | { generate: { count: number; prefix: string }; text?: undefined }
);

export interface CreateInput {
  accounts: { username: string; name?: string | null; role?: Role | null; group?: string | null; line?: number }[];
}

export interface BulkInput {
  action: BulkAction;
  usernames?: string[];
  group?: number;
  role?: Role;
}

const invalid = (message: string) => badRequest('invalid_import', message);

export class BulkAccounts {
  private readonly users;
  private readonly sessions;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly accounts: Accounts,
    private readonly groups: Groups,
    private readonly cards: Cards,
    private readonly audit: Audit,
  ) {
    this.users = userQueries(db);
    this.sessions = sessionQueries(db);
  }

  private takenMessage(username: string): string {
    const u = this.users.byName(username);
    return u?.deleted_at ? `"${username}" belonged to a deleted account (the name stays reserved)` : `the username "${username}" is taken`;
  }

  /** What creation would make of a pasted list or of "generate N": nothing is written. */
  preview(input: PreviewInput): ImportPreview {
    const defaultGroup = input.group === undefined ? null : cleanGroupName(input.group);
    if (input.group !== undefined && defaultGroup === null) throw badRequest('invalid_group', `A group's name has 1 to ${MAX_GROUP_CHARS} characters.`);
    const batch = new Set<string>();
    const taken = (n: string) => batch.has(n) || this.users.exists(n);
    const lines: ImportLine[] = [];
    let format: ImportPreview['format'] = 'generated';
    let header = false;

    if (input.generate) {
      const { count, prefix: rawPrefix } = input.generate;
      const width = Math.max(2, String(count).length);
      const prefix = foldAccents(rawPrefix.trim()).replace(/[^a-z0-9_-]+/g, '-');
      if (!/^[a-z0-9][a-z0-9_-]*$/.test(prefix) || prefix.length + 1 + width > 32) {
        throw invalid(`A prefix is 1 to ${31 - width} of a-z, 0-9, "-" and "_", starting with a letter or digit.`);
      }
      for (let n = 1; lines.length < count; n++) {
        const username = `${prefix}-${String(n).padStart(width, '0')}`;
        if (username.length > 32) throw invalid(`Not enough free usernames with the prefix "${prefix}".`);
        if (taken(username)) continue;
        batch.add(username);
        lines.push({ line: lines.length + 1, name: null, username, role: input.role, group: defaultGroup, error: null });
      }
    } else {
      const parsed = parseRoster(input.text);
      format = parsed.format;
      header = parsed.header;
      if (parsed.rows.length === 0 && parsed.errors.length === 0) throw invalid('The list is empty: one name a line, or CSV.');
      if (parsed.rows.length > MAX_IMPORT) throw invalid(`At most ${MAX_IMPORT} accounts at once; this list has ${parsed.rows.length}.`);
      for (const e of parsed.errors) lines.push({ line: e.line, name: null, username: null, role: null, group: null, error: e.message });
      // Usernames given by the list are reserved first, so that a name made from another line never takes one.
      const explicit = new Map<number, string>();
      for (const row of parsed.rows) {
        if (row.username === undefined) continue;
        const n = row.username.trim().toLowerCase();
        if (USERNAME_RULE.test(n) && !taken(n)) (explicit.set(row.line, n), batch.add(n));
      }
      for (const row of parsed.rows) {
        const out: ImportLine = { line: row.line, name: row.name || null, username: null, role: null, group: null, error: null };
        lines.push(out);
        const role = row.role === undefined ? input.role : roleFromText(row.role);
        const group = row.group === undefined ? defaultGroup : cleanGroupName(row.group);
        out.role = role;
        out.group = group;
        if (row.name === '' && row.username === undefined) out.error = 'no name on this line';
        else if ([...row.name].length > MAX_NAME_CHARS) out.error = `a name has at most ${MAX_NAME_CHARS} characters`;
        else if (role === null) out.error = `"${row.role}" is not a role: user, advanced or admin (utilisateur, avancé, administrateur)`;
        else if (row.group !== undefined && group === null) out.error = `a group's name has at most ${MAX_GROUP_CHARS} characters`;
        if (row.username !== undefined) {
          const n = explicit.get(row.line);
          if (n !== undefined) out.username = n;
          else {
            const given = row.username.trim().toLowerCase();
            out.error ??= USERNAME_RULE.test(given)
              ? batch.has(given) && !this.users.exists(given)
                ? `the username "${given}" is given twice in this list`
                : this.takenMessage(given)
              : `"${row.username}" is not a valid username (2 to 32 of a-z, 0-9, "-" and "_")`;
          }
        } else if (row.name !== '') {
          const base = usernameFromName(row.name);
          if (base === null) out.error ??= 'no username can be made from this name (it needs Latin letters or digits): add a username column';
          else if (out.error === null) {
            out.username = uniqueUsername(base, taken);
            batch.add(out.username);
          }
        }
      }
      lines.sort((a, b) => a.line - b.line);
    }
    const ok = lines.length > 0 && lines.every((l) => l.error === null);
    const existing = new Set(this.groups.q.all().map((g) => g.name.toLowerCase()));
    const newGroups = new Map<string, string>();
    for (const l of lines) if (l.error === null && l.group !== null && !existing.has(l.group.toLowerCase())) newGroups.set(l.group.toLowerCase(), l.group);
    return { ok, format, header, lines, count: lines.filter((l) => l.error === null).length, newGroups: [...newGroups.values()] };
  }

  /**
   * Creates the reviewed accounts (a preview's lines) in one transaction: all or none. Each gets a
   * generated password and, unless an administrator, a login card; both are in the answer and nowhere else.
   */
  async create(ctx: Ctx, input: CreateInput): Promise<CardsResponse> {
    const list = input.accounts;
    if (list.length === 0) throw invalid('No account to create.');
    if (list.length > MAX_IMPORT) throw invalid(`At most ${MAX_IMPORT} accounts at once.`);
    const seen = new Set<string>();
    const rows = list.map((a, i) => {
      const where = `Account ${i + 1}${a.line !== undefined ? ` (line ${a.line})` : ''}`;
      const username = a.username.trim().toLowerCase();
      if (!USERNAME_RULE.test(username)) throw badRequest('invalid_username', `${where}: "${a.username}" is not a valid username.`);
      if (seen.has(username)) throw invalid(`${where}: "${username}" appears twice.`);
      seen.add(username);
      const group = a.group === undefined || a.group === null ? null : cleanGroupName(a.group);
      if (a.group && group === null) throw badRequest('invalid_group', `${where}: a group's name has 1 to ${MAX_GROUP_CHARS} characters.`);
      const name = a.name?.replace(/\s+/g, ' ').trim() || null;
      if (name !== null && [...name].length > MAX_NAME_CHARS) throw invalid(`${where}: a name has at most ${MAX_NAME_CHARS} characters.`);
      return { where, username, name, role: a.role ?? 'user', group, password: kidPassword() };
    });
    const takenBefore = rows.find((r) => this.users.exists(r.username));
    if (takenBefore) throw conflict('username_taken', `${takenBefore.where}: ${this.takenMessage(takenBefore.username)}. Nothing was created.`);

    const hashes = await Promise.all(rows.map((r) => this.accounts.hash(r.password)));

    const now = this.clock.now();
    const made: AccountCard[] = [];
    const groupsUsed = new Map<number, string>();
    this.db.transaction(() => {
      for (const [i, r] of rows.entries()) {
        // Checked again: another admin may have taken a name while the passwords were hashed.
        if (this.users.exists(r.username)) throw conflict('username_taken', `${r.where}: ${this.takenMessage(r.username)}. Nothing was created.`);
        const id = this.users.insert({ username: r.username, password_hash: hashes[i]!, role: r.role, quota_bytes: null, now });
        if (r.name !== null) this.users.update(id, { display_name: r.name }, now);
        const groups: string[] = [];
        if (r.group !== null) {
          const g = this.groups.ensure(ctx, r.group);
          this.groups.q.addMember(g.id, id);
          groupsUsed.set(g.id, g.name);
          groups.push(g.name);
        }
        const secret = r.role === 'admin' ? null : this.cards.issue(id);
        this.audit.by(ctx, 'user_create', `user:${r.username}`, { role: r.role, quotaBytes: null, ...(groups.length ? { group: groups[0] } : {}) });
        made.push({
          username: r.username,
          displayName: r.name,
          role: r.role,
          groups,
          password: r.password,
          cardSecret: secret,
          cardUrl: secret === null ? null : this.cards.url(secret),
        });
      }
      const only = groupsUsed.size === 1 ? [...groupsUsed.values()][0]! : null;
      this.audit.by(ctx, 'users_import', only === null ? null : `group:${only}`, { count: made.length, groups: [...groupsUsed.values()] });
    })();
    return { count: made.length, accounts: made, network: await this.cards.network() };
  }

  /** Who a bulk action is about: the named users, or the live members of a group. */
  private selection(input: BulkInput): { group: GroupRef | null; users: UserRow[] } {
    if ((input.usernames === undefined) === (input.group === undefined)) {
      throw badRequest('bad_request', 'Send either "usernames" (a selection) or "group" (a group\'s id).');
    }
    if (input.group !== undefined) {
      const g = this.groups.get(input.group);
      const users = this.groups.q.memberIds(g.id).map((id) => this.users.byId(id)!);
      return { group: { id: g.id, name: g.name }, users };
    }
    return { group: null, users: this.groups.activeUsers(input.usernames!) };
  }

  /** Would the device be left with no active administrator after this change of `affected`? */
  private checkLastAdmin(affected: UserRow[]): void {
    const removed = affected.filter((u) => u.role === 'admin' && u.disabled === 0 && u.deleted_at === null).length;
    if (removed > 0 && this.users.countActiveAdmins() - removed < 1) {
      throw conflict('last_admin', 'This would leave the drive without an active administrator: make another one first. Nothing was changed.');
    }
  }

  /**
   * One action on a selection or a group, in one transaction: one audit entry for the whole (action,
   * group, count) and one per user. new_cards gives every user a new password and card (the old ones stop working).
   */
  async bulk(ctx: Ctx, input: BulkInput): Promise<BulkResponse | CardsResponse> {
    const { group, users } = this.selection(input);
    const now = this.clock.now();
    const summary = (extra: Record<string, unknown> = {}) =>
      this.audit.by(ctx, 'users_bulk', group ? `group:${group.name}` : null, {
        action: input.action,
        count: users.length,
        ...(group ? { group: group.name } : {}),
        ...extra,
      });

    if (input.action === 'new_cards') {
      const admins = users.filter((u) => u.role === 'admin').map((u) => u.username);
      if (admins.length) {
        throw badRequest('bad_request', `Login cards are not made for administrators (a lost card would open the whole drive): ${admins.join(', ')}.`);
      }
      const passwords = users.map(() => kidPassword());
      const hashes = await Promise.all(passwords.map((p) => this.accounts.hash(p)));
      const memberships = this.groups.q.membershipsByUser();
      const made: AccountCard[] = [];
      this.db.transaction(() => {
        for (const [i, u] of users.entries()) {
          const current = this.users.byId(u.id);
          if (!current || current.deleted_at !== null) throw new HttpError('no_such_user', `"${u.username}" was deleted meanwhile. Nothing was changed.`);
          this.cards.q.revokeForUser(u.id, 'replaced', now);
          this.users.update(u.id, { password_hash: hashes[i]! }, now);
          this.sessions.deleteForUser(u.id);
          const secret = this.cards.issue(u.id);
          this.audit.by(ctx, 'user_update', `user:${u.username}`, { password: 'reset', card: 'new' });
          made.push({
            username: u.username,
            displayName: u.display_name,
            role: current.role,
            groups: (memberships.get(u.id) ?? []).map((g) => g.name),
            password: passwords[i]!,
            cardSecret: secret,
            cardUrl: this.cards.url(secret),
          });
        }
        summary();
      })();
      return { count: made.length, accounts: made, network: await this.cards.network() };
    }

    this.db.transaction(() => {
      switch (input.action) {
        case 'disable':
        case 'enable': {
          const disabled = input.action === 'disable' ? 1 : 0;
          if (disabled) this.checkLastAdmin(users);
          for (const u of users) {
            this.users.update(u.id, { disabled }, now);
            if (disabled) this.sessions.deleteForUser(u.id);
            this.audit.by(ctx, 'user_update', `user:${u.username}`, { disabled: disabled === 1 });
          }
          summary();
          break;
        }
        case 'set_role': {
          const role = input.role;
          if (role === undefined) throw badRequest('invalid_role', 'set_role needs a "role": user, advanced or admin.');
          if (role !== 'admin') this.checkLastAdmin(users);
          for (const u of users) {
            this.users.update(u.id, { role }, now);
            this.audit.by(ctx, 'user_update', `user:${u.username}`, { role });
          }
          summary({ role });
          break;
        }
        case 'delete': {
          this.checkLastAdmin(users);
          for (const u of users) {
            // As for one account (Accounts.deleteUser): the name stays reserved, the container and files stay.
            this.users.update(u.id, { deleted_at: now, disabled: 1 }, now);
            this.sessions.deleteForUser(u.id);
            this.audit.by(ctx, 'user_delete', `user:${u.username}`);
          }
          summary();
          break;
        }
      }
    })();
    return { action: input.action, group, count: users.length, usernames: users.map((u) => u.username) };
  }
}
