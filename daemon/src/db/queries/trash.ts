// SQL for the trash and for uploads in flight.
import type { EntryType, TrashReason } from '../../api-types.js';
import type { Db } from '../connection.js';

export interface TrashRow {
  id: number;
  space: string;
  path: string;
  type: EntryType;
  size: number;
  owner: string | null;
  deleted_by: string;
  deleted_at: number;
  reason: TrashReason;
  stored: string;
  items: string;
}

export function trashQueries(db: Db) {
  const insert = db.prepare(
    `INSERT INTO trash (space, path, type, size, owner, deleted_by, deleted_at, reason, stored, items)
     VALUES (@space, @path, @type, @size, @owner, @deleted_by, @deleted_at, @reason, @stored, @items)`,
  );
  const get = db.prepare<[number], TrashRow>('SELECT * FROM trash WHERE id = ?');
  const all = db.prepare<[], TrashRow>('SELECT * FROM trash ORDER BY id DESC');
  const byDeleter = db.prepare<[string], TrashRow>('SELECT * FROM trash WHERE deleted_by = ? ORDER BY id DESC');
  const del = db.prepare('DELETE FROM trash WHERE id = ?');
  const olderThan = db.prepare<[number], TrashRow>('SELECT * FROM trash WHERE deleted_at < ?');
  const totals = db.prepare<[], { items: number; bytes: number }>('SELECT count(*) AS items, coalesce(sum(size), 0) AS bytes FROM trash');
  return {
    insert: (r: Omit<TrashRow, 'id'>) => Number(insert.run(r).lastInsertRowid),
    get: (id: number) => get.get(id),
    all: () => all.all(),
    byDeleter: (username: string) => byDeleter.all(username),
    delete: (id: number) => del.run(id),
    olderThan: (t: number) => olderThan.all(t),
    totals: () => totals.get()!,
  };
}

export interface UploadRow {
  id: string;
  space: string;
  path: string;
  owner: string;
  started_at: number;
}

export function uploadQueries(db: Db) {
  const insert = db.prepare('INSERT INTO uploads (id, space, path, owner, started_at) VALUES (@id, @space, @path, @owner, @started_at)');
  const del = db.prepare('DELETE FROM uploads WHERE id = ?');
  const all = db.prepare<[], UploadRow>('SELECT * FROM uploads');
  return {
    insert: (r: UploadRow) => insert.run(r),
    delete: (id: string) => del.run(id),
    all: () => all.all(),
  };
}
