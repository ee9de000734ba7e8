// The drive: spaces, listing, reading, uploads, folders, moves, deletes to trash, restores and purges.
// Domain rules only (no HTTP): routes validate input and call these methods.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import type { DeleteResponse, Entry, EntryType, Listing, TrashItem as TrashItemJson, TrashList } from '../api-types.js';
import type { Db } from '../db/connection.js';
import { fileQueries, type FileRow } from '../db/queries/files.js';
import { trashQueries, uploadQueries, type TrashRow } from '../db/queries/trash.js';
import { userQueries } from '../db/queries/users.js';
import { HttpError, badRequest, conflict, forbidden, fromFsError, notFound } from '../errors.js';
import { can, canManageTrashItem, hasContainer, ownersAllow, spaceKey, type Actor, type Space } from '../policy/policy.js';
import { FileStore } from '../storage/file-store.js';
import { resolveInside, type Resolved } from '../storage/paths.js';
import { USERNAME_RULE } from './accounts.js';
import type { Audit } from './audit.js';
import type { Clock } from './clock.js';

export interface Ctx {
  actor: Actor;
  ip: string | null;
}

interface TrashItem {
  path: string; // relative to the trashed entry ('' for the entry itself)
  type: EntryType;
  size: number;
  owner: string | null;
  sha256: string | null;
  created_at: number;
  mtime: number;
}

export const displayPath = (names: readonly string[]) => '/' + names.join('/');

export interface UploadLimit {
  bytes: number;
  error: () => HttpError;
}

const existsError = (names: string[]) =>
  conflict('exists', `${displayPath(names)} already exists. Send ?overwrite=1 to replace it (if you may delete it).`);

export class Drive {
  readonly files;
  readonly trash;
  readonly uploads;
  private readonly users;
  /** Uploads in flight, to wait for or abort at shutdown. */
  private readonly inflight = new Map<string, { abort: (err: Error) => void; done: Promise<unknown> }>();
  /** Bytes promised to uploads in flight, per owner, so concurrent uploads cannot overrun a quota. */
  private readonly reserved = new Map<string, number>();
  private draining = false;

  constructor(
    private readonly db: Db,
    readonly store: FileStore,
    private readonly audit: Audit,
    private readonly clock: Clock,
  ) {
    this.files = fileQueries(db);
    this.trash = trashQueries(db);
    this.uploads = uploadQueries(db);
    this.users = userQueries(db);
  }

  // ---- spaces -------------------------------------------------------------------------------

  /** Turns the first names of a path into a space ("workspace", "home", "users/<name>") and the rest. */
  resolveSpace(actor: Actor, names: readonly string[]): { space: Space; names: string[] } {
    const [first, ...rest] = names;
    if (first === 'workspace') return { space: { kind: 'workspace' }, names: rest };
    if (first === 'home') {
      if (!hasContainer(actor)) throw forbidden('Normal users have no private container; use the shared workspace.');
      return { space: { kind: 'container', username: actor.username }, names: rest };
    }
    if (first === 'users') {
      const [name, ...inner] = rest;
      if (!name || !USERNAME_RULE.test(name)) throw notFound('No such container.', 'no_such_user');
      const space: Space = { kind: 'container', username: name };
      if (!can(actor, 'read', space)) throw forbidden("Only administrators may open other users' containers.");
      if (!this.users.byName(name) && !fs.existsSync(this.store.spaceRoot(spaceKey(space)))) {
        throw notFound(`No user "${name}".`, 'no_such_user');
      }
      return { space, names: inner };
    }
    throw notFound('No such space: use workspace, home or users/<name>.');
  }

  private root(space: Space): string {
    return this.store.spaceRoot(spaceKey(space));
  }

  private async resolve(space: Space, names: readonly string[]): Promise<Resolved> {
    return resolveInside(this.root(space), names);
  }

  private require(actor: Actor, action: 'read' | 'create' | 'modify', space: Space, owner?: string | null): void {
    if (can(actor, action, space, owner)) return;
    if (action === 'modify') {
      throw forbidden(
        actor.role === 'user'
          ? 'Your account may upload and download, but not change or delete files.'
          : 'You may only change or delete files you uploaded yourself.',
      );
    }
    throw forbidden('You are not allowed to do this here.');
  }

