// The drive: spaces, stat, listings, the file list of a zip, folders and moves. Uploads live in
// uploads.ts, the trash in trash.ts, what they share in tree.ts. Domain rules only (no HTTP).
import fs from 'node:fs';
import path from 'node:path';
import type { StorageReport } from '../api-types.js';
import type { Db } from '../db/connection.js';
import type { FileRow } from '../db/queries/files.js';
import { userQueries } from '../db/queries/users.js';
import { badRequest, conflict, forbidden, notFound, HttpError } from '../errors.js';
import type { DiskSpace } from '../storage/disk-space.js';
import { can, hasContainer, spaceKey, type Actor, type Space } from '../policy/policy.js';
import { USERNAME_RULE } from './accounts.js';
import type { Audit } from './audit.js';
import type { Trash } from './trash.js';
import { displayPath, type Ctx, type Entry, type Tree } from './tree.js';

/** Index rows per page of a listing: about 5 ms of work on this machine (issue 16), 30 on a Pi. */
export const LIST_PAGE = 1000;

/**
 * macOS's own files beside each file it copies over WebDAV ("._name": AppleDouble resource forks and
 * extended attributes) and in each folder it opens (".DS_Store"): stored, so that Finder keeps working and
 * gets its tags back, but left out of the web listing and zips, where they are noise to everyone else.
 */
export const isMacMetadata = (name: string): boolean => name.startsWith('._') || name === '.DS_Store';

export class Drive {
  private readonly users;

  constructor(
    private readonly db: Db,
    private readonly tree: Tree,
    private readonly trash: Trash,
    private readonly audit: Audit,
  ) {
    this.users = userQueries(db);
  }

  get store() {
    return this.tree.store;
  }

