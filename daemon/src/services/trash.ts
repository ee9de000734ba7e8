// The trash: deletes (two-phase: index, then rename), replaced versions kept by overwrites, listing,
// restores, purges (one by one, all, by age), and the trash half of crash recovery.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Db } from '../db/connection.js';
import type { DeleteResponse, EntryType, TrashItem as TrashItemJson, TrashList } from '../api-types.js';
import type { FileRow } from '../db/queries/files.js';
import { trashQueries, type TrashRow } from '../db/queries/trash.js';
import { HttpError, badRequest, conflict, notFound } from '../errors.js';
import { canManageTrashItem, spaceKey, type Space } from '../policy/policy.js';
import type { Audit } from './audit.js';
import type { Clock } from './clock.js';
import { displayPath, spaceOfKey, type Ctx, type Entry, type Tree } from './tree.js';

/** Trash content being purged is first renamed with this prefix; recovery removes what a crash left. */
export const PURGING_PREFIX = 'purging-';

/** One entry of a trashed subtree, as stored in the trash row's `items`. */
interface TrashItem {
  path: string; // relative to the trashed entry ('' for the entry itself)
  type: EntryType;
  size: number;
  owner: string | null;
  sha256: string | null;
  created_at: number;
  mtime: number;
}

export interface TrashRecovery {
  deletesCompleted: number;
  restoresCompleted: number;
  trashMissing: number[];
  trashOrphans: string[];
}

export class Trash {
  readonly rows;

  constructor(
    private readonly db: Db,
    private readonly tree: Tree,
    private readonly audit: Audit,
    private readonly clock: Clock,
    /** The quota check of uploads (their ledger), which restores pass too. */
    private readonly quota: { reserveWithin(id: string, owner: string, bytes: number): void; release(id: string): void },
  ) {
    this.rows = trashQueries(db);
  }

  private get dir(): string {
    return this.tree.store.trashDir;
  }

  /** Moves a file or folder to the trash. */
  async remove(ctx: Ctx, space: Space, names: string[]): Promise<DeleteResponse> {
    const { tree } = this;
    if (names.length === 0) throw badRequest('invalid_path', 'The space root cannot be deleted.');
    await tree.store.ensureAvailable();
    const r = await tree.resolve(space, names);
    if (!r.stat) throw notFound(`Nothing at ${displayPath(names)}.`);
    const key = spaceKey(space);
    const rel = names.join('/');
    const isDir = r.stat.isDirectory();
    tree.requireModifyTree(ctx.actor, space, rel, isDir);
    const rows = tree.files.subtree(key, rel);
    const self = rows.find((x) => x.path === rel);
    const items = rows.map((x) => itemOf(x, x.path === rel ? '' : x.path.slice(rel.length + 1)));
    if (!self) items.unshift(itemOf(undefined, '', r.stat));
    const size = rows.filter((x) => x.type === 'file').reduce((a, x) => a + x.size, 0) || (isDir ? 0 : r.stat.size);
    const stored = crypto.randomUUID();
    // Two phases: the index first (trash row in, file rows out), then the rename; if the daemon dies in
    // between, recovery finds the trash row with its content still in place and finishes the move.
    let trashId = 0;
    this.db.transaction(() => {
      trashId = this.rows.insert({
        space: key,
        path: rel,
        type: isDir ? 'dir' : 'file',
        size,
        owner: self?.owner ?? null,
        deleted_by: ctx.actor.username,
        deleted_at: this.clock.now(),
        reason: 'delete',
        stored,
        items: JSON.stringify(items),
      });
      tree.files.deleteSubtree(key, rel);
    })();
    try {
      fs.renameSync(r.abs, path.join(this.dir, stored));
      await tree.store.syncDir(path.dirname(r.abs));
    } catch (err) {
      this.db.transaction(() => {
        this.rows.delete(trashId);
        for (const row of rows) tree.files.upsert(row);
      })();
      throw err;
    }
    this.audit.record({
      actor: ctx.actor.username,
      ip: ctx.ip,
      via: ctx.via,
      action: 'delete',
      target: `${key}:${displayPath(names)}`,
      detail: { trashId, type: isDir ? 'dir' : 'file', size },
    });
    await tree.commits.sync();
    return { trashId };
  }

