// HTTP Basic authentication for file managers (WebDAV), over the same accounts and login throttle as
// the web login, without a bcrypt check per request; and the per-device app passwords that an account
// makes and revokes for them.
import crypto from 'node:crypto';
import type { Db } from '../db/connection.js';
import { appPasswordQueries } from '../db/queries/app-passwords.js';
import { HttpError, badRequest, notFound } from '../errors.js';
import type { Accounts, AuthedUser } from './accounts.js';
import type { Clock } from './clock.js';

/** A verified credential is trusted this long without a new bcrypt check (the user's row is still read every time). */
export const CREDENTIAL_TTL_MS = 5 * 60_000;
const CACHE_MAX = 1000;
/** App passwords look like this: "hcd-" and 4 groups of 5 base32 characters (100 bits). */
const APP_PASSWORD = /^hcd(-[a-z2-7]{5}){4}$/;
const MAX_APP_PASSWORDS = 20;

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

export class DavAuth {
  /**
   * Verified credentials: HMAC(key made at start, username NUL password) → the user and the password
   * hash that the password matched. Neither the password nor a plain hash of it is kept; a restart
   * forgets them all. An entry stops counting when the user's hash changes (password changed or reset).
   */
  private readonly cache = new Map<string, { userId: number; passwordHash: string; until: number }>();
  private readonly key = crypto.randomBytes(32);
  /** Checks in progress, by the same key as the cache. */
  private readonly verifying = new Map<string, Promise<AuthedUser>>();
  private readonly q;

  constructor(
    db: Db,
    private readonly accounts: Accounts,
    private readonly clock: Clock,
  ) {
    this.q = appPasswordQueries(db);
  }

  /**
   * The user named by an `Authorization: Basic` header, or throws: 401 for wrong credentials (the caller
   * adds the challenge), 429 with Retry-After when this address or name is throttled, 403 when disabled.
   */
  async authenticate(header: string, ip: string): Promise<AuthedUser> {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new HttpError('unauthenticated', 'The Authorization header must be "Basic" with a username and a password.');
    const username = decoded.slice(0, colon).trim().toLowerCase();
    const password = decoded.slice(colon + 1);
    const now = this.clock.now();
    const id = crypto.createHmac('sha256', this.key).update(`${username}\0${password}`).digest('base64url');
    const hit = this.cache.get(id);
    if (hit && hit.until > now) {
      const row = this.accounts.users.byId(hit.userId);
      if (row && !row.disabled && !row.deleted_at && row.password_hash === hit.passwordHash) {
        return { id: row.id, username: row.username, role: row.role, sessionId: '' };
      }
      this.cache.delete(id);
    }
    // A file manager opens several connections at once with the same credentials: they share one check,
    // which counts once in the throttle (eight parallel checks would look like eight guesses).
    const pending = this.verifying.get(id);
    if (pending) return pending;
    const check = this.verify(id, username, password, ip, now).finally(() => this.verifying.delete(id));
    this.verifying.set(id, check);
    return check;
  }

  private async verify(id: string, username: string, password: string, ip: string, now: number): Promise<AuthedUser> {
    // The web login's throttle, with the same keys: guesses over WebDAV and over the login page add up.
    const keys = [`u:${ip}:${username.slice(0, 64)}`, `ip:${ip}`];
    const wait = this.accounts.throttle.retryAfterMs(keys);
    if (wait > 0) {
      const s = Math.ceil(wait / 1000);
      throw new HttpError('too_many_attempts', `Too many failed attempts. Try again in ${s} seconds.`, { 'Retry-After': String(s) });
    }
    this.accounts.throttle.fail(keys[0]!);
    this.accounts.throttle.fail(keys[1]!, 20);
    const user = this.accounts.users.byName(username);
    let ok = false;
    if (user && APP_PASSWORD.test(password)) {
      const app = this.q.byHash(user.id, sha256(password));
      if (app) {
        ok = true;
        this.q.used(app.id, now);
      }
    } else {
      ok = Buffer.byteLength(password) <= 72 && (await this.accounts.verifyPassword(user, password));
    }
    if (!ok || !user || user.deleted_at) throw new HttpError('invalid_credentials', 'Wrong username or password.');
    this.accounts.throttle.forgive(keys[1]!);
    if (user.disabled) {
      this.accounts.throttle.forgive(keys[0]!);
      throw new HttpError('account_disabled', 'This account is disabled: see your teacher or the administrator.');
    }
    this.accounts.throttle.succeed(keys[0]!);
    if (this.cache.size >= CACHE_MAX) {
      for (const [k, v] of this.cache) if (v.until <= now) this.cache.delete(k);
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    }
    // Re-read after the await: a password changed meanwhile must not be cached under the old hash.
    const fresh = this.accounts.users.byId(user.id);
    if (fresh && fresh.password_hash === user.password_hash) {
      this.cache.set(id, { userId: user.id, passwordHash: user.password_hash, until: now + CREDENTIAL_TTL_MS });
    }
    return { id: user.id, username: user.username, role: user.role, sessionId: '' };
  }

  // ---- app passwords -----------------------------------------------------------------------------

  listAppPasswords(userId: number) {
    return this.q.byUser(userId).map((r) => ({
      id: r.id,
      label: r.label,
      createdAt: new Date(r.created_at).toISOString(),
      lastUsedAt: r.last_used_at === null ? null : new Date(r.last_used_at).toISOString(),
    }));
  }

  /** Makes an app password for a device; its secret is shown once and only its SHA-256 is kept. */
  createAppPassword(userId: number, rawLabel: unknown) {
    if (typeof rawLabel !== 'string' || rawLabel.trim() === '' || [...rawLabel].length > 64) {
      throw badRequest('bad_request', 'An app password needs a label of 1 to 64 characters (the device it is for).');
    }
    // eslint-disable-next-line no-control-regex
    const label = rawLabel.trim().replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
    if (this.q.byUser(userId).length >= MAX_APP_PASSWORDS) {
      throw badRequest('bad_request', `At most ${MAX_APP_PASSWORDS} app passwords per account: revoke one first.`);
    }
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
    const bytes = crypto.randomBytes(20);
    const chars = [...bytes].map((b) => alphabet[b & 31]).join('');
    const secret = `hcd-${chars.slice(0, 5)}-${chars.slice(5, 10)}-${chars.slice(10, 15)}-${chars.slice(15, 20)}`;
    const now = this.clock.now();
    const id = this.q.insert(userId, label, sha256(secret), now);
    return { id, label, password: secret, createdAt: new Date(now).toISOString() };
  }

  revokeAppPassword(userId: number, id: number): void {
    if (this.q.remove(id, userId) === 0) throw notFound('No such app password.');
    // Cached credentials name the user, not the app password: forget them all (cheap, and rare).
    this.cache.clear();
  }
}