  private entry(actor: Actor, space: Space, row: Pick<FileRow, 'name' | 'type' | 'size' | 'mtime' | 'owner'>): Entry {
    return {
      name: row.name,
      type: row.type,
      size: row.type === 'file' ? row.size : 0,
      mtime: new Date(row.mtime).toISOString(),
      owner: row.owner,
      // For a folder this reflects its own owner; a delete re-checks every entry inside.
      canDelete: can(actor, 'modify', space, row.owner),
    };
  }

  // ---- reading ------------------------------------------------------------------------------

  async stat(ctx: Ctx, space: Space, names: string[]) {
    this.require(ctx.actor, 'read', space);
    if (!this.store.available()) throw new HttpError('storage_unavailable', 'The storage drive is not connected.');
    const r = await this.resolve(space, names);
    if (!r.stat) {
      if (names.length === 0) return { kind: 'dir' as const, abs: r.abs };
      throw notFound(`Nothing at ${displayPath(names)}.`);
    }
    if (r.stat.isDirectory()) return { kind: 'dir' as const, abs: r.abs };
    if (!r.stat.isFile()) throw forbidden('Only regular files and folders can be read.');
    return { kind: 'file' as const, abs: r.abs, stat: r.stat };
  }

  list(ctx: Ctx, space: Space, names: string[]) {
    const rows = this.files.list(spaceKey(space), names.join('/'));
    return { path: displayPath(names), space: spaceKey(space), entries: rows.map((r) => this.entry(ctx.actor, space, r)) } satisfies Listing;
  }

  /** The files under a folder, for a zip download: [path inside the folder, absolute path, row]. */
  async zipList(ctx: Ctx, space: Space, names: string[]) {
    const key = spaceKey(space);
    const base = names.join('/');
    const rows = base === '' ? this.files.inSpace(key) : this.files.subtree(key, base);
    const root = this.root(space);
    const out: { name: string; abs: string; row: FileRow }[] = [];
    for (const row of rows) {
      if (row.missing_since !== null || row.path === base) continue;
      const rel = base === '' ? row.path : row.path.slice(base.length + 1);
      out.push({ name: row.type === 'dir' ? rel + '/' : rel, abs: path.join(root, ...row.path.split('/')), row });
    }
    out.sort((a, b) => (a.name < b.name ? -1 : 1));
    return out;
  }

  // ---- uploads ------------------------------------------------------------------------------

  /**
   * Every check an upload passes before a byte is written: permission, the overwrite rule,
   * the quota and the free space. Shared by PUT and resumable (tus) uploads.
   */
  async prepareUpload(ctx: Ctx, space: Space, names: string[], opts: { length?: number; overwrite: boolean }): Promise<{ limit: UploadLimit }> {
    if (this.draining) throw new HttpError('shutting_down', 'The drive is shutting down; try again in a moment.');
    if (names.length === 0) throw badRequest('invalid_path', 'An upload needs a file name.');
    const { actor } = ctx;
    this.require(actor, 'create', space);
    await this.store.ensureAvailable();
    const key = spaceKey(space);
    const rel = names.join('/');
    const target = await this.resolve(space, names);
    let replacing: FileRow | undefined;
    if (target.stat) {
      if (target.stat.isDirectory()) throw conflict('is_a_directory', `${displayPath(names)} is a folder.`);
      if (!opts.overwrite) throw existsError(names);
      replacing = this.files.get(key, rel);
      this.require(actor, 'modify', space, replacing?.owner ?? null);
    }
    // Parents must not be files or symlinks either (resolve checked the existing ones).
    const user = this.users.byName(actor.username);
    const quota = user?.quota_bytes ?? null;
    const credit = replacing && replacing.owner === actor.username ? replacing.size : 0;
    // Summing a user's files costs a scan of their rows: only done when there is a quota to check.
    const used = quota === null ? 0 : this.files.usageOf(actor.username) - credit + this.reservedBy(actor.username);
    const quotaLeft = quota === null ? Infinity : quota - used;
    const quotaError = () =>
      new HttpError('quota_exceeded', `This upload does not fit in your quota (${quota} bytes, ${Math.max(0, quota! - used)} left).`);
    if (opts.length !== undefined) {
      if (opts.length > quotaLeft) throw quotaError();
      await this.store.checkFits(opts.length);
      return { limit: { bytes: opts.length, error: () => badRequest('bad_request', 'The body is longer than its Content-Length.') } };
    }
    const writable = await this.store.writableBytes();
    return {
      limit:
        quotaLeft < writable
          ? { bytes: quotaLeft, error: quotaError }
          : { bytes: writable, error: () => new HttpError('disk_full', 'The drive is full: nothing was written.') },
    };
  }