  /**
   * Keeps the version an overwrite is about to replace: a trash row and a hard link to its bytes,
   * made together, so the rename that follows swaps the name atomically and loses nothing.
   */
  keepReplaced(ctx: Ctx, key: string, rel: string, dest: string, existing: FileRow | undefined, st: fs.Stats): void {
    const stored = crypto.randomUUID();
    this.db.transaction(() => {
      this.rows.insert({
        space: key,
        path: rel,
        type: 'file',
        size: st.size,
        owner: existing?.owner ?? null,
        deleted_by: ctx.actor.username,
        deleted_at: this.clock.now(),
        reason: 'overwrite',
        stored,
        items: JSON.stringify([itemOf(existing, '', st)]),
      });
      fs.linkSync(dest, path.join(this.dir, stored));
    })();
  }

  /** What the caller may see: admins everything, others what they deleted. */
  private visible(ctx: Ctx): TrashRow[] {
    if (ctx.actor.role === 'admin') return this.rows.all();
    return this.rows.byDeleter(ctx.actor.username).filter((r) => canManageTrashItem(ctx.actor, r));
  }

  list(ctx: Ctx) {
    return { items: this.visible(ctx).map(trashJson) } satisfies TrashList;
  }

  private item(ctx: Ctx, id: number): TrashRow {
    const row = this.rows.get(id);
    // Another user's item is reported as absent rather than forbidden: its existence is not theirs to know.
    if (!row || !canManageTrashItem(ctx.actor, row)) throw notFound('No such item in your trash.');
    return row;
  }

  async restore(ctx: Ctx, id: number, to?: string[]): Promise<Entry> {
    const { tree } = this;
    await tree.store.ensureAvailable();
    const item = this.item(ctx, id);
    const space = spaceOfKey(item.space);
    tree.require(ctx.actor, 'create', space);
    const names = to ?? item.path.split('/');
    if (names.length === 0) throw badRequest('invalid_path', 'Restore needs a path.');
    const dest = await tree.resolve(space, names);
    if (dest.stat) throw conflict('exists', `${displayPath(names)} is taken: restore under another name with {"to": "/new/path"}.`);
    const src = path.join(this.dir, item.stored);
    if (!fs.existsSync(src)) throw new HttpError('gone', 'The content of this trash item is gone from the disk.');
    const items = JSON.parse(item.items) as TrashItem[];
    // What comes back counts against its owner's quota again, as an upload would: a restore is no way
    // around it. Administrators restoring others' files are not held to those users' quotas.
    const mine = items.filter((it) => it.type === 'file' && it.owner === ctx.actor.username).reduce((a, it) => a + it.size, 0);
    // Checked and promised in one step, held until the files are indexed: two restores (or a restore
    // and an upload) racing each other cannot both fit in what only one of them does.
    const hold = crypto.randomUUID();
    if (mine > 0 && ctx.actor.role !== 'admin') this.quota.reserveWithin(hold, ctx.actor.username, mine);
    const key = spaceKey(space);
    const rel = names.join('/');
    try {
      await tree.ensureParents(ctx.actor, space, names.slice(0, -1));
      // Intent, rename, then the index, the trash row and the strike-off in one transaction: a crash in
      // between is finished by recovery (the restored files keep their owners, the trash row goes).
      const intent = tree.intend('restore', key, String(item.id), rel, ctx.actor.username);
      try {
        fs.renameSync(src, dest.abs);
      } catch (err) {
        tree.intents.delete(intent);
        throw err;
      }
      await tree.store.syncDir(path.dirname(dest.abs));
      this.db.transaction(() => {
        this.reindex(key, rel, items);
        this.rows.delete(item.id);
        tree.intents.delete(intent);
      })();
    } finally {
      this.quota.release(hold);
    }
    await tree.commits.sync();
    this.audit.record({ actor: ctx.actor.username, ip: ctx.ip, action: 'restore', target: `${key}:${displayPath(names)}`, detail: { trashId: id } });
    return tree.entry(ctx.actor, space, tree.files.get(key, rel)!);
  }

  private reindex(key: string, rel: string, items: TrashItem[]): void {
    for (const it of items) {
      this.tree.files.upsert({
        space: key,
        path: it.path === '' ? rel : `${rel}/${it.path}`,
        type: it.type,
        size: it.size,
        owner: it.owner,
        sha256: it.sha256,
        created_at: it.created_at,
        mtime: it.mtime,
      });
    }
  }

