// Resumable uploads (tus 1.0: core, creation, creation-with-upload, termination, expiration) through
// @tus/server, mapped onto spaces, permissions, quotas and the overwrite rule exactly like PUT.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Server, type Upload } from '@tus/server';
import { FileStore as TusFileStore } from '@tus/file-store';
import { HttpError, badRequest, errorBody, fromFsError, notFound } from '../errors.js';
import { spaceKey, type Space } from '../policy/policy.js';
import { guestName } from './links.js';
import { parsePathString } from '../storage/paths.js';
import type { Logger } from '../log.js';
import type { Drive } from './drive.js';
import { spaceOfKey, type Ctx } from './tree.js';
import type { Uploads } from './uploads.js';

/** Unfinished uploads are kept this long after creation, then expired by the clean-up job. */
export const TUS_EXPIRY_MS = 24 * 3600 * 1000;

/**
 * Hashes the bytes as they are appended, so a finished upload needs no second read. The running
 * hash lives in memory: after a restart, or a PATCH cut mid-write, the final hash is computed by
 * reading the file once instead.
 */
class HashingStore extends TusFileStore {
  private readonly hashes = new Map<string, { hash: crypto.Hash; offset: number }>();
  /** Told the new offset after each write (the free-space ledger counts what is on disk). */
  onWritten: (id: string, offset: number) => void = () => {};

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    let st = this.hashes.get(id);
    if (offset === 0) {
      st = { hash: crypto.createHash('sha256'), offset: 0 };
      this.hashes.set(id, st);
    } else if (!st || st.offset !== offset) {
      this.hashes.delete(id);
      st = undefined;
    }
    let seen = offset;
    const state = st;
    const source = state
      ? Readable.from(
          (async function* () {
            for await (const chunk of readable as AsyncIterable<Buffer>) {
              state.hash.update(chunk);
              seen += chunk.length;
              yield chunk;
            }
          })(),
        )
      : readable;
    try {
      const next = await super.write(source, id, offset);
      this.onWritten(id, next);
      if (state) {
        if (seen === next) state.offset = next;
        else this.hashes.delete(id);
      }
      return next;
    } catch (err) {
      this.hashes.delete(id);
      // A full disk is the contract's 507, not tus's generic 500.
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw tusError(err);
      throw err;
    }
  }

  /** The SHA-256 of a complete upload: from the running hash when it covers every byte. */
  async digest(id: string, size: number): Promise<string> {
    const st = this.hashes.get(id);
    this.hashes.delete(id);
    if (st && st.offset === size) return st.hash.digest('hex');
    const hash = crypto.createHash('sha256');
    for await (const chunk of fs.createReadStream(path.join(this.directory, id))) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  forget(id: string): void {
    this.hashes.delete(id);
  }

  /** Uploads finished and committed a moment ago, so that tus's own look-up right after still finds them. */
  private readonly finished = new Map<string, Upload>();

  remember(upload: Upload): void {
    this.finished.set(upload.id, upload);
    setTimeout(() => this.finished.delete(upload.id), 60_000).unref();
  }

  override async getUpload(id: string): Promise<Upload> {
    return this.finished.get(id) ?? super.getUpload(id);
  }
}

// @tus/file-store creates its directory the moment it is constructed, i.e. at daemon start, even on
// the bare mount point of an unplugged SSD (HCD_REQUIRE_MOUNT=1). Transfers.load() creates it instead,
// once the storage is there. (The method is private in the typings, hence the cast.)
(HashingStore.prototype as unknown as { checkOrCreateDirectory: () => void }).checkOrCreateDirectory = () => {};

/** tus errors are `{status_code, body}`; ours keep the contract's JSON shape inside the body. */
function tusError(err: unknown): { status_code: number; body: string } {
  const e = err instanceof HttpError ? err : fromFsError(err);
  if (e) return { status_code: e.status, body: JSON.stringify(errorBody(e.code, e.message)) };
  throw err;
}

/**
 * A guest's resumable upload through a drop-box link: always into that folder, under the name of the
 * file (renamed on a clash, never replacing), owned by the link's creator (the Ctx's actor).
 */
export interface GuestUpload {
  link: number;
  space: Space;
  dir: string[];
  maxBytes: number | null;
  /** Counts one use of the link, or throws (410 link_used_up); giveBack undoes it. */
  take(): void;
  giveBack(): void;
  /** Records the finished upload in the audit log (link_use). */
  done(path: string, guest: string, size: number): void;
}

export class Transfers {
  readonly dir: string;
  readonly server: Server;
  private readonly store: HashingStore;
  private readonly ctxOf = new WeakMap<Request, Ctx>();
  private readonly guestOf = new WeakMap<Request, GuestUpload>();
  /** Unfinished uploads (their declared length is reserved in the uploads' ledger). */
  private readonly active = new Set<string>();
  private loaded: Promise<void> | null = null;

