// Accounts: users, password hashing, sessions and their signed tokens, login throttling.
import crypto from 'node:crypto';
import bcrypt from 'bcryptjs';
import { sign, verify } from 'hono/jwt';
import type { Db } from '../db/connection.js';
import { userQueries, type UserQueries, type UserRow } from '../db/queries/users.js';
import { sessionQueries } from '../db/queries/sessions.js';
import { settingsQueries } from '../db/queries/settings.js';
import { HttpError, badRequest, conflict, notFound } from '../errors.js';
import { ROLES, type Actor, type Role } from '../policy/policy.js';
import { LoginThrottle } from './throttle.js';
import type { PasswordHasher } from './password-hasher.js';
import type { Clock } from './clock.js';

/**
 * bcrypt cost 10: 55 ms per check on the 2-core development machine (bcryptjs, measured); a Pi 4's
 * Cortex-A72 runs this pure-JS loop about 8× slower, so ~450 ms per login there: well under a second
 * while keeping offline guessing expensive. Each step of cost doubles the time.
 */
export const BCRYPT_COST = 10;
export const SESSION_IDLE_MS = 30 * 24 * 3600 * 1000;
const TOKEN_TTL_S = 30 * 24 * 3600;
const TOUCH_EVERY_MS = 60_000;

export const USERNAME_RULE = /^[a-z0-9][a-z0-9_-]{1,31}$/;

export function normaliseUsername(raw: unknown): string {
  if (typeof raw !== 'string') throw badRequest('invalid_username', 'A username is required.');
  const name = raw.trim().toLowerCase();
  if (!USERNAME_RULE.test(name)) {
    throw badRequest('invalid_username', 'A username has 2 to 32 characters: lowercase letters a-z, digits, "-" and "_", starting with a letter or digit.');
  }
  return name;
}

/**
 * Passwords refused although long enough: the first ones any guesser tries (English and French
 * keyboards and words). Compared without case; a password made of one repeated character is refused too.
 */
export const TRIVIAL_PASSWORDS: ReadonlySet<string> = new Set([
  'password',
  'password1',
  'password123',
  'motdepasse',
  'motdepasse1',
  '12345678',
  '123456789',
  '1234567890',
  '87654321',
  '00000000',
  '01234567',
  'azertyuiop',
  'azerty123',
  'qwertyuiop',
  'qwerty123',
  'abcdefgh',
  'abcd1234',
  'iloveyou',
  'jetaime1',
  'letmein1',
  'welcome1',
  'bienvenue',
  'sunshine',
  'football',
  'baseball',
  'homedrive',
  'changeme',
  'administrator',
  'admin123',
  'soleil123',
  'doudou123',
  'loulou123',
  'chouchou',
]);

export function checkPassword(password: unknown, username?: string): string {
  if (typeof password !== 'string' || password.length === 0) throw badRequest('invalid_password', 'A password is required.');
  if ([...password].length < 8) throw badRequest('invalid_password', 'A password needs at least 8 characters.');
  if (password.trim() === '') throw badRequest('invalid_password', 'A password cannot be only spaces.');
  const lower = password.toLowerCase();
  if (TRIVIAL_PASSWORDS.has(lower) || new Set([...lower]).size === 1) {
    throw badRequest('invalid_password', 'This password is among the first ones anyone would guess: choose another.');
  }
  // bcrypt only looks at the first 72 bytes; longer passwords would silently lose their tail.
  if (Buffer.byteLength(password) > 72) throw badRequest('invalid_password', 'A password may be at most 72 bytes long.');
  if (username && password.toLowerCase() === username.toLowerCase()) {
    throw badRequest('invalid_password', 'The password cannot be the username.');
  }
  return password;
}

export function checkRole(role: unknown): Role {
  if (typeof role !== 'string' || !ROLES.includes(role as Role)) {
    throw badRequest('invalid_role', `A role is one of: ${ROLES.join(', ')}.`);
  }
  return role as Role;
}

export function checkQuota(q: unknown): number | null {
  if (q === null) return null;
  if (typeof q !== 'number' || !Number.isSafeInteger(q) || q < 0) {
    throw badRequest('invalid_quota', 'A quota is a whole number of bytes (0 or more), or null for none.');
  }
  return q;
}

/** bcrypt's own base64 alphabet, in which its salts and digests are written. */
const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomBcryptChars(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += BCRYPT_ALPHABET[crypto.randomInt(BCRYPT_ALPHABET.length)];
  return s;
}

export interface TokenPayload {
  sid: string;
  sub: string;
  exp: number;
  [k: string]: unknown;
}

export interface AuthedUser extends Actor {
  id: number;
  sessionId: string;
}

