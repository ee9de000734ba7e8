// Guest links: a file or folder shared without an account, read-only or as a drop box (upload only).
// Secrets are 128 random bits in Crockford base32, kept only as their SHA-256; a password unlocks a
// link through a short-lived HMAC-signed cookie; guessing is throttled per address like logins.
import type { PasswordHasher } from './password-hasher.js';
import crypto from 'node:crypto';
import type { GuestLinkInfo, LinkCreated, LinkItem, LinkMode, LinkState } from '../api-types.js';
import type { Db } from '../db/connection.js';
import { linkQueries, type LinkRow } from '../db/queries/links.js';
import { userQueries } from '../db/queries/users.js';
import { HttpError, badRequest, forbidden, notFound } from '../errors.js';
import { canAdminister, canShare, spaceKey, spaceOfKey, type Actor, type Ctx, type Space } from '../policy/policy.js';
import { validateName } from '../storage/paths.js';
import type { Audit } from './audit.js';
import type { Clock } from './clock.js';
import type { Drive } from './drive.js';
import { LoginThrottle } from './throttle.js';
import { displayPath } from './tree.js';

/** Crockford's base32: no I, L, O, U, so what is read aloud or typed from a projector is unambiguous. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const SECRET_BYTES = 16;
const SECRET_CHARS = 26; // ceil(128 / 5)
const GROUPS = [5, 5, 5, 5, 6];

const HOUR = 3600_000;
const EXPIRIES: Record<string, number> = { '1h': HOUR, '1d': 24 * HOUR, '7d': 7 * 24 * HOUR };
/** A date further than this is refused: a forgotten link should not outlive a school year. */
const MAX_LIFETIME = 366 * 24 * HOUR;
/** How long a password, once given, opens its link in this browser (never past the link's expiry). */
export const UNLOCK_MS = 12 * HOUR;
/** Unknown secrets from one address before its guesses wait (doubling, like logins). */
const FREE_GUESSES = 10;

export const linkCookieName = (id: number) => `hcd_link_${id}`;

/** 16 bytes → 26 characters, big-endian (the first one carries 3 bits). */
export function encodeSecret(bytes: Buffer): string {
  let n = BigInt('0x' + bytes.toString('hex'));
  let out = '';
  for (let i = 0; i < SECRET_CHARS; i++) {
    out = ALPHABET[Number(n & 31n)]! + out;
    n >>= 5n;
  }
  return out;
}

/** The secret as shown and put in addresses: ABCDE-FGHJK-MNPQR-STVWX-YZ0123. */
export function groupSecret(s: string): string {
  const parts: string[] = [];
  let at = 0;
  for (const g of GROUPS) parts.push(s.slice(at, (at += g)));
  return parts.join('-');
}

/** A typed secret back to its 16 bytes: any case, dashes or spaces anywhere, O for 0 and I/L for 1; null if it cannot be one. */
export function decodeSecret(typed: string): Buffer | null {
  const s = typed.toUpperCase().replace(/[-\s]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (s.length !== SECRET_CHARS) return null;
  let n = 0n;
  for (const ch of s) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return null;
    n = (n << 5n) | BigInt(v);
  }
  if (n >> 128n) return null;
  return Buffer.from(n.toString(16).padStart(32, '0'), 'hex');
}

const hashSecret = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

/** What a guest's request resolves to: the link, the creator acting for the guest, and the target now. */
export interface OpenLink {
  row: LinkRow;
  /** The link's creator, with the role their account has now; `guest` set by the route when known. */
  ctx: Ctx;
  space: Space;
  /** The target's names in its space, as they are now (after moves). */
  names: string[];
  size: number;
}

export class Links {
  readonly q;
  private readonly users;
  readonly throttle: LoginThrottle;
  /** Signs unlock cookies. Per start of the daemon: a restart only asks guests for the password again. */
  private readonly cookieKey = crypto.randomBytes(32);

  constructor(
    db: Db,
    private readonly drive: Drive,
    private readonly audit: Audit,
    private readonly clock: Clock,
    /** A link's password is bcrypt, checked on the hashing threads like any login. */
    private readonly hasher: PasswordHasher,
  ) {
    this.q = linkQueries(db);
    this.users = userQueries(db);
    this.throttle = new LoginThrottle(() => clock.now());
  }

