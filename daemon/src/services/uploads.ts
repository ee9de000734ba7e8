// Uploads: every check before a byte is written, the streamed PUT, the commit of a finished file
// (PUT and tus alike), one ledger of bytes promised to unfinished uploads, shutdown's drain, and the
// upload half of crash recovery.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Db } from '../db/connection.js';
import type { IntentRow } from '../db/queries/intents.js';
import { uploadQueries } from '../db/queries/trash.js';
import { userQueries } from '../db/queries/users.js';
import { fileQueries } from '../db/queries/files.js';
import { HttpError, badRequest, conflict, forbidden, fromFsError } from '../errors.js';
import { can, canFillEmptyFile, spaceKey, spaceOfKey, type Space } from '../policy/policy.js';
import type { Audit } from './audit.js';
import type { Clock } from './clock.js';
import type { WriteResult } from '../storage/file-store.js';
import type { Trash } from './trash.js';
import { displayPath, existsError, type Ctx, type Entry, type Tree } from './tree.js';

/**
 * On a name already taken: false, refuse (409); true, store beside it under a free name when the
 * uploader may not replace it; 'always', store beside it even when they may (guest uploads never replace).
 */
export type Rename = boolean | 'always';

/** What a body may grow to: asked with the bytes so far, refuses with `error()` once past what was granted. */
export interface UploadLimit {
  allow(size: number): boolean;
  error(): HttpError;
}

/**
 * Bodies of unknown length (chunked PUTs) reserve quota in steps of this size as they grow: each step
 * is one synchronous check of the owner's usage, so parallel uploads can never overrun a quota.
 */
const GRANT_STEP = 4 * 1024 * 1024;

export interface UploadRecovery {
  uploadsDiscarded: number;
  uploadsCompleted: number;
  tempFilesRemoved: number;
}

/**
 * The one ledger of bytes promised to unfinished uploads (PUT bodies and resumable uploads), by upload
 * id, with how many of them are already on the disk. Quota checks count the promises; free-space
 * checks count the part not yet written. Restores from the trash are checked against it too.
 */
export class Ledger {
  private readonly entries = new Map<string, { owner: string; bytes: number; written: number }>();
  private readonly users;
  private readonly files;

  constructor(db: Db) {
    this.users = userQueries(db);
    this.files = fileQueries(db);
  }

  /** Promises `bytes` of `owner`'s quota (and of the disk) to the unfinished upload `id`, `written` of them already on disk. */
  reserve(id: string, owner: string, bytes: number, written = 0): void {
    this.entries.set(id, { owner, bytes, written });
  }

  get(id: string) {
    return this.entries.get(id);
  }

  /** How many bytes of upload `id` are on the disk now. */
  progress(id: string, written: number): void {
    const r = this.entries.get(id);
    if (r) r.written = written;
  }

  release(id: string): void {
    this.entries.delete(id);
  }

  /** Bytes promised to unfinished uploads by this owner. */
  reservedBy(owner: string): number {
    let n = 0;
    for (const r of this.entries.values()) if (r.owner === owner) n += r.bytes;
    return n;
  }

  /** Bytes promised to unfinished uploads that are not on the disk yet (all owners but upload `except`). */
  pendingBytes(except?: string): number {
    let n = 0;
    for (const [id, r] of this.entries) if (id !== except) n += Math.max(0, r.bytes - r.written);
    return n;
  }

  /**
   * What the owner's quota leaves beyond upload `id`'s own reservation, with `credit` bytes about to be
   * freed (the file an overwrite replaces). Synchronous (one SQL sum), so check-then-reserve is atomic.
   */
  quotaLeft(owner: string, credit = 0, id?: string): { bytes: number; error: () => HttpError } {
    const quota = this.users.byName(owner)?.quota_bytes ?? null;
    if (quota === null) return { bytes: Infinity, error: () => new HttpError('quota_exceeded', 'Over quota.') };
    const own = id === undefined ? 0 : (this.entries.get(id)?.bytes ?? 0);
    const used = this.files.usageOf(owner) - credit + this.reservedBy(owner) - own;
    const left = Math.max(0, quota - used);
    return { bytes: left, error: () => new HttpError('quota_exceeded', `This does not fit in your quota (${quota} bytes, ${left} left).`) };
  }

  /**
   * Checks that `bytes` more fit in the owner's quota and promises them to `id`, in one synchronous
   * step (413 otherwise). For bytes that come back without being written (a restore is a rename):
   * they count against the quota, not against the free space.
   */
  reserveWithin(id: string, owner: string, bytes: number): void {
    const left = this.quotaLeft(owner);
    if (bytes > left.bytes) throw left.error();
    this.reserve(id, owner, bytes, bytes);
  }
}