  constructor(
    private readonly drive: Drive,
    private readonly uploads: Uploads,
    private readonly log: Logger,
  ) {
    // Under .hcd on the data disk: the finished file is renamed into place, never copied.
    this.dir = drive.store.tusDir;
    this.store = new HashingStore({ directory: this.dir, expirationPeriodInMilliseconds: TUS_EXPIRY_MS });
    this.store.onWritten = (id, offset) => uploads.ledger.progress(id, offset);
    this.server = new Server({
      path: '/api/tus',
      datastore: this.store,
      relativeLocation: true,
      // A finished upload is already in its space; the trash, not tus, is how it goes away.
      disableTerminationForFinishedUploads: true,
      onUploadCreate: (req, upload) => this.onCreate(req as unknown as Request, upload),
      onIncomingRequest: (req, id) => this.onIncoming(req as unknown as Request, id),
      onUploadFinish: (req, upload) => this.onFinish(req as unknown as Request, upload),
    });
  }

  /** Serves one tus request for an authenticated caller. */
  async handle(req: Request, ctx: Ctx, guest?: GuestUpload): Promise<Response> {
    await this.load();
    this.ctxOf.set(req, ctx);
    if (guest) this.guestOf.set(req, guest);
    const res = await this.server.handleWeb(req);
    // @tus/server sends every error body as text/plain; ours are the contract's JSON errors.
    if (res.status === 507) this.log.warn('disk full: resumable upload refused', { user: ctx.actor.username });
    if (res.status >= 400 && res.body) {
      const text = await res.text();
      const headers = new Headers(res.headers);
      if (text.startsWith('{"error":')) headers.set('Content-Type', 'application/json');
      return new Response(text, { status: res.status, headers });
    }
    return res;
  }

  private ctx(req: Request): Ctx {
    const c = this.ctxOf.get(req);
    if (!c) throw tusError(new HttpError('unauthenticated', 'Please log in.'));
    return c;
  }

  /** Rebuilds the reservations of unfinished uploads (they survive restarts on disk). */
  private load(): Promise<void> {
    this.loaded ??= (async () => {
      if (!this.drive.store.available()) {
        this.loaded = null;
        return;
      }
      await fsp.mkdir(this.dir, { recursive: true, mode: 0o750 });
      for (const id of await this.store.configstore.list!()) {
        const u = await this.store.configstore.get(id);
        const owner = u?.metadata?.owner;
        if (u && owner) this.track(id, owner, u.size ?? 0, u.offset);
      }
    })();
    return this.loaded;
  }

  private track(id: string, owner: string, size: number, written: number): void {
    this.active.add(id);
    this.uploads.ledger.reserve(id, owner, size, written);
  }

  private untrack(id: string): void {
    this.active.delete(id);
    this.uploads.ledger.release(id);
  }

  private target(ctx: Ctx, meta: Record<string, string | null> | undefined) {
    const space = meta?.space;
    const file = meta?.path ?? meta?.filename;
    if (!space || !file) throw new HttpError('bad_request', 'Upload-Metadata needs "space" (workspace, home or users/<name>) and "path".');
    // The space goes through the same parser as a URL's path: "workspace/." or "workspace/../x" are
    // refused, and it must name a space exactly (workspace, home or users/<name>), nothing inside one.
    const where = this.drive.resolveSpace(ctx.actor, parsePathString(space));
    if (where.names.length > 0) throw badRequest('invalid_path', '"space" is workspace, home or users/<name>; the folders go in "path".');
    const names = parsePathString(file);
    if (names.length === 0) throw badRequest('invalid_path', 'An upload needs a file name in "path".');
    const flag = (v: string | null | undefined) => v === '1' || v === 'true';
    return { space: where.space, names, overwrite: flag(meta?.overwrite), rename: flag(meta?.rename) };
  }

  /** A guest's target: the link's folder and the file's bare name; the metadata's space is never read. */
  private guestTarget(guest: GuestUpload, meta: Record<string, string | null> | undefined) {
    const file = meta?.filename ?? meta?.path;
    if (!file) throw badRequest('invalid_path', 'Upload-Metadata needs "filename".');
    const names = parsePathString(file);
    if (names.length !== 1) throw badRequest('invalid_path', 'A guest sends files, not folders: "filename" is a bare name.');
    return { space: guest.space, names: [...guest.dir, names[0]!], overwrite: false, rename: 'always' as const };
  }

