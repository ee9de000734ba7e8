// What the drive, uploads and trash share about one space's tree: where it lives, the permission
// checks with their messages, entries as the API shows them, and parent folders made or indexed.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import type { CommitBarrier } from '../db/commit-barrier.js';
import type { Db } from '../db/connection.js';
import { intentQueries, type IntentRow } from '../db/queries/intents.js';
import type { Entry } from '../api-types.js';
import { fileQueries, type FileRow } from '../db/queries/files.js';
import { conflict, forbidden } from '../errors.js';
import { can, canTidyEmptyFolder, ownersAllow, spaceKey, type Action, type Actor, type Space } from '../policy/policy.js';
import type { FileStore } from '../storage/file-store.js';
import { resolveInside, type Resolved } from '../storage/paths.js';
import type { Clock } from './clock.js';

export type { Entry };

export type { Ctx } from '../policy/policy.js';

export const displayPath = (names: readonly string[]) => '/' + names.join('/');

export { spaceOfKey } from '../policy/policy.js';

export const existsError = (names: string[]) =>
  conflict('exists', `${displayPath(names)} already exists. Send ?overwrite=1 to replace it (if you may delete it).`);

export class Tree {
  readonly files;
  readonly intents;

  constructor(
    readonly store: FileStore,
    db: Db,
    private readonly clock: Clock,
    /** Makes committed index changes durable before they are acknowledged (see db/commit-barrier.ts). */
    readonly commits: CommitBarrier,
  ) {
    this.files = fileQueries(db);
    this.intents = intentQueries(db);
  }

  /** Writes down (committed) what is about to happen on the disk; strike it off with intents.delete(id). */
  intend(kind: IntentRow['kind'], space: string, p: string, target: string, actor: string | null, detail: unknown = null): string {
    const id = crypto.randomUUID();
    this.intents.insert({ id, kind, space, path: p, target, actor, detail: detail === null ? null : JSON.stringify(detail), created_at: this.clock.now() });
    return id;
  }

  root(space: Space): string {
    return this.store.spaceRoot(spaceKey(space));
  }

  async resolve(space: Space, names: readonly string[]): Promise<Resolved> {
    return resolveInside(this.root(space), names);
  }

  /** Throws 403, with a message that says what the role may do instead, unless the policy allows it. */
  require(actor: Actor, action: Action, space: Space, owner?: string | null): void {
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

  /** Checks that the actor may modify (delete, move, overwrite) the entry and everything under it. */
  requireModifyTree(actor: Actor, space: Space, rel: string, isDir: boolean): void {
    const key = spaceKey(space);
    const owner = this.files.get(key, rel)?.owner ?? null;
    if (isDir && !can(actor, 'modify', space, owner) && canTidyEmptyFolder(actor, space, owner) && this.isEmptyDir(key, rel)) return;
    this.require(actor, 'modify', space, owner);
    if (isDir && !ownersAllow(actor, space, this.files.foreignInSubtree(key, rel, actor.username))) {
      throw forbidden('This folder holds files uploaded by others: only an administrator may change it.');
    }
  }

  /** Empty in the index and on the disk (a folder filled from outside the API is not empty). */
  private isEmptyDir(key: string, rel: string): boolean {
    if (this.files.hasChildren(key, rel)) return false;
    try {
      return fs.readdirSync(path.join(this.store.spaceRoot(key), ...rel.split('/'))).length === 0;
    } catch {
      return false;
    }
  }

  entry(actor: Actor, space: Space, row: Pick<FileRow, 'name' | 'type' | 'size' | 'mtime' | 'owner' | 'guest_name'> & { path?: string }): Entry {
    const tidy =
      row.type === 'dir' &&
      row.path !== undefined &&
      !can(actor, 'modify', space, row.owner) &&
      canTidyEmptyFolder(actor, space, row.owner) &&
      this.isEmptyDir(spaceKey(space), row.path);
    return {
      name: row.name,
      type: row.type,
      size: row.type === 'file' ? row.size : 0,
      mtime: new Date(row.mtime).toISOString(),
      owner: row.owner,
      // For a folder this reflects its own owner; a delete re-checks every entry inside.
      canDelete: tidy || can(actor, 'modify', space, row.owner),
      ...(row.guest_name ? { guest: row.guest_name } : {}),
    };
  }

  /** Index rows for existing parent folders that lack one (made outside the API), owned by the actor. */
  indexParents(actor: Actor, space: Space, dirs: string[]): void {
    for (let i = 1; i <= dirs.length; i++) this.indexDir(actor, spaceKey(space), dirs.slice(0, i).join('/'));
  }

  /** An index row for a folder, owned by the actor, unless it has one. */
  private indexDir(actor: Actor, key: string, rel: string): void {
    const now = this.clock.now();
    this.files.insertIgnore({ space: key, path: rel, type: 'dir', size: 0, owner: actor.username, sha256: null, created_at: now, mtime: now });
  }

  /** Creates missing parent folders on disk and in the index, owned by the actor. */
  async ensureParents(actor: Actor, space: Space, dirs: string[]): Promise<void> {
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
      this.indexDir(actor, key, dirs.slice(0, i + 1).join('/'));
    }
  }

  /** Makes sure the parent folders of `names` exist: one lstat when they already do (most uploads). */
  async parentsFor(actor: Actor, space: Space, names: string[]): Promise<void> {
    const dirs = names.slice(0, -1);
    const parent = fs.lstatSync(path.join(this.root(space), ...dirs), { throwIfNoEntry: false });
    if (parent?.isDirectory() && !parent.isSymbolicLink()) this.indexParents(actor, space, dirs);
    else await this.ensureParents(actor, space, dirs);
  }
}