  /** Bytes promised to uploads in flight by this owner (PUT bodies and unfinished resumable uploads). */
  reservedBy(owner: string): number {
    return (this.reserved.get(owner) ?? 0) + (this.externalReservations?.(owner) ?? 0);
  }

  /** Set by the resumable-upload service: bytes its unfinished uploads have promised, per owner. */
  externalReservations?: (owner: string) => number;

  async upload(
    ctx: Ctx,
    space: Space,
    names: string[],
    source: Readable,
    opts: { contentLength?: number; overwrite: boolean },
  ): Promise<Entry> {
    const { limit } = await this.prepareUpload(ctx, space, names, { length: opts.contentLength, overwrite: opts.overwrite });
    const { actor } = ctx;
    const id = crypto.randomUUID();
    const tmp = this.store.tmpPath(id);
    const reserve = opts.contentLength ?? 0;
    this.reserved.set(actor.username, (this.reserved.get(actor.username) ?? 0) + reserve);
    this.uploads.insert({ id, space: spaceKey(space), path: names.join('/'), owner: actor.username, started_at: this.clock.now() });
    let abortErr: Error | undefined;
    const work = (async () => {
      const written = await this.store.writeTemp(source, id, limit);
      if (opts.contentLength !== undefined && written.size !== opts.contentLength) {
        throw new HttpError('upload_aborted', 'The upload ended before all its bytes arrived; nothing was saved.');
      }
      if (abortErr) throw abortErr;
      return this.commitUpload(ctx, space, names, tmp, written, opts.overwrite);
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
      this.store.removeTemp(id); // a no-op once committed: the link or rename took the file
      this.inflight.delete(id);
      this.uploads.delete(id);
      this.reserved.set(actor.username, (this.reserved.get(actor.username) ?? 0) - reserve);
    }
  }

  /**
   * Puts a finished, fsynced temporary file at its place and indexes it. The overwrite rule is
   * checked again here: the place may have been taken while the bytes were arriving.
   */
  async commitUpload(ctx: Ctx, space: Space, names: string[], tmp: string, w: { size: number; sha256: string; mtime: number }, overwrite: boolean): Promise<Entry> {
    const dirs = names.slice(0, -1);
    // Most uploads go into folders that exist: look before creating (one lstat, not a mkdir per level).
    const parent = fs.lstatSync(path.join(this.root(space), ...dirs), { throwIfNoEntry: false });
    if (parent?.isDirectory() && !parent.isSymbolicLink()) this.indexParents(ctx.actor, space, dirs);
    else await this.ensureParents(ctx.actor, space, dirs);
    const key = spaceKey(space);
    const rel = names.join('/');
    const dest = path.join(this.root(space), ...names);
    const now = this.clock.now();
    const existing = this.files.get(key, rel);
    let replaced = false;
    const st = fs.lstatSync(dest, { throwIfNoEntry: false });
    if (st && overwrite) {
      if (!st.isFile()) throw conflict('is_a_directory', `${displayPath(names)} is a folder.`);
      this.require(ctx.actor, 'modify', space, existing?.owner ?? null);
      // Keep the replaced version in the trash: an overwrite loses nothing either.
      const stored = crypto.randomUUID();
      this.db.transaction(() => {
        this.trash.insert({
          space: key,
          path: rel,
          type: 'file',
          size: st.size,
          owner: existing?.owner ?? null,
          deleted_by: ctx.actor.username,
          deleted_at: now,
          reason: 'overwrite',
          stored,
          items: JSON.stringify([itemOf(existing, '', st)]),
        });
        // A hard link keeps the old bytes while rename swaps the name atomically: dest always holds a whole file.
        fs.linkSync(dest, path.join(this.store.trashDir, stored));
      })();
      this.store.commitFile(tmp, dest, true);
      replaced = true;
    } else {
      try {
        this.store.commitFile(tmp, dest, false);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(names);
        throw err;
      }
    }
    await this.store.syncDir(path.dirname(dest));
    const row = { space: key, path: rel, type: 'file' as const, size: w.size, owner: ctx.actor.username, sha256: w.sha256, created_at: now, mtime: w.mtime };
    this.db.transaction(() => {
      this.files.upsert(row);
      this.audit.record({ actor: ctx.actor.username, ip: ctx.ip, action: replaced ? 'overwrite' : 'upload', target: `${key}:${displayPath(names)}`, detail: { size: w.size, sha256: w.sha256 } });
    })();
    return this.entry(ctx.actor, space, { ...row, name: names[names.length - 1]! });
  }

  /** Index rows for existing parent folders that lack one (made outside the API), owned by the actor. */
  private indexParents(actor: Actor, space: Space, dirs: string[]): void {
    const key = spaceKey(space);
    const now = this.clock.now();
    for (let i = 1; i <= dirs.length; i++) {
      this.files.insertIgnore({ space: key, path: dirs.slice(0, i).join('/'), type: 'dir', size: 0, owner: actor.username, sha256: null, created_at: now, mtime: now });
    }
  }

  /** Creates missing parent folders on disk and in the index, owned by the actor. */
  private async ensureParents(actor: Actor, space: Space, dirs: string[]): Promise<void> {
    const root = this.root(space);
    await fsp.mkdir(root, { recursive: true, mode: 0o750 });
    const key = spaceKey(space);
    let cur = root;
    for (let i = 0; i < dirs.length; i++) {
      cur = path.join(cur, dirs[i]!);
      try {
        await fsp.mkdir(cur, { mode: 0o750 });
        await this.store.syncDir(path.dirname(cur));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const st = await fsp.lstat(cur);
        if (st.isSymbolicLink()) throw forbidden('This path goes through a symbolic link.', 'symlink_refused');
        if (!st.isDirectory()) throw conflict('not_a_directory', `"${dirs.slice(0, i + 1).join('/')}" is a file, not a folder.`);
      }
      const now = this.clock.now();
      this.files.insertIgnore({ space: key, path: dirs.slice(0, i + 1).join('/'), type: 'dir', size: 0, owner: actor.username, sha256: null, created_at: now, mtime: now });
    }
  }

  // ---- folders, moves -----------------------------------------------------------------------

  async mkdir(ctx: Ctx, space: Space, names: string[]): Promise<Entry> {
    if (names.length === 0) throw badRequest('invalid_path', 'A folder needs a name.');
    this.require(ctx.actor, 'create', space);
    await this.store.ensureAvailable();
    const r = await this.resolve(space, names);
    if (r.stat) throw conflict('exists', `${displayPath(names)} already exists.`);
    await this.ensureParents(ctx.actor, space, names);
    this.audit.record({ actor: ctx.actor.username, ip: ctx.ip, action: 'mkdir', target: `${spaceKey(space)}:${displayPath(names)}` });
    return this.entry(ctx.actor, space, this.files.get(spaceKey(space), names.join('/'))!);
  }

  /** Checks that the actor may modify (delete, move, overwrite) the entry and everything under it. */
  private requireModifyTree(actor: Actor, space: Space, rel: string, isDir: boolean): void {
    const key = spaceKey(space);
    if (!isDir) return this.require(actor, 'modify', space, this.files.get(key, rel)?.owner ?? null);
    this.require(actor, 'modify', space, this.files.get(key, rel)?.owner ?? null);
    if (!ownersAllow(actor, space, this.files.foreignInSubtree(key, rel, actor.username))) {
      throw forbidden('This folder holds files uploaded by others: only an administrator may change it.');
    }
  }

  async move(ctx: Ctx, space: Space, from: string[], to: string[]): Promise<Entry> {
    if (from.length === 0 || to.length === 0) throw badRequest('invalid_path', 'The space root cannot be moved.');
    await this.store.ensureAvailable();
    const src = await this.resolve(space, from);
    if (!src.stat) throw notFound(`Nothing at ${displayPath(from)}.`);
    const key = spaceKey(space);
    const fromRel = from.join('/');
    const toRel = to.join('/');
    if (fromRel === toRel) throw badRequest('bad_request', 'The source and the destination are the same.');
    if (toRel.startsWith(fromRel + '/')) throw badRequest('invalid_path', 'A folder cannot be moved inside itself.');
    this.requireModifyTree(ctx.actor, space, fromRel, src.stat.isDirectory());
    this.require(ctx.actor, 'create', space);
    const dst = await this.resolve(space, to);
    if (dst.stat) throw conflict('exists', `${displayPath(to)} already exists.`);
    await this.ensureParents(ctx.actor, space, to.slice(0, -1));
    this.db.transaction(() => {
      if (fs.existsSync(dst.abs)) throw conflict('exists', `${displayPath(to)} already exists.`);
      this.files.move(key, fromRel, toRel);
      fs.renameSync(src.abs, dst.abs);
    })();
    await this.store.syncDir(path.dirname(dst.abs));
    if (path.dirname(src.abs) !== path.dirname(dst.abs)) await this.store.syncDir(path.dirname(src.abs));
    this.audit.record({ actor: ctx.actor.username, ip: ctx.ip, action: 'move', target: `${key}:${displayPath(from)}`, detail: { to: displayPath(to) } });
    const row = this.files.get(key, toRel);
    if (row) return this.entry(ctx.actor, space, row);
    const st = fs.lstatSync(dst.abs);
    return this.entry(ctx.actor, space, { name: to[to.length - 1]!, type: st.isDirectory() ? 'dir' : 'file', size: st.size, mtime: st.mtimeMs, owner: null });
  }

  // ---- trash --------------------------------------------------------------------------------

  async remove(ctx: Ctx, space: Space, names: string[]): Promise<DeleteResponse> {
    if (names.length === 0) throw badRequest('invalid_path', 'The space root cannot be deleted.');
    await this.store.ensureAvailable();
    const r = await this.resolve(space, names);
    if (!r.stat) throw notFound(`Nothing at ${displayPath(names)}.`);
    const key = spaceKey(space);
    const rel = names.join('/');
    const isDir = r.stat.isDirectory();
    this.requireModifyTree(ctx.actor, space, rel, isDir);
    const rows = this.files.subtree(key, rel);
    const self = rows.find((x) => x.path === rel);
    const items = rows.map((x) => itemOf(x, x.path === rel ? '' : x.path.slice(rel.length + 1)));
    if (!self) items.unshift(itemOf(undefined, '', r.stat));
    const size = rows.filter((x) => x.type === 'file').reduce((a, x) => a + x.size, 0) || (isDir ? 0 : r.stat.size);
    const stored = crypto.randomUUID();
    // Two phases: the index first (trash row in, file rows out), then the rename; if the daemon dies in
    // between, recovery finds the trash row with its content still in place and finishes the move.
    let trashId = 0;
    this.db.transaction(() => {
      trashId = this.trash.insert({ space: key, path: rel, type: isDir ? 'dir' : 'file', size, owner: self?.owner ?? null, deleted_by: ctx.actor.username, deleted_at: this.clock.now(), reason: 'delete', stored, items: JSON.stringify(items) });
      this.files.deleteSubtree(key, rel);
    })();
    try {
      fs.renameSync(r.abs, path.join(this.store.trashDir, stored));
      await this.store.syncDir(path.dirname(r.abs));
    } catch (err) {
      this.db.transaction(() => {
        this.trash.delete(trashId);
        for (const row of rows) this.files.upsert(row);
      })();
      throw err;
    }
    this.audit.record({ actor: ctx.actor.username, ip: ctx.ip, action: 'delete', target: `${key}:${displayPath(names)}`, detail: { trashId, type: isDir ? 'dir' : 'file', size } });
    return { trashId };
  }

  trashList(ctx: Ctx) {
    const rows = ctx.actor.role === 'admin' ? this.trash.all() : this.trash.byDeleter(ctx.actor.username);
    return { items: rows.map(trashJson) } satisfies TrashList;
  }

  private trashItem(ctx: Ctx, id: number): TrashRow {
    const row = this.trash.get(id);
    // Another user's item is reported as absent rather than forbidden: its existence is not theirs to know.
    if (!row || !canManageTrashItem(ctx.actor, row)) throw notFound('No such item in your trash.');
    return row;
  }

  async restore(ctx: Ctx, id: number, to?: string[]): Promise<Entry> {
    await this.store.ensureAvailable();
    const item = this.trashItem(ctx, id);
    const space = spaceOfKey(item.space);
    this.require(ctx.actor, 'create', space);
    const names = to ?? item.path.split('/');
    if (names.length === 0) throw badRequest('invalid_path', 'Restore needs a path.');
    const dest = await this.resolve(space, names);
    if (dest.stat) throw conflict('exists', `${displayPath(names)} is taken: restore under another name with {"to": "/new/path"}.`);
    const src = path.join(this.store.trashDir, item.stored);
    if (!fs.existsSync(src)) throw new HttpError('gone', 'The content of this trash item is gone from the disk.');
    await this.ensureParents(ctx.actor, space, names.slice(0, -1));
    const key = spaceKey(space);
    const rel = names.join('/');
    const items = JSON.parse(item.items) as TrashItem[];
    this.db.transaction(() => {
      for (const it of items) {
        this.files.upsert({ space: key, path: it.path === '' ? rel : `${rel}/${it.path}`, type: it.type, size: it.size, owner: it.owner, sha256: it.sha256, created_at: it.created_at, mtime: it.mtime });
      }
      this.trash.delete(item.id);
      fs.renameSync(src, dest.abs);
    })();
    await this.store.syncDir(path.dirname(dest.abs));
    this.audit.record({ actor: ctx.actor.username, ip: ctx.ip, action: 'restore', target: `${key}:${displayPath(names)}`, detail: { trashId: id } });
    return this.entry(ctx.actor, space, this.files.get(key, rel)!);
  }

  async purge(ctx: Ctx, id: number): Promise<void> {
    const item = this.trashItem(ctx, id);
    await this.purgeRow(item);
    this.audit.record({ actor: ctx.actor.username, ip: ctx.ip, action: 'purge', target: `${item.space}:/${item.path}`, detail: { trashId: id, size: item.size } });
  }

  async purgeAll(ctx: Ctx): Promise<number> {
    const rows = ctx.actor.role === 'admin' ? this.trash.all() : this.trash.byDeleter(ctx.actor.username);
    for (const r of rows) await this.purgeRow(r);
    this.audit.record({ actor: ctx.actor.username, ip: ctx.ip, action: 'purge', target: 'trash', detail: { items: rows.length } });
    return rows.length;
  }

  /** Purges trash older than `maxAgeMs` (for the scheduled clean-up). */
  async purgeOlderThan(maxAgeMs: number): Promise<number> {
    const rows = this.trash.olderThan(this.clock.now() - maxAgeMs);
    for (const r of rows) await this.purgeRow(r);
    return rows.length;
  }

  private async purgeRow(item: TrashRow): Promise<void> {
    const src = path.join(this.store.trashDir, item.stored);
    const doomed = path.join(this.store.trashDir, `purging-${item.stored}`);
    // Renamed out of the way in the same transaction, so a crash never leaves a row without content
    // or content that looks restorable; recovery removes leftover "purging-" entries.
    this.db.transaction(() => {
      this.trash.delete(item.id);
      try {
        fs.renameSync(src, doomed);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    })();
    await fsp.rm(doomed, { recursive: true, force: true });
  }

  // ---- shutdown -----------------------------------------------------------------------------

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
}

function itemOf(row: FileRow | undefined, rel: string, st?: fs.Stats): TrashItem {
  if (row) return { path: rel, type: row.type, size: row.size, owner: row.owner, sha256: row.sha256, created_at: row.created_at, mtime: row.mtime };
  return { path: rel, type: st?.isDirectory() ? 'dir' : 'file', size: st?.isDirectory() ? 0 : (st?.size ?? 0), owner: null, sha256: null, created_at: st?.birthtimeMs ?? 0, mtime: Math.floor(st?.mtimeMs ?? 0) };
}

export function spaceOfKey(key: string): Space {
  return key === 'workspace' ? { kind: 'workspace' } : { kind: 'container', username: key.slice('users/'.length) };
}

export function trashJson(r: TrashRow) {
  return {
    id: r.id,
    space: r.space,
    path: '/' + r.path,
    name: r.path.slice(r.path.lastIndexOf('/') + 1),
    type: r.type,
    size: r.size,
    owner: r.owner,
    deletedBy: r.deleted_by,
    deletedAt: new Date(r.deleted_at).toISOString(),
    reason: r.reason,
  } satisfies TrashItemJson;
}