  private async onCreate(req: Request, upload: Upload) {
    try {
      const ctx = this.ctx(req);
      if (upload.size === undefined)
        throw new HttpError('bad_request', 'Upload-Length is required: the quota and free space are checked before anything is written.');
      const guest = this.guestOf.get(req);
      const guestAs = guest ? guestName(upload.metadata?.guest) : undefined;
      if (guest && guest.maxBytes !== null && upload.size > guest.maxBytes) {
        throw new HttpError('payload_too_large', `Files sent through this link may have ${guest.maxBytes} bytes at most.`);
      }
      const { space, overwrite, rename } = guest ? this.guestTarget(guest, upload.metadata) : this.target(ctx, upload.metadata);
      let { names } = guest ? this.guestTarget(guest, upload.metadata) : this.target(ctx, upload.metadata);
      guest?.take();
      try {
        // Reserves the whole length against the quota and the free space, before a byte is written.
        ({ names } = await this.uploads.prepare(guest ? { ...ctx, guest: guestAs } : ctx, space, names, {
          id: upload.id,
          length: upload.size,
          overwrite,
          rename,
        }));
      } catch (err) {
        this.uploads.ledger.release(upload.id);
        guest?.giveBack();
        throw err;
      }
      this.active.add(upload.id);
      // The canonical space and path, and who may continue this upload.
      return {
        metadata: {
          ...upload.metadata,
          space: spaceKey(space),
          path: names.join('/'),
          overwrite: overwrite ? '1' : '0',
          rename: rename === 'always' ? 'always' : rename ? '1' : '0',
          owner: ctx.actor.username,
          ...(guest ? { link: String(guest.link), guest: guestAs! } : {}),
        },
      };
    } catch (err) {
      throw tusError(err);
    }
  }

  private async onIncoming(req: Request, id: string) {
    const ctx = this.ctx(req);
    if (req.method === 'GET') throw tusError(new HttpError('method_not_allowed', 'Download finished files from /api/fs.'));
    let upload: Upload;
    try {
      upload = await this.store.getUpload(id);
    } catch {
      return; // tus answers 404 itself
    }
    // Another user's upload id is treated as unknown; a guest's, to anyone but a guest of its link.
    const guest = this.guestOf.get(req);
    if (upload.metadata?.owner !== ctx.actor.username || (guest ? upload.metadata?.link !== String(guest.link) : upload.metadata?.link)) {
      throw tusError(notFound('No such upload.'));
    }
    if (req.method === 'DELETE') {
      this.untrack(id);
      this.store.forget(id);
    }
  }

  private async onFinish(req: Request, upload: Upload) {
    const guest = upload.metadata?.guest;
    const ctx = guest ? { ...this.ctx(req), guest } : this.ctx(req);
    const file = path.join(this.dir, upload.id);
    let intent: string | undefined;
    try {
      const meta = upload.metadata ?? {};
      const space = spaceOfKey(meta.space!);
      const names = meta.path!.split('/');
      const fd = fs.openSync(file, 'r');
      let st: fs.Stats;
      try {
        fs.fsyncSync(fd); // durable before it becomes visible
        st = fs.fstatSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      const sha256 = await this.store.digest(upload.id, st.size);
      fs.chmodSync(file, 0o640); // as PUT's files: readable by the daemon's group (backups), nobody else
      // Written down first: a crash between the link and the index is finished at start
      // (Uploads.recover) under this owner, instead of leaving an ownerless file and a 410.
      intent = this.uploads.intendTus(upload.id, meta.space!, names, ctx.actor.username, st.size);
      const entry = await this.uploads.commit(
        ctx,
        space,
        names,
        file,
        { size: st.size, sha256, mtime: Math.floor(st.mtimeMs) },
        meta.overwrite === '1',
        meta.rename === 'always' ? 'always' : meta.rename === '1',
      );
      if (guest) this.guestOf.get(req)?.done(entry.path, guest, st.size);
      // Finished by its creation (an empty file, or creation-with-upload): tus still looks the upload
      // up after this hook to decide on Upload-Expires; answer with what it was.
      upload.offset = st.size;
      this.store.remember(upload);
      // A creation keeps its 201 (and Location); a PATCH that finishes answers 204.
      return {
        status_code: req.method === 'POST' ? 201 : 204,
        headers: { 'X-HCD-Path': encodeURIComponent(entry.path), 'X-HCD-SHA256': sha256 },
        body: JSON.stringify(entry),
      };
    } catch (err) {
      // A refused commit (the name was taken meanwhile, rights changed) ends the upload: a retry gets 404.
      await fsp.rm(file, { force: true });
      throw tusError(err);
    } finally {
      this.untrack(upload.id);
      await this.store.configstore.delete(upload.id).catch(() => {});
      if (intent) this.uploads.forgetIntent(intent);
    }
  }

  /** Removes unfinished uploads older than TUS_EXPIRY_MS; for the scheduled clean-up. */
  async expire(): Promise<number> {
    if (!this.drive.store.available()) return 0;
    await this.load();
    const n = await this.store.deleteExpired();
    const ids = new Set(await this.store.configstore.list!());
    for (const id of [...this.active]) if (!ids.has(id)) this.untrack(id);
    if (n) this.log.info('expired unfinished uploads', { count: n });
    return n;
  }
}
