// SQL for groups of users (a class, a team) and their members.
import type { Db } from '../connection.js';

export interface GroupRow {
  id: number;
  name: string;
  created_at: number;
  updated_at: number;
}

export interface GroupWithCount extends GroupRow {
  members: number;
}

export function groupQueries(db: Db) {
  const all = db.prepare<[], GroupWithCount>(
    `SELECT g.*, (SELECT count(*) FROM group_members m JOIN users u ON u.id = m.user_id
                   WHERE m.group_id = g.id AND u.deleted_at IS NULL) AS members
       FROM groups g ORDER BY g.name COLLATE NOCASE`,
  );
  const byId = db.prepare<[number], GroupRow>('SELECT * FROM groups WHERE id = ?');
  const byName = db.prepare<[string], GroupRow>('SELECT * FROM groups WHERE name = ? COLLATE NOCASE');
  const insert = db.prepare<[string, number, number]>('INSERT INTO groups (name, created_at, updated_at) VALUES (?, ?, ?)');
  const rename = db.prepare<[string, number, number]>('UPDATE groups SET name = ?, updated_at = ? WHERE id = ?');
  const del = db.prepare<[number]>('DELETE FROM groups WHERE id = ?');
  const addMember = db.prepare<[number, number]>('INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?, ?)');
  const removeMember = db.prepare<[number, number]>('DELETE FROM group_members WHERE group_id = ? AND user_id = ?');
  const memberIds = db.prepare<[number], { user_id: number }>(
    `SELECT m.user_id FROM group_members m JOIN users u ON u.id = m.user_id
      WHERE m.group_id = ? AND u.deleted_at IS NULL ORDER BY u.username`,
  );
  const memberships = db.prepare<[], { user_id: number; group_id: number; name: string }>(
    'SELECT m.user_id, g.id AS group_id, g.name FROM group_members m JOIN groups g ON g.id = m.group_id ORDER BY g.name COLLATE NOCASE',
  );
  return {
    all: () => all.all(),
    byId: (id: number) => byId.get(id),
    byName: (name: string) => byName.get(name),
    insert: (name: string, now: number) => Number(insert.run(name, now, now).lastInsertRowid),
    rename: (id: number, name: string, now: number) => rename.run(name, now, id).changes > 0,
    delete: (id: number) => del.run(id).changes > 0,
    addMember: (groupId: number, userId: number) => addMember.run(groupId, userId).changes > 0,
    removeMember: (groupId: number, userId: number) => removeMember.run(groupId, userId).changes > 0,
    /** The live (not deleted) members' user ids, by username. */
    memberIds: (groupId: number) => memberIds.all(groupId).map((r) => r.user_id),
    /** Every user's groups: user id → [{id, name}], names in order. */
    membershipsByUser() {
      const map = new Map<number, { id: number; name: string }[]>();
      for (const r of memberships.all()) {
        const list = map.get(r.user_id) ?? map.set(r.user_id, []).get(r.user_id)!;
        list.push({ id: r.group_id, name: r.name });
      }
      return map;
    },
  };
}
export type GroupQueries = ReturnType<typeof groupQueries>;