export class Uploads {
  private readonly rows;
  private readonly users;
  /** Uploads in flight, to wait for or abort at shutdown. */
  private readonly inflight = new Map<string, { abort: (err: Error) => void; done: Promise<unknown> }>();
  private draining = false;

  constructor(
    private readonly db: Db,
    readonly ledger: Ledger,
    private readonly tree: Tree,
    private readonly trash: Trash,
    private readonly audit: Audit,
    private readonly clock: Clock,
  ) {
    this.rows = uploadQueries(db);
    this.users = userQueries(db);
  }

  // ---- before, during and after the bytes ------------------------------------------------------

  /**
   * Every check an upload passes before a byte is written — permission, the overwrite rule, the quota
   * and the free space — and the reservation of its bytes under `id`, made in the same synchronous step
   * as the checks (after the last await), so that uploads racing each other cannot all pass.
   * Shared by PUT and resumable (tus) uploads; the caller releases `id` when the upload ends.
   */
  async prepare(
    ctx: Ctx,
    space: Space,
    names: string[],
    opts: { id: string; length?: number; overwrite: boolean; rename?: Rename },
  ): Promise<{ limit: UploadLimit; names: string[] }> {
    if (this.draining) throw new HttpError('shutting_down', 'The drive is shutting down; try again in a moment.');
    if (names.length === 0) throw badRequest('invalid_path', 'An upload needs a file name.');
    const { actor } = ctx;
    const { tree } = this;
    tree.require(actor, 'create', space);
    await tree.store.ensureAvailable();
    const key = spaceKey(space);
    const rel = names.join('/');
    const target = await tree.resolve(space, names);
    let replacing: ReturnType<Tree['files']['get']>;
    if (target.stat) {
      const owner = tree.files.get(key, rel)?.owner ?? null;
      // Someone who may replace the file is asked (409, or ?overwrite=1); anyone else's same-name
      // upload in a shared space is kept beside it under a free name, never refused.
      const filling = target.stat.isFile() && canFillEmptyFile(actor, space, owner, target.stat.size);
      const mayReplace = target.stat.isFile() && (can(actor, 'modify', space, owner) || filling);
      if (opts.rename === 'always' || (opts.rename && !mayReplace)) {
        names = await this.freeName(ctx.guest ?? actor.username, space, names);
      } else {
        if (target.stat.isDirectory()) throw conflict('is_a_directory', `${displayPath(names)} is a folder.`);
        if (!opts.overwrite) throw existsError(names);
        replacing = tree.files.get(key, rel);
        if (!filling) tree.require(actor, 'modify', space, replacing?.owner ?? null);
      }
    }
    const credit = replacing && replacing.owner === actor.username ? replacing.size : 0;
    return { names, limit: await this.grant(actor.username, opts.id, opts.length, credit) };
  }

  /**
   * The quota and free-space half of the checks, and the reservation of the bytes under `id`: after
   * the one await (statfs), the checks and the promise are one synchronous step, so that uploads
   * racing each other cannot all pass. `credit`: bytes of the owner's that the upload will free (the
   * file it replaces).
   */
  private async grant(owner: string, id: string, length: number | undefined, credit: number): Promise<UploadLimit> {
    const writable = await this.tree.store.writableBytes(length === undefined || length > GRANT_STEP);
    // ---- from here to the reservation, no await: the checks and the promise are one step.
    const diskLeft = writable - this.ledger.pendingBytes(id);
    const diskFull = () => new HttpError('disk_full', 'The drive is full: nothing was written.');
    if (length !== undefined) {
      const left = this.ledger.quotaLeft(owner, credit, id);
      if (length > left.bytes) throw left.error();
      if (length > diskLeft) throw diskFull();
      this.ledger.reserve(id, owner, length);
      return {
        allow: (size) => (this.ledger.progress(id, size), size <= length),
        error: () => badRequest('bad_request', 'The body is longer than its Content-Length.'),
      };
    }
    // Unknown length: quota granted in steps as the body grows; the disk bounded by what was free at the start.
    this.ledger.reserve(id, owner, 0);
    let error = diskFull;
    return {
      allow: (size) => {
        this.ledger.progress(id, size);
        const r = this.ledger.get(id);
        if (!r) return false;
        if (size > diskLeft) return ((error = diskFull), false);
        if (size <= r.bytes) return true;
        const left = this.ledger.quotaLeft(owner, credit, id);
        const want = Math.max(size, r.bytes + GRANT_STEP);
        if (left.bytes >= want) r.bytes = want;
        else if (left.bytes >= size) r.bytes = left.bytes;
        else return ((error = left.error), false);
        return true;
      },
      error: () => error(),
    };
  }

