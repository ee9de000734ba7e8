// SQL for users.
import type { Db } from '../connection.js';
import type { Role } from '../../policy/policy.js';

export interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  role: Role;
  disabled: number;
  quota_bytes: number | null;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  /** 1: the password was chosen by someone else (the first start's); its owner is asked to replace it. */
  must_change_password: number;
  /** The real name the account was made from (bulk creation), or null. */
  display_name: string | null;
}

export function userQueries(db: Db) {
  // One UPDATE per set of changed fields (at most 2^7), prepared the first time it is asked for.
  const statements = new Map<string, ReturnType<Db['prepare']>>();
  const prepared = (sql: string) => statements.get(sql) ?? statements.set(sql, db.prepare(sql)).get(sql)!;
  const byName = db.prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?');
  const byId = db.prepare<[number], UserRow>('SELECT * FROM users WHERE id = ?');
  const all = db.prepare<[], UserRow>('SELECT * FROM users ORDER BY deleted_at IS NOT NULL, username');
  const insert = db.prepare(
    `INSERT INTO users (username, password_hash, role, quota_bytes, created_at, updated_at)
     VALUES (@username, @password_hash, @role, @quota_bytes, @now, @now)`,
  );
  const activeAdmins = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled = 0 AND deleted_at IS NULL");
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users');
  const exists = db.prepare<[string]>('SELECT 1 FROM users WHERE username = ?');
  return {
    byName: (username: string) => byName.get(username),
    /** Whether a row has this username, deleted accounts included. */
    exists: (username: string) => exists.get(username) !== undefined,
    byId: (id: number) => byId.get(id),
    all: () => all.all(),
    countAll: () => count.get()!.n,
    countActiveAdmins: () => activeAdmins.get()!.n,
    insert(u: { username: string; password_hash: string; role: Role; quota_bytes: number | null; now: number }) {
      return Number(insert.run(u).lastInsertRowid);
    },
    update(
      id: number,
      fields: Partial<Pick<UserRow, 'password_hash' | 'role' | 'disabled' | 'quota_bytes' | 'deleted_at' | 'must_change_password' | 'display_name'>>,
      now: number,
    ) {
      const keys = Object.keys(fields) as (keyof typeof fields)[];
      if (keys.length === 0) return;
      const set = keys.map((k) => `${k} = @${k}`).join(', ');
      prepared(`UPDATE users SET ${set}, updated_at = @now WHERE id = @id`).run({ ...fields, now, id });
    },
  };
}
export type UserQueries = ReturnType<typeof userQueries>;
