// Uploads: every check before a byte is written, the streamed PUT, the commit of a finished file
// (PUT and tus alike), one ledger of bytes promised to unfinished uploads, shutdown's drain, and the
// upload half of crash recovery.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Db } from '../db/connection.js';
import { uploadQueries } from '../db/queries/trash.js';
import { userQueries } from '../db/queries/users.js';
import { HttpError, badRequest, conflict, fromFsError } from '../errors.js';
import { spaceKey, type Space } from '../policy/policy.js';
import type { Audit } from './audit.js';
import type { Clock } from './clock.js';
import type { Trash } from './trash.js';
import { displayPath, existsError, type Ctx, type Entry, type Tree } from './tree.js';

export interface UploadLimit {
  bytes: number;
  error: () => HttpError;
}

export interface UploadRecovery {
  uploadsDiscarded: number;
  uploadsCompleted: number;
  tempFilesRemoved: number;
}

export class Uploads {
  private readonly rows;
  private readonly users;
  /** Uploads in flight, to wait for or abort at shutdown. */
  private readonly inflight = new Map<string, { abort: (err: Error) => void; done: Promise<unknown> }>();
  /** Bytes promised to unfinished uploads (PUT bodies and resumable uploads), by upload id. */
  private readonly ledger = new Map<string, { owner: string; bytes: number }>();
  private draining = false;

  constructor(
    private readonly db: Db,
    private readonly tree: Tree,
    private readonly trash: Trash,
    private readonly audit: Audit,
    private readonly clock: Clock,
  ) {
    this.rows = uploadQueries(db);
    this.users = userQueries(db);
  }

  // ---- the reservation ledger ------------------------------------------------------------------

  /** Promises `bytes` of `owner`'s quota to the unfinished upload `id`. */
  reserve(id: string, owner: string, bytes: number): void {
    this.ledger.set(id, { owner, bytes });
  }

  release(id: string): void {
    this.ledger.delete(id);
  }

  /** Bytes promised to unfinished uploads by this owner. */
  reservedBy(owner: string): number {
    let n = 0;
    for (const r of this.ledger.values()) if (r.owner === owner) n += r.bytes;
    return n;
  }

  // ---- before, during and after the bytes ------------------------------------------------------

  /**
   * Every check an upload passes before a byte is written: permission, the overwrite rule,
   * the quota and the free space. Shared by PUT and resumable (tus) uploads.
   */
  async prepare(ctx: Ctx, space: Space, names: string[], opts: { length?: number; overwrite: boolean }): Promise<{ limit: UploadLimit }> {
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
      if (target.stat.isDirectory()) throw conflict('is_a_directory', `${displayPath(names)} is a folder.`);
      if (!opts.overwrite) throw existsError(names);
      replacing = tree.files.get(key, rel);
      tree.require(actor, 'modify', space, replacing?.owner ?? null);
    }
    // Parents must not be files or symlinks either (resolve checked the existing ones).
    const user = this.users.byName(actor.username);
    const quota = user?.quota_bytes ?? null;
    const credit = replacing && replacing.owner === actor.username ? replacing.size : 0;
    // Summing a user's files costs a scan of their rows: only done when there is a quota to check.
    const used = quota === null ? 0 : tree.files.usageOf(actor.username) - credit + this.reservedBy(actor.username);
    const quotaLeft = quota === null ? Infinity : quota - used;
    const quotaError = () =>
      new HttpError('quota_exceeded', `This upload does not fit in your quota (${quota} bytes, ${Math.max(0, quota! - used)} left).`);
    if (opts.length !== undefined) {
      if (opts.length > quotaLeft) throw quotaError();
      await tree.store.checkFits(opts.length);
      return { limit: { bytes: opts.length, error: () => badRequest('bad_request', 'The body is longer than its Content-Length.') } };
    }
    const writable = await tree.store.writableBytes();
    return {
      limit:
        quotaLeft < writable
          ? { bytes: quotaLeft, error: quotaError }
          : { bytes: writable, error: () => new HttpError('disk_full', 'The drive is full: nothing was written.') },
    };
  }

  /** A PUT: the body streamed to a temp file (hashed, fsynced), then committed. */
  async upload(ctx: Ctx, space: Space, names: string[], source: Readable, opts: { contentLength?: number; overwrite: boolean }): Promise<Entry> {
    const { limit } = await this.prepare(ctx, space, names, { length: opts.contentLength, overwrite: opts.overwrite });
    const { actor } = ctx;
    const id = crypto.randomUUID();
    const tmp = this.tree.store.tmpPath(id);
    this.reserve(id, actor.username, opts.contentLength ?? 0);
    this.rows.insert({ id, space: spaceKey(space), path: names.join('/'), owner: actor.username, started_at: this.clock.now() });
    let abortErr: Error | undefined;
    const work = (async () => {
      const written = await this.tree.store.writeTemp(source, id, limit);
      if (opts.contentLength !== undefined && written.size !== opts.contentLength) {
        throw new HttpError('upload_aborted', 'The upload ended before all its bytes arrived; nothing was saved.');
      }
      if (abortErr) throw abortErr;
      return this.commit(ctx, space, names, tmp, written, opts.overwrite);
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
      this.rows.delete(id);
      this.release(id);
    }
  }

  /**
   * Puts a finished, fsynced temporary file at its place and indexes it. The overwrite rule is
   * checked again here: the place may have been taken while the bytes were arriving.
   */
  async commit(ctx: Ctx, space: Space, names: string[], tmp: string, w: { size: number; sha256: string; mtime: number }, overwrite: boolean): Promise<Entry> {
    const { tree } = this;
    await tree.parentsFor(ctx.actor, space, names);
    const key = spaceKey(space);
    const rel = names.join('/');
    const dest = path.join(tree.root(space), ...names);
    const now = this.clock.now();
    const existing = tree.files.get(key, rel);
    let replaced = false;
    const st = fs.lstatSync(dest, { throwIfNoEntry: false });
    if (st && overwrite) {
      if (!st.isFile()) throw conflict('is_a_directory', `${displayPath(names)} is a folder.`);
      tree.require(ctx.actor, 'modify', space, existing?.owner ?? null);
      // Keep the replaced version in the trash: an overwrite loses nothing either.
      this.trash.keepReplaced(ctx, key, rel, dest, existing, st);
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
    const row = { space: key, path: rel, type: 'file' as const, size: w.size, owner: ctx.actor.username, sha256: w.sha256, created_at: now, mtime: w.mtime };
    this.db.transaction(() => {
      tree.files.upsert(row);
      this.audit.record({ actor: ctx.actor.username, ip: ctx.ip, action: replaced ? 'overwrite' : 'upload', target: `${key}:${displayPath(names)}`, detail: { size: w.size, sha256: w.sha256 } });
    })();
    return tree.entry(ctx.actor, space, { ...row, name: names[names.length - 1]! });
  }

  // ---- shutdown and recovery ------------------------------------------------------------------

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
        files.upsert({ space: u.space, path: u.path, type: 'file', size: st.size, owner: u.owner, sha256: null, created_at: this.clock.now(), mtime: Math.floor(st.mtimeMs) });
        rep.uploadsCompleted++;
      }
      this.rows.delete(u.id);
    }
    for (const name of await fsp.readdir(store.tmpDir)) {
      if (this.isInflight(name)) continue;
      await fsp.rm(path.join(store.tmpDir, name), { recursive: true, force: true });
      rep.tempFilesRemoved++;
    }
    return rep;
  }
}
