// SQL for guest links (migration 0007), and the look-up of a link's target by its index row.
import type { EntryType, LinkMode } from '../../api-types.js';
import type { Db } from '../connection.js';

export interface LinkRow {
  id: number;
  secret_hash: string;
  creator: string;
  file_id: number | null;
  space: string;
  path: string;
  type: EntryType;
  mode: LinkMode;
  password_hash: string | null;
  expires_at: number;
  max_uses: number | null;
  uses: number;
  max_upload_bytes: number | null;
  created_at: number;
  revoked_at: number | null;
}

export type NewLinkRow = Omit<LinkRow, 'id' | 'uses' | 'revoked_at'>;

export function linkQueries(db: Db) {
  const insert = db.prepare(
    `INSERT INTO links (secret_hash, creator, file_id, space, path, type, mode, password_hash, expires_at, max_uses, max_upload_bytes, created_at)
     VALUES (@secret_hash, @creator, @file_id, @space, @path, @type, @mode, @password_hash, @expires_at, @max_uses, @max_upload_bytes, @created_at)`,
  );
  const byHash = db.prepare<[string], LinkRow>('SELECT * FROM links WHERE secret_hash = ?');
  const byId = db.prepare<[number], LinkRow>('SELECT * FROM links WHERE id = ?');
  const byCreator = db.prepare<[string], LinkRow>('SELECT * FROM links WHERE creator = ? ORDER BY id DESC');
  const all = db.prepare<[], LinkRow>('SELECT * FROM links ORDER BY id DESC');
  const revoke = db.prepare('UPDATE links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  // One statement: parallel guests cannot both take the last use.
  const take = db.prepare('UPDATE links SET uses = uses + 1 WHERE id = ? AND (max_uses IS NULL OR uses < max_uses)');
  const giveBack = db.prepare('UPDATE links SET uses = max(0, uses - 1) WHERE id = ?');
  const target = db.prepare<[number], { space: string; path: string; type: EntryType; size: number; missing_since: number | null }>(
    'SELECT space, path, type, size, missing_since FROM files WHERE id = ?',
  );
  const fileId = db.prepare<[string, string], { id: number }>('SELECT id FROM files WHERE space = ? AND path = ?');
  return {
    insert: (r: NewLinkRow) => Number(insert.run(r).lastInsertRowid),
    byHash: (h: string) => byHash.get(h),
    byId: (id: number) => byId.get(id),
    byCreator: (creator: string) => byCreator.all(creator),
    all: () => all.all(),
    revoke: (id: number, now: number) => revoke.run(now, id).changes > 0,
    take: (id: number) => take.run(id).changes > 0,
    giveBack: (id: number) => void giveBack.run(id),
    /** The link's target as the index knows it now (moves update the row in place). */
    target: (fileId: number) => target.get(fileId),
    fileId: (space: string, path: string) => fileId.get(space, path)?.id,
  };
}