  /** A PUT: the body streamed to a temp file (hashed, fsynced), then committed. */
  async upload(
    ctx: Ctx,
    space: Space,
    names: string[],
    source: Readable,
    opts: { contentLength?: number; overwrite: boolean; rename?: Rename },
  ): Promise<Entry & { path: string }> {
    const { actor } = ctx;
    const id = crypto.randomUUID();
    let limit: UploadLimit;
    try {
      ({ limit, names } = await this.prepare(ctx, space, names, { id, length: opts.contentLength, overwrite: opts.overwrite, rename: opts.rename }));
    } catch (err) {
      this.ledger.release(id);
      throw err;
    }
    this.rows.insert({ id, space: spaceKey(space), path: names.join('/'), owner: actor.username, started_at: this.clock.now() });
    try {
      return await this.stream(id, source, limit, opts.contentLength, (tmp, written) =>
        this.commit(ctx, space, names, tmp, written, opts.overwrite, opts.rename),
      );
    } finally {
      this.rows.delete(id);
    }
  }

  /**
   * A body that goes outside the spaces (a hand-in's file): the same checks as any upload (shutdown,
   * the SSD present, the owner's quota, the free space), the same temp file (hashed, fsynced), the same
   * tracking for shutdown's drain. `place` puts the finished temp file where it belongs, with the
   * caller's rights of now (403 if the account was disabled meanwhile). A crash before `place` leaves
   * only a temp file, which recover() removes at the next start.
   */
  async receive<T>(
    ctx: Ctx,
    source: Readable,
    opts: { contentLength?: number; credit?: number },
    place: (tmp: string, written: WriteResult, ctx: Ctx) => Promise<T>,
  ): Promise<T> {
    if (this.draining) throw new HttpError('shutting_down', 'The drive is shutting down; try again in a moment.');
    const id = crypto.randomUUID();
    let limit: UploadLimit;
    try {
      await this.tree.store.ensureAvailable();
      limit = await this.grant(ctx.actor.username, id, opts.contentLength, opts.credit ?? 0);
    } catch (err) {
      this.ledger.release(id);
      throw err;
    }
    return this.stream(id, source, limit, opts.contentLength, (tmp, written) => place(tmp, written, this.current(ctx)));
  }

