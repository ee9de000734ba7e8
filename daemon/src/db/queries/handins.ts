// SQL for hand-in folders and the files handed in (migration 0009).
import type { Db } from '../connection.js';

export interface HandinRow {
  id: number;
  title: string;
  instructions: string;
  deadline: number | null;
  group_id: number | null;
  closed_at: number | null;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface SubmissionRow {
  id: number;
  handin_id: number;
  username: string;
  name: string;
  stored: string;
  size: number;
  sha256: string;
  receipt: string;
  submitted_at: number;
}

export type HandinFields = Pick<HandinRow, 'title' | 'instructions' | 'deadline' | 'group_id' | 'closed_at'>;

export function handinQueries(db: Db) {
  const insert = db.prepare(
    `INSERT INTO handins (title, instructions, deadline, group_id, closed_at, created_by, created_at, updated_at)
     VALUES (@title, @instructions, @deadline, @group_id, @closed_at, @created_by, @now, @now)`,
  );
  const update = db.prepare(
    `UPDATE handins SET title = @title, instructions = @instructions, deadline = @deadline, group_id = @group_id,
       closed_at = @closed_at, updated_at = @now WHERE id = @id`,
  );
  const byId = db.prepare<[number], HandinRow>('SELECT * FROM handins WHERE id = ?');
  const all = db.prepare<[], HandinRow>('SELECT * FROM handins ORDER BY id DESC');
  const del = db.prepare<[number]>('DELETE FROM handins WHERE id = ?');
  // Whether a user is on a group's roster (a live member), by username.
  const isMember = db.prepare<[number, string], { one: number }>(
    `SELECT 1 AS one FROM group_members m JOIN users u ON u.id = m.user_id
      WHERE m.group_id = ? AND u.username = ? AND u.deleted_at IS NULL`,
  );
  const members = db.prepare<[number], { username: string; display_name: string | null }>(
    `SELECT u.username, u.display_name FROM group_members m JOIN users u ON u.id = m.user_id
      WHERE m.group_id = ? AND u.deleted_at IS NULL ORDER BY u.username`,
  );
  const displayNames = db.prepare<[number], { username: string; display_name: string | null }>(
    `SELECT DISTINCT s.username, u.display_name FROM handin_submissions s JOIN users u ON u.username = s.username
      WHERE s.handin_id = ? ORDER BY s.username`,
  );
  const groupName = db.prepare<[number], { name: string }>('SELECT name FROM groups WHERE id = ?');
  const insertSubmission = db.prepare(
    `INSERT INTO handin_submissions (handin_id, username, name, stored, size, sha256, receipt, submitted_at)
     VALUES (@handin_id, @username, @name, @stored, @size, @sha256, @receipt, @submitted_at)`,
  );
  const submission = db.prepare<[number, number], SubmissionRow>('SELECT * FROM handin_submissions WHERE id = ? AND handin_id = ?');
  const ownNamed = db.prepare<[number, string, string], SubmissionRow>('SELECT * FROM handin_submissions WHERE handin_id = ? AND username = ? AND name = ?');
  const own = db.prepare<[number, string], SubmissionRow>('SELECT * FROM handin_submissions WHERE handin_id = ? AND username = ? ORDER BY submitted_at, id');
  const ofHandin = db.prepare<[number], SubmissionRow>('SELECT * FROM handin_submissions WHERE handin_id = ? ORDER BY username, submitted_at, id');
  const counts = db.prepare<[number], { people: number; files: number }>(
    'SELECT count(DISTINCT username) AS people, count(*) AS files FROM handin_submissions WHERE handin_id = ?',
  );
  const submittedTo = db.prepare<[string], { handin_id: number }>('SELECT DISTINCT handin_id FROM handin_submissions WHERE username = ?');
  const delSubmission = db.prepare<[number]>('DELETE FROM handin_submissions WHERE id = ?');
  const receiptTaken = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM handin_submissions WHERE receipt = ?');
  const storedOf = db.prepare<[number], { stored: string }>('SELECT stored FROM handin_submissions WHERE handin_id = ?');
  const allIds = db.prepare<[], { id: number }>('SELECT id FROM handins');
  return {
    insert: (r: HandinFields & { created_by: string; now: number }) => Number(insert.run(r).lastInsertRowid),
    update: (id: number, r: HandinFields, now: number) => void update.run({ ...r, id, now }),
    byId: (id: number) => byId.get(id),
    all: () => all.all(),
    delete: (id: number) => del.run(id).changes > 0,
    isMember: (groupId: number, username: string) => isMember.get(groupId, username) !== undefined,
    members: (groupId: number) => members.all(groupId),
    /** Everyone who handed something in to this hand-in, with their display names. */
    submitters: (handinId: number) => displayNames.all(handinId),
    groupName: (groupId: number) => groupName.get(groupId)?.name,
    insertSubmission: (r: Omit<SubmissionRow, 'id'>) => Number(insertSubmission.run(r).lastInsertRowid),
    submission: (handinId: number, id: number) => submission.get(id, handinId),
    ownNamed: (handinId: number, username: string, name: string) => ownNamed.get(handinId, username, name),
    own: (handinId: number, username: string) => own.all(handinId, username),
    ofHandin: (handinId: number) => ofHandin.all(handinId),
    counts: (handinId: number) => counts.get(handinId)!,
    /** The hand-ins this user handed something in to. */
    submittedTo: (username: string) => new Set(submittedTo.all(username).map((r) => r.handin_id)),
    deleteSubmission: (id: number) => delSubmission.run(id).changes > 0,
    receiptTaken: (receipt: string) => receiptTaken.get(receipt) !== undefined,
    /** The names on the disk of a hand-in's files (crash recovery). */
    storedOf: (handinId: number) => new Set(storedOf.all(handinId).map((r) => r.stored)),
    allIds: () => new Set(allIds.all().map((r) => r.id)),
  };
}
export type HandinQueries = ReturnType<typeof handinQueries>;