  // ---- the creator's side ---------------------------------------------------------------------

  async create(ctx: Ctx, origin: string, body: Record<string, unknown>): Promise<LinkCreated> {
    const mode = body.mode;
    if (mode !== 'read' && mode !== 'upload') throw badRequest('bad_request', '"mode" is "read" or "upload".');
    if (typeof body.space !== 'string') throw badRequest('bad_request', '"space" is workspace, home or users/<name>.');
    const where = this.drive.resolveSpace(ctx.actor, parseNames(body.space));
    if (where.names.length > 0) throw badRequest('invalid_path', '"space" is workspace, home or users/<name>; the folders go in "path".');
    const { space } = where;
    const names = parseNames(body.path);
    if (names.length === 0) throw badRequest('invalid_path', 'Share a file or a folder inside the space, not the whole space.');
    if (!canShare(ctx.actor, space, mode)) {
      throw forbidden(ctx.actor.role === 'user' ? 'Only advanced users and administrators may make guest links.' : 'You may not share this with guests.');
    }
    const found = await this.drive.stat(ctx, space, names);
    if (mode === 'upload' && found.kind !== 'dir') throw badRequest('bad_request', 'A drop box (upload-only link) is made for a folder.');
    const key = spaceKey(space);
    const fileId = this.q.fileId(key, names.join('/'));
    if (fileId === undefined) throw notFound(`${displayPath(names)} is not in the drive's index yet (an administrator can re-index the disk).`);
    const now = this.clock.now();
    const expiresAt = parseExpiry(body.expires, now);
    const maxUses = optionalCount(body.maxUses, 'maxUses');
    const maxUploadBytes = mode === 'upload' ? optionalCount(body.maxUploadBytes, 'maxUploadBytes') : null;
    let passwordHash: string | null = null;
    if (body.password !== undefined && body.password !== null && body.password !== '') {
      if (typeof body.password !== 'string' || body.password.length < 4 || Buffer.byteLength(body.password) > 72) {
        throw badRequest('invalid_password', 'A link password has 4 characters to 72 bytes.');
      }
      passwordHash = await this.hasher.hash(body.password, 10);
    }
    const bytes = crypto.randomBytes(SECRET_BYTES);
    const id = this.q.insert({
      secret_hash: hashSecret(bytes),
      creator: ctx.actor.username,
      file_id: fileId,
      space: key,
      path: names.join('/'),
      type: found.kind,
      mode,
      password_hash: passwordHash,
      expires_at: expiresAt,
      max_uses: maxUses,
      max_upload_bytes: maxUploadBytes,
      created_at: now,
    });
    const secret = groupSecret(encodeSecret(bytes));
    this.audit.by(ctx, 'link_create', `${key}:${displayPath(names)}`, {
      link: id,
      mode,
      expires: new Date(expiresAt).toISOString(),
      password: passwordHash !== null,
      ...(maxUses !== null ? { maxUses } : {}),
    });
    return { ...this.item(this.q.byId(id)!), secret, url: `${origin}/s/${secret}` };
  }

  /** The caller's own links; administrators see everyone's. */
  list(actor: Actor): LinkItem[] {
    const rows = canAdminister(actor) ? this.q.all() : this.q.byCreator(actor.username);
    return rows.map((r) => this.item(r));
  }

  revoke(ctx: Ctx, id: number): LinkItem {
    const row = this.q.byId(id);
    // Someone else's link is as unknown as a missing one, to all but administrators.
    if (!row || (row.creator !== ctx.actor.username && !canAdminister(ctx.actor))) throw notFound('No such link.', 'link_not_found');
    if (this.q.revoke(id, this.clock.now())) {
      this.audit.by(ctx, 'link_revoke', `${row.space}:/${row.path}`, { link: id, creator: row.creator });
    }
    return this.item(this.q.byId(id)!);
  }