  /** Streams a body into the temp file `id` within `limit`, then `finish`es it; the temp file and the reservation go in any case. */
  private async stream<T>(
    id: string,
    source: Readable,
    limit: UploadLimit,
    contentLength: number | undefined,
    finish: (tmp: string, written: WriteResult) => Promise<T>,
  ): Promise<T> {
    const tmp = this.tree.store.tmpPath(id);
    let abortErr: Error | undefined;
    const work = (async () => {
      // Iterated without destroying the source on an early stop: a body refused partway (413, 507) is
      // left to the route, which reads the rest so the client gets the answer rather than a reset.
      const written = await this.tree.store.writeTemp(source.iterator({ destroyOnReturn: false }), id, limit);
      if (contentLength !== undefined && written.size !== contentLength) {
        throw new HttpError('upload_aborted', 'The upload ended before all its bytes arrived; nothing was saved.');
      }
      if (abortErr) throw abortErr;
      return finish(tmp, written);
    })();
    this.inflight.set(id, {
      abort: (err) => {
        abortErr = err;
        source.destroy(err);
      },
      done: work.catch(() => {}),
    });
    try {
      return await work;
    } catch (err) {
      // The client went away mid-body (closed tab, dropped Wi-Fi): expected, not a server fault.
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      if (!(err instanceof HttpError) && (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE')) {
        throw new HttpError('upload_aborted', 'The upload ended before all its bytes arrived; nothing was saved.');
      }
      throw fromFsError(err) ?? err;
    } finally {
      this.tree.store.removeTemp(id); // a no-op once committed: the link or rename took the file
      this.inflight.delete(id);
      this.ledger.release(id);
    }
  }

  /**
   * Puts a finished, fsynced temporary file at its place and indexes it. The overwrite rule is
   * checked again here: the place may have been taken while the bytes were arriving.
   */
  async commit(
    caller: Ctx,
    space: Space,
    names: string[],
    tmp: string,
    w: { size: number; sha256: string; mtime: number },
    overwrite: boolean,
    rename: Rename = false,
  ): Promise<Entry & { path: string }> {
    const { tree } = this;
    // The rights of now, not of when the upload began: a long or resumed upload by someone demoted,
    // disabled or deleted meanwhile must not land where they may no longer write.
    const ctx = this.current(caller);
    tree.require(ctx.actor, 'create', space);
    await tree.parentsFor(ctx.actor, space, names);
    const key = spaceKey(space);
    let rel = names.join('/');
    let dest = path.join(tree.root(space), ...names);
    const now = this.clock.now();
    const existing = tree.files.get(key, rel);
    let replaced = false;
    const st = fs.lstatSync(dest, { throwIfNoEntry: false });
    const filling = !!st && st.isFile() && canFillEmptyFile(ctx.actor, space, existing?.owner, st.size);
    const mayReplace = !!st && st.isFile() && (can(ctx.actor, 'modify', space, existing?.owner ?? null) || filling);
    if (st && (rename === 'always' || (rename && !mayReplace))) {
      // Taken while the bytes were arriving (two pupils, one name, the same second): another free name,
      // and link(2) settles any race that is left.
      for (let attempt = 0; ; attempt++) {
        names = await this.freeName(ctx.guest ?? ctx.actor.username, space, names);
        rel = names.join('/');
        dest = path.join(tree.root(space), ...names);
        try {
          tree.store.commitFile(tmp, dest, false);
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 20) throw err;
        }
      }
    } else if (st && overwrite) {
      if (!st.isFile()) throw conflict('is_a_directory', `${displayPath(names)} is a folder.`);
      // Keep the replaced version in the trash: an overwrite loses nothing either (an empty file its
      // uploader fills holds nothing to keep).
      if (!filling) {
        tree.require(ctx.actor, 'modify', space, existing?.owner ?? null);
        this.trash.keepReplaced(ctx, key, rel, dest, existing, st);
      }
      tree.store.commitFile(tmp, dest, true);
      replaced = true;
    } else {
      try {
        tree.store.commitFile(tmp, dest, false);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(names);
        throw err;
      }
    }
    await tree.store.syncDir(path.dirname(dest));
    const row = {
      space: key,
      path: rel,
      type: 'file' as const,
      size: w.size,
      owner: ctx.actor.username,
      sha256: w.sha256,
      created_at: now,
      mtime: w.mtime,
      guest_name: ctx.guest ?? null,
    };
    this.db.transaction(() => {
      tree.files.upsert(row);
      this.audit.record({
        actor: ctx.actor.username,
        ip: ctx.ip,
        via: ctx.via,
        action: replaced ? 'overwrite' : 'upload',
        target: `${key}:${displayPath(names)}`,
        detail: { size: w.size, sha256: w.sha256, ...(ctx.guest !== undefined ? { guest: ctx.guest } : {}) },
      });
    })();
    // Acknowledged only once the index row is on stable storage (group commit with other uploads).
    await tree.commits.sync();
    return { ...tree.entry(ctx.actor, space, { ...row, name: names[names.length - 1]! }), path: displayPath(names) };
  }

  /**
   * The first free name beside `names` for this uploader: "compte_rendu (eleve12).pdf", then
   * "compte_rendu (eleve12 2).pdf"… (the extension kept, so phones still open it with the right app).
   */
  private async freeName(username: string, space: Space, names: string[]): Promise<string[]> {
    const name = names[names.length - 1]!;
    const dot = name.lastIndexOf('.');
    const stem = dot > 0 ? name.slice(0, dot) : name;
    const ext = dot > 0 ? name.slice(dot) : '';
    for (let n = 1; n < 1000; n++) {
      const tag = n === 1 ? ` (${username})` : ` (${username} ${n})`;
      // Within ext4's 255 bytes per name: the stem gives way (whole characters, never half of one).
      let s = stem;
      while (Buffer.byteLength(s + tag + ext) > 255 && s.length > 1) s = [...s].slice(0, -1).join('');
      const candidate = [...names.slice(0, -1), s + tag + ext];
      const r = await this.tree.resolve(space, candidate);
      if (!r.stat) return candidate;
    }
    throw conflict('exists', `${displayPath(names)} and a thousand variants of its name are taken.`);
  }

  /** Resolves once the database changes committed so far are on stable storage (the index's group commit). */
  durable(): Promise<void> {
    return this.tree.commits.sync();
  }

  /** Writes down that a finished resumable upload is about to be put in place (see recover). */
  intendTus(uploadId: string, space: string, names: string[], owner: string, size: number): string {
    return this.tree.intend('tus', space, uploadId, names.join('/'), owner, { size });
  }

  forgetIntent(id: string): void {
    this.tree.intents.delete(id);
  }