export class Accounts {
  readonly users;
  readonly sessions;
  private readonly settings;
  private secret: string;
  readonly throttle: LoginThrottle;
  private readonly dummyHash: string;
  private readonly verified = new Map<string, TokenPayload>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /** bcrypt runs on its threads, never on the event loop. */
    readonly hasher: PasswordHasher,
  ) {
    this.users = userQueries(db);
    this.sessions = sessionQueries(db);
    this.settings = settingsQueries(db);
    this.secret = this.settings.get('jwt_secret') ?? this.createSecret();
    this.throttle = new LoginThrottle(() => clock.now());
    // Compared against when the user does not exist, so timing does not reveal which usernames exist:
    // a random salt at the same cost and a random digest (no password matches it, and none need to).
    // bcrypt's work is set by the cost and salt alone, so a check against it costs what a real one does.
    this.dummyHash = bcrypt.genSaltSync(BCRYPT_COST) + randomBcryptChars(31);
  }

  private createSecret(): string {
    // Per-installation signing key, created on first run and kept in the database (never in the repository).
    const s = crypto.randomBytes(32).toString('base64url');
    this.settings.set('jwt_secret', s);
    return s;
  }

  async hash(password: string): Promise<string> {
    return this.hasher.hash(password, BCRYPT_COST);
  }

  async createUser(input: { username: unknown; password: unknown; role: unknown; quotaBytes?: unknown }): Promise<UserRow> {
    const username = normaliseUsername(input.username);
    const password = checkPassword(input.password, username);
    const role = checkRole(input.role ?? 'user');
    const quota = input.quotaBytes === undefined ? null : checkQuota(input.quotaBytes);
    const existing = this.users.byName(username);
    if (existing) {
      throw conflict(
        'username_taken',
        existing.deleted_at
          ? `"${username}" belonged to a deleted account whose container is kept; choose another name.`
          : `The username "${username}" is taken.`,
      );
    }
    const password_hash = await this.hash(password);
    // Re-check after the await: two creations may race.
    if (this.users.byName(username)) throw conflict('username_taken', `The username "${username}" is taken.`);
    const id = this.users.insert({ username, password_hash, role, quota_bytes: quota, now: this.clock.now() });
    return this.users.byId(id)!;
  }

  getActive(username: string): UserRow {
    const u = this.users.byName(username);
    if (!u || u.deleted_at) throw notFound(`No user "${username}".`, 'no_such_user');
    return u;
  }

  /** Would this change leave the device without an active administrator? */
  private keepsAnAdmin(u: UserRow): boolean {
    return u.role !== 'admin' || u.disabled === 1 || this.users.countActiveAdmins() > 1;
  }

  /**
   * An administrator's change to an account: role, disabled, quota, password. The last active
   * administrator cannot be demoted or disabled; a disabled account is logged out everywhere.
   * Returns the updated row and what changed (for the audit log).
   */
  async updateUser(username: string, body: Record<string, unknown>): Promise<{ row: UserRow; changes: Record<string, unknown> }> {
    const u = this.getActive(normaliseUsername(username));
    const changes: Record<string, unknown> = {};
    const fields: Parameters<UserQueries['update']>[1] = {};
    if (body.role !== undefined) fields.role = checkRole(body.role);
    if (body.disabled !== undefined) {
      if (typeof body.disabled !== 'boolean') throw badRequest('bad_request', '"disabled" is true or false.');
      fields.disabled = body.disabled ? 1 : 0;
    }
    const quota = body.quotaBytes !== undefined ? body.quotaBytes : body.quota;
    if (quota !== undefined) fields.quota_bytes = checkQuota(quota);
    const demotes = (fields.role !== undefined && fields.role !== 'admin') || fields.disabled === 1;
    if (demotes && !this.keepsAnAdmin(u)) throw conflict('last_admin', 'This is the last active administrator: make another one first.');
    if (body.password !== undefined) {
      await this.setPassword(u, body.password);
      changes.password = 'reset';
    }
    this.db.transaction(() => {
      this.users.update(u.id, fields, this.clock.now());
      if (fields.disabled === 1) this.sessions.deleteForUser(u.id);
    })();
    if (body.role !== undefined) changes.role = fields.role;
    if (body.disabled !== undefined) changes.disabled = body.disabled;
    if (quota !== undefined) changes.quotaBytes = fields.quota_bytes;
    if (Object.keys(changes).length === 0) throw badRequest('bad_request', 'Nothing to change: send role, password, disabled or quotaBytes.');
    return { row: this.users.byId(u.id)!, changes };
  }

  /**
   * Ends an account (soft delete): its sessions end, its name stays reserved, its container and
   * files stay for the administrators at users/<name>. Never the last active administrator.
   */
  deleteUser(username: string): UserRow {
    const u = this.getActive(normaliseUsername(username));
    if (!this.keepsAnAdmin(u)) throw conflict('last_admin', 'This is the last active administrator: make another one first.');
    this.db.transaction(() => {
      this.users.update(u.id, { deleted_at: this.clock.now(), disabled: 1 }, this.clock.now());
      this.sessions.deleteForUser(u.id);
    })();
    return u;
  }

  /** `byOwner`: the user chose it (their own change): no longer asked to replace it. */
  async setPassword(user: UserRow, password: unknown, keepSession?: string, byOwner = false): Promise<void> {
    const pw = checkPassword(password, user.username);
    const hash = await this.hash(pw);
    this.db.transaction(() => {
      this.users.update(user.id, byOwner ? { password_hash: hash, must_change_password: 0 } : { password_hash: hash }, this.clock.now());
      // A password change ends every other session of that user.
      this.sessions.deleteForUser(user.id, keepSession);
    })();
  }

  async verifyPassword(user: UserRow | undefined, password: string): Promise<boolean> {
    const ok = await this.hasher.compare(password, user?.password_hash ?? this.dummyHash);
    return ok && user !== undefined;
  }

  /** Checks credentials (throttled) and opens a session. */
  async login(rawUsername: unknown, password: unknown, ip: string, userAgent: string | null) {
    if (typeof rawUsername !== 'string' || typeof password !== 'string' || rawUsername === '' || password === '') {
      throw badRequest('bad_request', 'Both "username" and "password" are required.');
    }
    const username = rawUsername.trim().toLowerCase();
    const keys = [`u:${ip}:${username.slice(0, 64)}`, `ip:${ip}`];
    const wait = this.throttle.retryAfterMs(keys);
    if (wait > 0) {
      const s = Math.ceil(wait / 1000);
      throw new HttpError('too_many_attempts', `Too many failed attempts. Try again in ${s} seconds.`, { 'Retry-After': String(s) });
    }
    // Counted as a failure before the (slow) hash and taken back on success: guesses sent in parallel
    // are each counted before any of them is checked, so they meet the throttle like sequential ones.
    this.throttle.fail(keys[0]!);
    this.throttle.fail(keys[1]!, 20); // one address trying many names
    const user = this.users.byName(username);
    // bcrypt reads only 72 bytes: a longer password would log in with any tail. None can have been set.
    const ok = Buffer.byteLength(password) <= 72 && (await this.verifyPassword(user, password));
    if (ok && user && user.disabled && !user.deleted_at) {
      // The right password for a disabled account: not a guesser. Say what is the matter.
      this.throttle.forgive(keys[0]!);
      this.throttle.forgive(keys[1]!);
      return { ok: false as const, username, reason: 'disabled' };
    }
    if (!ok || !user || user.deleted_at) {
      return { ok: false as const, username, reason: !ok || !user ? 'bad_credentials' : 'deleted' };
    }
    this.throttle.succeed(keys[0]!);
    this.throttle.forgive(keys[1]!);
    const session = await this.openSession(user, ip, userAgent);
    return { ok: true as const, user, ...session };
  }

  async openSession(user: UserRow, ip: string | null, userAgent: string | null) {
    const sid = crypto.randomBytes(18).toString('base64url');
    const now = this.clock.now();
    this.sessions.insert(sid, user.id, now, ip, userAgent?.slice(0, 200) ?? null);
    // No iat/nbf: the Pi has no real-time clock and may boot with an earlier time than the token's.
    const payload: TokenPayload = { sid, sub: user.username, exp: Math.floor(now / 1000) + TOKEN_TTL_S };
    const token = await sign(payload, this.secret, 'HS256');
    return { token, sessionId: sid };
  }

  /** Resolves a token to its live user, or null: a deleted session, user, or a disabled account all end it. */
  async authenticate(token: string): Promise<AuthedUser | null> {
    let payload = this.verified.get(token);
    if (!payload || payload.exp * 1000 <= this.clock.now()) {
      try {
        payload = (await verify(token, this.secret, { alg: 'HS256', iat: false, nbf: false })) as TokenPayload;
      } catch {
        return null;
      }
      // Verifying the signature through WebCrypto costs more than the rest of a small request;
      // remembered per token (the session row below is still checked every time).
      if (this.verified.size >= 1000) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, payload);
    }
    const s = this.sessions.get(payload.sid);
    if (!s) return null;
    const now = this.clock.now();
    if (now - s.last_seen_at > SESSION_IDLE_MS) {
      this.sessions.delete(s.id);
      return null;
    }
    const user = this.users.byId(s.user_id);
    if (!user || user.disabled || user.deleted_at || user.username !== payload.sub) return null;
    if (now - s.last_seen_at > TOUCH_EVERY_MS || now < s.last_seen_at) this.sessions.touch(s.id, now);
    return { id: user.id, username: user.username, role: user.role, sessionId: s.id };
  }

  logout(sessionId: string): void {
    this.sessions.delete(sessionId);
  }
}
