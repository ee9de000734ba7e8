// SQL for app passwords: per-device secrets that file managers keep instead of the account's password.
import type { Db } from '../connection.js';

export interface AppPasswordRow {
  id: number;
  user_id: number;
  label: string;
  hash: string;
  created_at: number;
  last_used_at: number | null;
}

export function appPasswordQueries(db: Db) {
  const byUser = db.prepare<[number], AppPasswordRow>('SELECT * FROM app_passwords WHERE user_id = ? ORDER BY id');
  const byHash = db.prepare<[number, string], AppPasswordRow>('SELECT * FROM app_passwords WHERE user_id = ? AND hash = ?');
  const insert = db.prepare('INSERT INTO app_passwords (user_id, label, hash, created_at) VALUES (?, ?, ?, ?)');
  const remove = db.prepare('DELETE FROM app_passwords WHERE id = ? AND user_id = ?');
  const used = db.prepare('UPDATE app_passwords SET last_used_at = ? WHERE id = ?');
  return {
    byUser: (userId: number) => byUser.all(userId),
    byHash: (userId: number, hash: string) => byHash.get(userId, hash),
    insert: (userId: number, label: string, hash: string, now: number) => Number(insert.run(userId, label, hash, now).lastInsertRowid),
    remove: (id: number, userId: number) => remove.run(id, userId).changes,
    used: (id: number, now: number) => used.run(now, id),
  };
}