  /** The caller with the role its account has now; 403 if the account was disabled or deleted. */
  private current(ctx: Ctx): Ctx {
    const row = this.users.byName(ctx.actor.username);
    if (!row || row.disabled || row.deleted_at) throw forbidden('This account is no longer active: the upload was not saved.');
    return row.role === ctx.actor.role ? ctx : { ...ctx, actor: { username: row.username, role: row.role } };
  }

  // ---- shutdown and recovery ------------------------------------------------------------------

  /**
   * A resumable upload whose finish a crash interrupted: every byte had arrived. Put in place if the
   * link never happened, indexed under its owner if the index never learned of it; its tus files go.
   */
  private async recoverTusFinish(it: IntentRow): Promise<boolean> {
    const { store, files } = this.tree;
    const data = path.join(store.tusDir, it.path);
    const size = (JSON.parse(it.detail ?? '{}') as { size?: number }).size;
    const names = it.target.split('/');
    const dest = path.join(store.spaceRoot(it.space), ...names);
    let done = false;
    const dataSt = fs.lstatSync(data, { throwIfNoEntry: false });
    let st = fs.lstatSync(dest, { throwIfNoEntry: false });
    if (!st && dataSt?.isFile() && dataSt.size === size && it.actor) {
      await this.tree.ensureParents({ username: it.actor, role: 'user' }, spaceOfKey(it.space), names.slice(0, -1));
      store.commitFile(data, dest, false);
      await store.syncDir(path.dirname(dest));
      st = fs.lstatSync(dest, { throwIfNoEntry: false });
    }
    const row = files.get(it.space, it.target);
    if (st?.isFile() && (!row || row.owner === null || row.size !== st.size)) {
      files.upsert({
        space: it.space,
        path: it.target,
        type: 'file',
        size: st.size,
        owner: it.actor,
        sha256: null,
        created_at: this.clock.now(),
        mtime: Math.floor(st.mtimeMs),
      });
      done = true;
    }
    if (st?.isFile()) {
      await fsp.rm(data, { force: true });
      await fsp.rm(`${data}.json`, { force: true });
    }
    return done;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Whether the upload with this id (its temp file's name) is being received right now. */
  isInflight(id: string): boolean {
    return this.inflight.has(id);
  }

  /** Stops taking uploads, waits up to graceMs for those in flight, then aborts the rest. */
  async drain(graceMs: number): Promise<{ finished: number; aborted: number }> {
    this.draining = true;
    const all = [...this.inflight.values()];
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(all.map((u) => u.done)), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    const left = [...this.inflight.values()];
    for (const u of left) u.abort(new HttpError('shutting_down', 'The drive shut down during this upload; nothing was saved.'));
    await Promise.all(left.map((u) => u.done));
    return { finished: all.length - left.length, aborted: left.length };
  }

  /**
   * Finishes or discards the PUTs a crash interrupted: a temp file is dropped, a file already renamed
   * into place is indexed. Uploads in flight now (an SSD plugged in while the daemon runs) are left alone.
   */
  async recover(): Promise<UploadRecovery> {
    const { store, files } = this.tree;
    const rep: UploadRecovery = { uploadsDiscarded: 0, uploadsCompleted: 0, tempFilesRemoved: 0 };
    for (const u of this.rows.all()) {
      if (this.isInflight(u.id)) continue;
      const tmp = store.tmpPath(u.id);
      if (fs.existsSync(tmp)) {
        fs.rmSync(tmp, { force: true });
        rep.uploadsDiscarded++;
      }
      // The rename may have happened before the crash while the index did not learn of it.
      const dest = path.join(store.spaceRoot(u.space), ...u.path.split('/'));
      const st = fs.lstatSync(dest, { throwIfNoEntry: false });
      const row = files.get(u.space, u.path);
      if (st?.isFile() && (!row || row.size !== st.size || row.mtime !== Math.floor(st.mtimeMs))) {
        files.upsert({
          space: u.space,
          path: u.path,
          type: 'file',
          size: st.size,
          owner: u.owner,
          sha256: null,
          created_at: this.clock.now(),
          mtime: Math.floor(st.mtimeMs),
        });
        rep.uploadsCompleted++;
      }
      this.rows.delete(u.id);
    }
    for (const name of await fsp.readdir(store.tmpDir)) {
      if (this.isInflight(name)) continue;
      await fsp.rm(path.join(store.tmpDir, name), { recursive: true, force: true });
      rep.tempFilesRemoved++;
    }
    for (const it of this.tree.intents.all()) {
      if (it.kind !== 'tus') continue;
      if (await this.recoverTusFinish(it)) rep.uploadsCompleted++;
      this.tree.intents.delete(it.id);
    }
    return rep;
  }
}