  get files() {
    return this.tree.files;
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
      if (!this.users.byName(name) && !fs.existsSync(this.tree.root(space))) {
        throw notFound(`No user "${name}".`, 'no_such_user');
      }
      return { space, names: inner };
    }
    throw notFound('No such space: use workspace, home or users/<name>.');
  }

  // ---- reading ------------------------------------------------------------------------------

  async stat(ctx: Ctx, space: Space, names: string[]) {
    this.tree.require(ctx.actor, 'read', space);
    if (!this.store.available()) throw new HttpError('storage_unavailable', 'The storage drive is not connected.');
    const r = await this.tree.resolve(space, names);
    if (!r.stat) {
      if (names.length === 0) return { kind: 'dir' as const, abs: r.abs };
      throw notFound(`Nothing at ${displayPath(names)}.`);
    }
    if (r.stat.isDirectory()) return { kind: 'dir' as const, abs: r.abs };
    if (!r.stat.isFile()) throw forbidden('Only regular files and folders can be read.');
    return { kind: 'file' as const, abs: r.abs, stat: r.stat };
  }

  /**
   * A folder's entries in display order, LIST_PAGE index rows at a time: yields each page but the last,
   * which it returns. Each page is one range of the listing index after the previous page's (type, name),
   * so that a caller can hand the event loop back between the pages of a 10,000-entry folder
   * (http.ts jsonPages). Between pages the folder may change: an entry is never listed twice.
   */
  *listPages(ctx: Ctx, space: Space, names: string[]): Generator<Entry[], Entry[], undefined> {
    const key = spaceKey(space);
    const parent = names.join('/');
    for (let after = { type: '', name: '' }; ;) {
      const rows = this.files.listPage(key, parent, after, LIST_PAGE);
      const entries = rows.filter((r) => !isMacMetadata(r.name)).map((r) => this.tree.entry(ctx.actor, space, r));
      if (rows.length < LIST_PAGE) return entries;
      yield entries;
      after = rows[rows.length - 1]!;
    }
  }

  /** The files under a folder, for a zip download: [path inside the folder, absolute path, row]. */
  async zipList(_ctx: Ctx, space: Space, names: string[]) {
    const key = spaceKey(space);
    const base = names.join('/');
    const rows = base === '' ? this.files.inSpace(key) : this.files.subtree(key, base);
    const root = this.tree.root(space);
    const out: { name: string; abs: string; row: FileRow }[] = [];
    for (const row of rows) {
      if (row.missing_since !== null || row.path === base || isMacMetadata(row.name)) continue;
      const rel = base === '' ? row.path : row.path.slice(base.length + 1);
      out.push({ name: row.type === 'dir' ? rel + '/' : rel, abs: path.join(root, ...row.path.split('/')), row });
    }
    out.sort((a, b) => (a.name < b.name ? -1 : 1));
    return out;
  }

  // ---- folders, moves -----------------------------------------------------------------------

  async mkdir(ctx: Ctx, space: Space, names: string[]): Promise<Entry> {
    if (names.length === 0) throw badRequest('invalid_path', 'A folder needs a name.');
    this.tree.require(ctx.actor, 'create', space);
    await this.store.ensureAvailable();
    const r = await this.tree.resolve(space, names);
    if (r.stat) throw conflict('exists', `${displayPath(names)} already exists.`);
    await this.tree.ensureParents(ctx.actor, space, names);
    this.audit.record({ actor: ctx.actor.username, ip: ctx.ip, via: ctx.via, action: 'mkdir', target: `${spaceKey(space)}:${displayPath(names)}` });
    return this.tree.entry(ctx.actor, space, this.files.get(spaceKey(space), names.join('/'))!);
  }

  async move(ctx: Ctx, space: Space, from: string[], to: string[]): Promise<Entry> {
    if (from.length === 0 || to.length === 0) throw badRequest('invalid_path', 'The space root cannot be moved.');
    const { tree } = this;
    await this.store.ensureAvailable();
    const src = await tree.resolve(space, from);
    if (!src.stat) throw notFound(`Nothing at ${displayPath(from)}.`);
    const key = spaceKey(space);
    const fromRel = from.join('/');
    const toRel = to.join('/');
    if (fromRel === toRel) throw badRequest('bad_request', 'The source and the destination are the same.');
    if (toRel.startsWith(fromRel + '/')) throw badRequest('invalid_path', 'A folder cannot be moved inside itself.');
    tree.requireModifyTree(ctx.actor, space, fromRel, src.stat.isDirectory());
    tree.require(ctx.actor, 'create', space);
    const dst = await tree.resolve(space, to);
    if (dst.stat) throw conflict('exists', `${displayPath(to)} already exists.`);
    await tree.ensureParents(ctx.actor, space, to.slice(0, -1));
    if (fs.existsSync(dst.abs)) throw conflict('exists', `${displayPath(to)} already exists.`);
    // Intent, rename, then the index and the strike-off in one transaction: a crash in between is
    // finished or forgotten by recovery (recoverMoves), never a file that lost its owner.
    const intent = tree.intend('move', key, fromRel, toRel, ctx.actor.username);
    try {
      fs.renameSync(src.abs, dst.abs);
    } catch (err) {
      tree.intents.delete(intent);
      throw err;
    }
    await this.store.syncDir(path.dirname(dst.abs));
    if (path.dirname(src.abs) !== path.dirname(dst.abs)) await this.store.syncDir(path.dirname(src.abs));
    this.db.transaction(() => {
      this.files.move(key, fromRel, toRel);
      tree.intents.delete(intent);
    })();
    await tree.commits.sync();
    this.audit.record({
      actor: ctx.actor.username,
      ip: ctx.ip,
      via: ctx.via,
      action: 'move',
      target: `${key}:${displayPath(from)}`,
      detail: { to: displayPath(to) },
    });
    const row = this.files.get(key, toRel);
    if (row) return tree.entry(ctx.actor, space, row);
    const st = fs.lstatSync(dst.abs);
    return tree.entry(ctx.actor, space, { name: to[to.length - 1]!, type: st.isDirectory() ? 'dir' : 'file', size: st.size, mtime: st.mtimeMs, owner: null });
  }

  /** Finishes the moves a crash cut between their rename and their index update, forgets the others. */
  recoverMoves(): number {
    let finished = 0;
    for (const it of this.tree.intents.all()) {
      if (it.kind !== 'move') continue;
      const root = this.store.spaceRoot(it.space);
      const src = fs.existsSync(path.join(root, ...it.path.split('/')));
      const dst = fs.existsSync(path.join(root, ...it.target.split('/')));
      this.db.transaction(() => {
        // Renamed, not yet indexed: move the rows (the file keeps its owner).
        if (dst && !src && this.files.get(it.space, it.path)) (this.files.move(it.space, it.path, it.target), finished++);
        this.tree.intents.delete(it.id);
      })();
    }
    return finished;
  }

  // ---- the admin's storage report ----------------------------------------------------------------

  /** Disk size and free space, usage per space and per user, trash totals, indexed files missing from disk. */
  async storageReport() {
    const use = new Map(this.files.usageByOwner().map((u) => [u.owner, u]));
    let disk: DiskSpace | null = null;
    try {
      disk = this.store.available() ? await this.store.diskSpace() : null;
    } catch {
      disk = null;
    }
    return {
      storage: this.store.storageState(),
      // The same figures as the health dashboard's data disk (disk-space.ts), under this report's names.
      disk: disk && {
        totalBytes: disk.sizeBytes,
        freeBytes: disk.availableBytes,
        usedBytes: disk.usedBytes,
        reservedBytes: disk.reservedBytes,
        usedPercent: disk.usedPercent,
      },
      spaces: this.files.usageBySpace().map((s) => ({ space: s.space, bytes: s.bytes, files: s.files, folders: s.dirs })),
      users: this.users.all().map((u) => ({
        username: u.username,
        bytes: use.get(u.username)?.bytes ?? 0,
        files: use.get(u.username)?.files ?? 0,
        quotaBytes: u.quota_bytes,
        deleted: u.deleted_at !== null,
      })),
      unownedBytes: use.get(null)?.bytes ?? 0,
      trash: this.trash.rows.totals(),
      missing: this.files.missing().map((r) => ({ space: r.space, path: '/' + r.path, since: new Date(r.missing_since!).toISOString() })),
    } satisfies StorageReport;
  }
}