  item(r: LinkRow): LinkItem {
    const t = r.file_id === null ? undefined : this.q.target(r.file_id);
    const path = t && t.missing_since === null ? '/' + t.path : null;
    return {
      id: r.id,
      creator: r.creator,
      space: r.space,
      path,
      type: r.type,
      mode: r.mode,
      createdAt: new Date(r.created_at).toISOString(),
      expiresAt: new Date(r.expires_at).toISOString(),
      revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at).toISOString(),
      hasPassword: r.password_hash !== null,
      uses: r.uses,
      maxUses: r.max_uses,
      maxUploadBytes: r.max_upload_bytes,
      state: this.state(r).state,
    };
  }

  /** Whether a guest may use the link now, and if not why; the creator's rights are those of now. */
  private state(r: LinkRow): { state: LinkState; actor?: Actor; target?: ReturnType<Links['q']['target']> } {
    if (r.revoked_at !== null) return { state: 'revoked' };
    if (this.clock.now() >= r.expires_at) return { state: 'expired' };
    const u = this.users.byName(r.creator);
    const actor: Actor | undefined = u && !u.disabled && !u.deleted_at ? { username: u.username, role: u.role } : undefined;
    if (!actor || !canShare(actor, spaceOfKey(r.space), r.mode)) return { state: 'unavailable' };
    const target = r.file_id === null ? undefined : this.q.target(r.file_id);
    // The index row keeps its id through moves and renames; a delete (to the trash) removes it.
    if (!target || target.missing_since !== null || target.space !== r.space || target.type !== r.type) return { state: 'unavailable' };
    if (r.max_uses !== null && r.uses >= r.max_uses) return { state: 'used_up', actor, target };
    return { state: 'active', actor, target };
  }

  // ---- the guest's side -----------------------------------------------------------------------

  /**
   * The link a typed secret names, usable now (else 404 link_not_found, 410 link_expired, link_revoked,
   * link_used_up or link_unavailable). Unknown secrets count against the address (429 after 10).
   * `usedUpOk`: answer a used-up link anyway (its info page says so itself).
   */
  open(typed: string, ip: string, opts: { usedUpOk?: boolean } = {}): OpenLink {
    const ipKey = `guess:${ip}`;
    const wait = this.throttle.retryAfterMs([ipKey]);
    if (wait > 0) throw tooMany(wait);
    const bytes = decodeSecret(typed);
    const row = bytes ? this.q.byHash(hashSecret(bytes)) : undefined;
    // The index finds the row by its hash; comparing again in constant time costs nothing and leaves
    // no doubt that nothing about a stored hash leaks through timing.
    if (!bytes || !row || !crypto.timingSafeEqual(Buffer.from(row.secret_hash, 'hex'), crypto.createHash('sha256').update(bytes).digest())) {
      this.throttle.fail(ipKey, FREE_GUESSES);
      throw notFound('This link does not exist. Check the address, or ask for a new link.', 'link_not_found');
    }
    const s = this.state(row);
    switch (s.state) {
      case 'revoked':
        throw new HttpError('link_revoked', 'This link was withdrawn by the person who shared it.');
      case 'expired':
        throw new HttpError('link_expired', 'This link has expired.');
      case 'unavailable':
        throw new HttpError('link_unavailable', 'What this link shared is no longer available.');
      case 'used_up':
        if (!opts.usedUpOk) throw new HttpError('link_used_up', 'This link has been used as many times as it allows.');
    }
    return { row, ctx: { actor: s.actor!, ip }, space: spaceOfKey(row.space), names: s.target!.path.split('/'), size: s.target!.size };
  }

  info(link: OpenLink, unlocked: boolean): GuestLinkInfo {
    const r = link.row;
    return {
      mode: r.mode,
      type: r.type,
      name: link.names[link.names.length - 1]!,
      expiresAt: new Date(r.expires_at).toISOString(),
      needsPassword: r.password_hash !== null,
      unlocked: r.password_hash === null || unlocked,
      maxUploadBytes: r.max_upload_bytes,
      usesLeft: r.max_uses === null ? null : Math.max(0, r.max_uses - r.uses),
      size: r.type === 'file' ? link.size : null,
    };
  }

  /** Checks a link's password (throttled per address and per link): a signed cookie value, or 401/429. */
  async unlock(link: OpenLink, password: unknown, ip: string): Promise<{ value: string; maxAgeSeconds: number }> {
    const r = link.row;
    if (r.password_hash === null) return this.cookieFor(r);
    const keys = [`guess:${ip}`, `link:${r.id}:${ip}`];
    const wait = this.throttle.retryAfterMs(keys);
    if (wait > 0) throw tooMany(wait);
    // Counted before the hash is checked, so parallel guesses meet the limit like sequential ones.
    this.throttle.fail(keys[0]!, 20);
    this.throttle.fail(keys[1]!);
    const ok = typeof password === 'string' && Buffer.byteLength(password) <= 72 && (await this.hasher.compare(password, r.password_hash));
    if (!ok) throw new HttpError('link_wrong_password', 'Wrong password for this link.');
    this.throttle.forgive(keys[0]!);
    this.throttle.succeed(keys[1]!);
    return this.cookieFor(r);
  }

  private sign(r: LinkRow, until: number): string {
    return crypto.createHmac('sha256', this.cookieKey).update(`${r.id}.${until}.${r.secret_hash}`).digest('base64url');
  }

  private cookieFor(r: LinkRow): { value: string; maxAgeSeconds: number } {
    const until = Math.min(this.clock.now() + UNLOCK_MS, r.expires_at);
    return { value: `${until}.${this.sign(r, until)}`, maxAgeSeconds: Math.max(1, Math.ceil((until - this.clock.now()) / 1000)) };
  }

  /** Whether this cookie value opens the link: signed by this daemon for this link, and not expired. */
  isUnlocked(r: LinkRow, cookie: string | undefined): boolean {
    if (r.password_hash === null) return true;
    const m = /^(\d+)\.([\w-]+)$/.exec(cookie ?? '');
    if (!m) return false;
    const until = Number(m[1]);
    if (until <= this.clock.now()) return false;
    const want = Buffer.from(this.sign(r, until));
    const got = Buffer.from(m[2]!);
    return want.length === got.length && crypto.timingSafeEqual(want, got);
  }

  /** Counts one use (a download, an upload) if any is left: one SQL statement, so parallel guests cannot overrun it. */
  take(link: OpenLink): void {
    if (!this.q.take(link.row.id)) throw new HttpError('link_used_up', 'This link has been used as many times as it allows.');
  }

  giveBack(link: OpenLink): void {
    this.q.giveBack(link.row.id);
  }

  used(link: OpenLink, what: 'download' | 'zip' | 'upload', p: string, detail: Record<string, unknown> = {}): void {
    this.audit.record({
      actor: link.ctx.guest ?? null,
      ip: link.ctx.ip,
      action: 'link_use',
      target: `${link.row.space}:${p}`,
      detail: { link: link.row.id, creator: link.row.creator, what, ...detail },
    });
  }
}

