// SQL for login sessions (a JWT names its session; deleting the row revokes the token).
import type { Db } from '../connection.js';

export interface SessionRow {
  id: string;
  user_id: number;
  created_at: number;
  last_seen_at: number;
}

export function sessionQueries(db: Db) {
  const insert = db.prepare('INSERT INTO sessions (id, user_id, created_at, last_seen_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?)');
  const get = db.prepare<[string], SessionRow>('SELECT id, user_id, created_at, last_seen_at FROM sessions WHERE id = ?');
  const touch = db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ?');
  const del = db.prepare('DELETE FROM sessions WHERE id = ?');
  const delUser = db.prepare('DELETE FROM sessions WHERE user_id = ?');
  const delUserExcept = db.prepare('DELETE FROM sessions WHERE user_id = ? AND id <> ?');
  const delIdle = db.prepare('DELETE FROM sessions WHERE last_seen_at < ?');
  return {
    insert: (id: string, userId: number, now: number, ip: string | null, ua: string | null) => insert.run(id, userId, now, now, ip, ua),
    get: (id: string) => get.get(id),
    touch: (id: string, now: number) => touch.run(now, id),
    delete: (id: string) => del.run(id),
    deleteForUser: (userId: number, exceptId?: string) => (exceptId ? delUserExcept.run(userId, exceptId) : delUser.run(userId)),
    deleteIdleBefore: (t: number) => delIdle.run(t).changes,
  };
}
