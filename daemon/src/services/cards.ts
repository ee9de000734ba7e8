// Login cards: a per-user random secret in a link that opens the drive logged in, kept only as its SHA-256;
// and the network details printed beside it (the drive's address, its Wi-Fi and the Wi-Fi's QR string).
import crypto from 'node:crypto';
import type { CardNetwork } from '../api-types.js';
import type { Db } from '../db/connection.js';
import { cardQueries, type CardRevokedReason } from '../db/queries/cards.js';
import { userQueries, type UserRow } from '../db/queries/users.js';
import { HttpError, badRequest } from '../errors.js';
import type { Accounts } from './accounts.js';
import type { Clock } from './clock.js';
import type { Portal } from './portal.js';
import { readWifi } from './wifi.js';

/** 16 random bytes: 128 bits, 22 characters of base64url. */
const SECRET_BYTES = 16;
const SECRET_SHAPE = /^[A-Za-z0-9_-]{22}$/;

/**
 * SHA-256, not bcrypt: the secret is 128 random bits, so no guessing or precomputation can reach it
 * and a slow hash would add nothing but cost (30 pupils scanning at once would queue ~15 s of bcrypt on a Pi).
 */
const sha256 = (secret: string) => crypto.createHash('sha256').update(secret, 'utf8').digest();

export type RedeemResult =
  | { ok: true; user: UserRow; token: string; sessionId: string }
  | { ok: false; reason: 'invalid_card' | 'card_revoked' | 'disabled'; username: string | null; revoked?: CardRevokedReason };

export class Cards {
  readonly q;
  private readonly users;

  constructor(
    db: Db,
    private readonly clock: Clock,
    private readonly accounts: Accounts,
    private readonly portal: Portal,
    private readonly hostapdConf: string,
  ) {
    this.q = cardQueries(db);
    this.users = userQueries(db);
  }

  /**
   * A new card for this user, revoking the one it had (call inside the transaction that changes the
   * password: that change would revoke it anyway, through the trigger of migration 0006). Returns the secret.
   */
  issue(userId: number): string {
    const secret = crypto.randomBytes(SECRET_BYTES).toString('base64url');
    const now = this.clock.now();
    this.q.revokeForUser(userId, 'replaced', now);
    this.q.insert(userId, sha256(secret), now);
    return secret;
  }

  /** The link printed on the card. The secret is in the fragment: browsers never send it, so no log or cache holds it. */
  url(secret: string): string {
    return `${this.portal.origin()}/#card=${secret}`;
  }

  async network(): Promise<CardNetwork> {
    const w = await readWifi(this.hostapdConf);
    return { address: this.portal.origin(), wifi: w.wifi, wifiReason: w.reason };
  }

  /**
   * Logs in with a card's secret, throttled like password guesses (per address: 5 free failures for
   * cards, and the 20 of all logins). The lookup is by the secret's hash through a unique index, and the
   * hashes are compared again in constant time: the index's comparisons can only tell about the hash of
   * a guess, which says nothing of any real secret.
   */
  async redeem(secret: unknown, ip: string, userAgent: string | null): Promise<RedeemResult> {
    if (typeof secret !== 'string' || secret === '') throw badRequest('bad_request', 'Send {"secret": "<the card\'s secret>"}.');
    const keys = [`card:${ip}`, `ip:${ip}`];
    const wait = this.accounts.throttle.retryAfterMs(keys);
    if (wait > 0) {
      const s = Math.ceil(wait / 1000);
      throw new HttpError('too_many_attempts', `Too many failed attempts. Try again in ${s} seconds.`, { 'Retry-After': String(s) });
    }
    const failed = (r: Omit<Extract<RedeemResult, { ok: false }>, 'ok'>): RedeemResult => {
      this.accounts.throttle.fail(keys[0]!);
      this.accounts.throttle.fail(keys[1]!, 20);
      return { ok: false, ...r };
    };
    const hash = sha256(secret);
    const row = SECRET_SHAPE.test(secret) ? this.q.byHash(hash) : undefined;
    if (!row || !crypto.timingSafeEqual(row.secret_sha256, hash)) return failed({ reason: 'invalid_card', username: null });
    const user = this.users.byId(row.user_id);
    if (!user) return failed({ reason: 'invalid_card', username: null });
    if (row.revoked_at !== null || user.deleted_at !== null || user.role === 'admin') {
      return failed({ reason: 'card_revoked', username: user.username, revoked: row.revoked_reason ?? 'deleted' });
    }
    if (user.disabled) return { ok: false, reason: 'disabled', username: user.username };
    // Failures are not wiped by a success: a pupil's own card must not buy a guesser more tries.
    const session = await this.accounts.openSession(user, ip, userAgent);
    return { ok: true, user, ...session };
  }
}