/** The name a guest typed, made fit to appear in a file name ("photo (Alice).jpg") and the audit log. */
export function guestName(raw: unknown): string {
  const s = typeof raw === 'string' ? raw : '';
  // eslint-disable-next-line no-control-regex
  let name = s.normalize('NFC').replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069/\\()]/g, ' ');
  name = name
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 40)
    .replace(/[. ]+$/, '');
  try {
    return name ? validateName(name) : 'guest';
  } catch {
    return 'guest';
  }
}

function parseNames(raw: unknown): string[] {
  if (typeof raw !== 'string') throw badRequest('invalid_path', 'A path must be a string.');
  let s = raw;
  if (s.startsWith('/')) s = s.slice(1);
  if (s.endsWith('/')) s = s.slice(0, -1);
  return s === '' ? [] : s.split('/').map(validateName);
}

function parseExpiry(raw: unknown, now: number): number {
  if (typeof raw === 'string' && raw in EXPIRIES) return now + EXPIRIES[raw]!;
  const at = typeof raw === 'string' && /^\d{4}-\d\d-\d\d/.test(raw) ? Date.parse(raw) : NaN;
  if (!Number.isFinite(at)) throw badRequest('bad_request', '"expires" is "1h", "1d", "7d" or an ISO date.');
  if (at <= now) throw badRequest('bad_request', 'The expiry date is already past.');
  if (at - now > MAX_LIFETIME) throw badRequest('bad_request', 'A link lasts a year at most.');
  return at;
}

function optionalCount(raw: unknown, name: string): number | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 1) throw badRequest('bad_request', `"${name}" is a whole number of at least 1.`);
  return raw;
}

function tooMany(ms: number): HttpError {
  const s = Math.ceil(ms / 1000);
  return new HttpError('too_many_attempts', `Too many attempts; try again in ${s} s.`, { 'Retry-After': String(s) });
}
