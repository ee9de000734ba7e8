// SQL for intents: what a move, a restore or a tus finish is about to do on the disk (see 0004-intents).
import type { Db } from '../connection.js';

export interface IntentRow {
  id: string;
  kind: 'move' | 'restore' | 'tus';
  space: string;
  /** move: the source; restore: the trash row's id; tus: the upload id. */
  path: string;
  /** The destination path in the space. */
  target: string;
  actor: string | null;
  detail: string | null;
  created_at: number;
}

export function intentQueries(db: Db) {
  const insert = db.prepare(
    'INSERT INTO intents (id, kind, space, path, target, actor, detail, created_at) VALUES (@id, @kind, @space, @path, @target, @actor, @detail, @created_at)',
  );
  const del = db.prepare('DELETE FROM intents WHERE id = ?');
  const all = db.prepare<[], IntentRow>('SELECT * FROM intents ORDER BY created_at');
  return {
    insert: (r: IntentRow) => insert.run(r),
    delete: (id: string) => del.run(id),
    all: () => all.all(),
  };
}
