// SQL for WebDAV dead properties: one row per property of a resource, by space and path.
import type { Db } from '../connection.js';

export interface DavPropRow {
  space: string;
  path: string;
  ns: string;
  name: string;
  value: string;
}

// As in files.ts: a subtree is the path itself plus the range "p/" … "p0".
const SUBTREE = `space = @space AND (@path = '' OR path = @path OR (path >= @path || '/' AND path < @path || '0'))`;

export function davPropQueries(db: Db) {
  const of = db.prepare<[string, string], DavPropRow>('SELECT * FROM dav_props WHERE space = ? AND path = ? ORDER BY ns, name');
  const set = db.prepare(
    'INSERT INTO dav_props (space, path, ns, name, value) VALUES (@space, @path, @ns, @name, @value) ON CONFLICT DO UPDATE SET value = excluded.value',
  );
  const remove = db.prepare('DELETE FROM dav_props WHERE space = ? AND path = ? AND ns = ? AND name = ?');
  const subtree = db.prepare<{ space: string; path: string }, DavPropRow>(`SELECT * FROM dav_props WHERE ${SUBTREE}`);
  const removeSubtree = db.prepare(`DELETE FROM dav_props WHERE ${SUBTREE}`);
  const move = db.prepare(`UPDATE dav_props SET path = @to || substr(path, length(@path) + 1) WHERE ${SUBTREE}`);
  return {
    of: (space: string, path: string) => of.all(space, path),
    set: (r: DavPropRow) => set.run(r),
    remove: (space: string, path: string, ns: string, name: string) => remove.run(space, path, ns, name),
    removeSubtree: (space: string, path: string) => removeSubtree.run({ space, path }),
    move: (space: string, path: string, to: string) => move.run({ space, path, to }),
    /** Copies the properties of a subtree under `to`. */
    copy(space: string, path: string, to: string) {
      for (const r of subtree.all({ space, path })) set.run({ ...r, path: to + r.path.slice(path.length) });
    },
  };
}
