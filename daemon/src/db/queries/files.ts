// SQL for the file index: one row per file and folder of every space.
import type { EntryType } from '../../api-types.js';
import type { Db } from '../connection.js';

export interface FileRow {
  id: number;
  space: string;
  path: string;
  parent: string;
  name: string;
  type: EntryType;
  size: number;
  owner: string | null;
  sha256: string | null;
  created_at: number;
  mtime: number;
  missing_since: number | null;
  /** Sent through a guest link: the name the guest typed. */
  guest_name?: string | null;
}

export interface NewFileRow {
  space: string;
  path: string;
  type: EntryType;
  size: number;
  owner: string | null;
  sha256: string | null;
  created_at: number;
  mtime: number;
  guest_name?: string | null;
}

export function splitPath(p: string): { parent: string; name: string } {
  const i = p.lastIndexOf('/');
  return i < 0 ? { parent: '', name: p } : { parent: p.slice(0, i), name: p.slice(i + 1) };
}

// A subtree is the row itself plus every path between "p/" and "p0" ('0' sorts right after '/'),
// a range the UNIQUE(space, path) index answers without LIKE and its wildcard pitfalls.
const SUBTREE = `space = @space AND (path = @path OR (path >= @path || '/' AND path < @path || '0'))`;

export function fileQueries(db: Db) {
  const get = db.prepare<[string, string], FileRow>('SELECT * FROM files WHERE space = ? AND path = ?');
  // One page of a listing after a (type, name) key: one range of the files_listing index, in its own
  // order ('dir' sorts before 'file': folders first), however deep into the folder.
  const listPage = db.prepare<[string, string, string, string, number], FileRow>(
    `SELECT * FROM files WHERE space = ? AND parent = ? AND missing_since IS NULL AND (type, name) > (?, ?)
     ORDER BY type, name LIMIT ?`,
  );
  const upsert = db.prepare(
    `INSERT INTO files (space, path, parent, name, type, size, owner, sha256, created_at, mtime, guest_name)
     VALUES (@space, @path, @parent, @name, @type, @size, @owner, @sha256, @created_at, @mtime, @guest_name)
     ON CONFLICT(space, path) DO UPDATE SET type = excluded.type, size = excluded.size, owner = excluded.owner,
       sha256 = excluded.sha256, created_at = excluded.created_at, mtime = excluded.mtime, missing_since = NULL,
       guest_name = excluded.guest_name`,
  );
  const insertIgnore = db.prepare(
    `INSERT OR IGNORE INTO files (space, path, parent, name, type, size, owner, sha256, created_at, mtime)
     VALUES (@space, @path, @parent, @name, @type, @size, @owner, @sha256, @created_at, @mtime)`,
  );
  const subtree = db.prepare<{ space: string; path: string }, FileRow>(`SELECT * FROM files WHERE ${SUBTREE} ORDER BY path`);
  const deleteSubtree = db.prepare(`DELETE FROM files WHERE ${SUBTREE}`);
  const foreignInSubtree = db.prepare<{ space: string; path: string; user: string }, { n: number }>(
    `SELECT count(*) AS n FROM files WHERE ${SUBTREE} AND (owner IS NULL OR owner <> @user)`,
  );
  const move = db.prepare(
    `UPDATE files SET
       path = @to || substr(path, length(@path) + 1),
       parent = CASE WHEN path = @path THEN @toParent ELSE @to || substr(parent, length(@path) + 1) END,
       name = CASE WHEN path = @path THEN @toName ELSE name END
     WHERE ${SUBTREE}`,
  );
  // Counters kept by triggers (migration 0010): a few rows, not a sum over every file. Handed-in files
  // (migration 0009) are their submitter's too: the storage report agrees with the quota.
  const usageByOwner = db.prepare<[], { owner: string | null; bytes: number; files: number }>(
    "SELECT nullif(owner, '') AS owner, bytes, files FROM usage_by_owner WHERE files > 0",
  );
  const usageOf = db.prepare<[string], { bytes: number }>('SELECT bytes FROM usage_by_owner WHERE owner = ?');
  const usageBySpace = db.prepare<[], { space: string; bytes: number; files: number; dirs: number }>(
    'SELECT space, bytes, files, dirs FROM usage_by_space WHERE files > 0 OR dirs > 0 ORDER BY space',
  );
  const inSpace = db.prepare<[string], FileRow>('SELECT * FROM files WHERE space = ?');
  // Keyset pages in the order of the UNIQUE (space, path) index: each page is one index range scan.
  const pageInSpace = db.prepare<[string, string, number], FileRow>('SELECT * FROM files WHERE space = ? AND path > ? ORDER BY path LIMIT ?');
  const allFiles = db.prepare<[], Pick<FileRow, 'space' | 'path' | 'size' | 'mtime' | 'sha256'>>(
    "SELECT space, path, size, mtime, sha256 FROM files WHERE type = 'file'",
  );
  const hasChildren = db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM files WHERE space = ? AND parent = ? LIMIT 1');
  const markMissing = db.prepare('UPDATE files SET missing_since = ? WHERE id = ? AND missing_since IS NULL');
  const missing = db.prepare<[], FileRow>('SELECT * FROM files WHERE missing_since IS NOT NULL ORDER BY space, path');
  const spaces = db.prepare<[], { space: string }>('SELECT DISTINCT space FROM files');
  const updateStat = db.prepare('UPDATE files SET size = ?, mtime = ?, sha256 = ?, missing_since = NULL WHERE id = ?');

  return {
    get: (space: string, path: string) => get.get(space, path),
    /** Every indexed file, one row at a time (the thumbnails' clean-up). */
    allFiles: () => allFiles.iterate(),
    /** Up to `limit` entries of a folder after the entry (type, name), in the listing's order; ('', '') starts. */
    listPage: (space: string, parent: string, after: { type: string; name: string }, limit: number) =>
      listPage.all(space, parent, after.type, after.name, limit),
    upsert: (r: NewFileRow) => upsert.run({ ...r, guest_name: r.guest_name ?? null, ...splitPath(r.path) }),
    insertIgnore: ({ guest_name: _guest, ...r }: NewFileRow) => insertIgnore.run({ ...r, ...splitPath(r.path) }),
    subtree: (space: string, path: string) => subtree.all({ space, path }),
    /** Whether the index has anything inside this folder. */
    hasChildren: (space: string, path: string) => hasChildren.get(space, path) !== undefined,
    deleteSubtree: (space: string, path: string) => deleteSubtree.run({ space, path }),
    /** Rows of the subtree not owned by `user` (unknown owners count as foreign). */
    foreignInSubtree: (space: string, path: string, user: string) => foreignInSubtree.get({ space, path, user })!.n,
    move(space: string, path: string, to: string) {
      const { parent: toParent, name: toName } = splitPath(to);
      move.run({ space, path, to, toParent, toName });
    },
    usageByOwner: () => usageByOwner.all(),
    /** A user's bytes wherever they are: in a space, or handed in (their quota's use). */
    usageOf: (owner: string) => usageOf.get(owner)?.bytes ?? 0,
    usageBySpace: () => usageBySpace.all(),
    inSpace: (space: string) => inSpace.all(space),
    /** Up to `limit` rows of a space whose path sorts after `after` (paging without OFFSET). */
    pageInSpace: (space: string, after: string, limit: number) => pageInSpace.all(space, after, limit),
    markMissing: (id: number, now: number) => markMissing.run(now, id).changes,
    missing: () => missing.all(),
    spaces: () => spaces.all().map((r) => r.space),
    updateStat: (id: number, size: number, mtime: number, sha256: string | null) => updateStat.run(size, mtime, sha256, id),
  };
}
export type FileQueries = ReturnType<typeof fileQueries>;