  async purge(ctx: Ctx, id: number): Promise<void> {
    const item = this.item(ctx, id);
    await this.purgeRow(item);
    this.audit.record({
      actor: ctx.actor.username,
      ip: ctx.ip,
      action: 'purge',
      target: `${item.space}:/${item.path}`,
      detail: { trashId: id, size: item.size },
    });
  }

  async purgeAll(ctx: Ctx): Promise<number> {
    const rows = this.visible(ctx);
    for (const r of rows) await this.purgeRow(r);
    this.audit.record({ actor: ctx.actor.username, ip: ctx.ip, action: 'purge', target: 'trash', detail: { items: rows.length } });
    return rows.length;
  }

  /** Purges trash older than `maxAgeMs` (for the scheduled clean-up). */
  async purgeOlderThan(maxAgeMs: number): Promise<number> {
    const rows = this.rows.olderThan(this.clock.now() - maxAgeMs);
    for (const r of rows) await this.purgeRow(r);
    return rows.length;
  }

  private async purgeRow(item: TrashRow): Promise<void> {
    const src = path.join(this.dir, item.stored);
    const doomed = path.join(this.dir, `${PURGING_PREFIX}${item.stored}`);
    // Renamed out of the way in the same transaction, so a crash never leaves a row without content
    // or content that looks restorable; recovery removes leftover purging entries.
    this.db.transaction(() => {
      this.rows.delete(item.id);
      try {
        fs.renameSync(src, doomed);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    })();
    await fsp.rm(doomed, { recursive: true, force: true });
  }

  /**
   * Finishes deletes whose rename a crash cut off, removes half-purged content, and reports (never
   * deletes) trash rows without content and content without a row.
   */
  async recover(): Promise<TrashRecovery> {
    const { store, files } = this.tree;
    const rep: TrashRecovery = { deletesCompleted: 0, restoresCompleted: 0, trashMissing: [], trashOrphans: [] };
    for (const it of this.tree.intents.all()) {
      if (it.kind !== 'restore') continue;
      const item = this.rows.get(Number(it.path));
      const dest = path.join(store.spaceRoot(it.space), ...it.target.split('/'));
      this.db.transaction(() => {
        // Renamed out of the trash, not yet indexed: index it under its owners and drop the trash row.
        if (item && !fs.existsSync(path.join(this.dir, item.stored)) && fs.existsSync(dest)) {
          this.reindex(it.space, it.target, JSON.parse(item.items) as TrashItem[]);
          this.rows.delete(item.id);
          rep.restoresCompleted++;
        }
        this.tree.intents.delete(it.id);
      })();
    }
    const referenced = new Set<string>();
    for (const t of this.rows.all()) {
      referenced.add(t.stored);
      const content = path.join(this.dir, t.stored);
      if (fs.existsSync(content)) continue;
      const original = path.join(store.spaceRoot(t.space), ...t.path.split('/'));
      if (t.reason === 'delete' && fs.existsSync(original) && !files.get(t.space, t.path)) {
        fs.renameSync(original, content); // the delete was indexed but its rename never ran
        rep.deletesCompleted++;
      } else {
        rep.trashMissing.push(t.id);
      }
    }
    for (const name of await fsp.readdir(this.dir)) {
      if (name.startsWith(PURGING_PREFIX)) await fsp.rm(path.join(this.dir, name), { recursive: true, force: true });
      else if (!referenced.has(name)) rep.trashOrphans.push(name); // kept: nothing is deleted silently
    }
    return rep;
  }
}

function itemOf(row: FileRow | undefined, rel: string, st?: fs.Stats): TrashItem {
  if (row) return { path: rel, type: row.type, size: row.size, owner: row.owner, sha256: row.sha256, created_at: row.created_at, mtime: row.mtime };
  return {
    path: rel,
    type: st?.isDirectory() ? 'dir' : 'file',
    size: st?.isDirectory() ? 0 : (st?.size ?? 0),
    owner: null,
    sha256: null,
    created_at: st?.birthtimeMs ?? 0,
    mtime: Math.floor(st?.mtimeMs ?? 0),
  };
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
