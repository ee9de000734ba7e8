// SQL for the alerts table: active alerts, recently cleared ones, and their bounded record.
import type { Db } from '../connection.js';

export type Severity = 'warning' | 'critical';

export interface AlertRow {
  id: number;
  key: string;
  severity: Severity;
  message: string;
  value: number | null;
  raised_at: number;
  last_seen_at: number;
  cleared_at: number | null;
}

export function alertQueries(db: Db) {
  const active = db.prepare<[], AlertRow>("SELECT * FROM alerts WHERE cleared_at IS NULL ORDER BY CASE severity WHEN 'critical' THEN 0 ELSE 1 END, raised_at");
  const recent = db.prepare<[number], AlertRow>('SELECT * FROM alerts WHERE cleared_at IS NOT NULL ORDER BY cleared_at DESC LIMIT ?');
  const insert = db.prepare<[string, Severity, string, number | null, number, number]>(
    'INSERT INTO alerts (key, severity, message, value, raised_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const update = db.prepare<[Severity, string, number | null, number, number]>(
    'UPDATE alerts SET severity = ?, message = ?, value = ?, last_seen_at = ? WHERE id = ?',
  );
  const clear = db.prepare<[number, number]>('UPDATE alerts SET cleared_at = ? WHERE id = ?');
  const deleteClearedBefore = db.prepare<[number]>('DELETE FROM alerts WHERE cleared_at IS NOT NULL AND cleared_at < ?');
  return {
    /** Uncleared alerts, critical first, then oldest first. */
    active: () => active.all(),
    /** Cleared alerts, most recently cleared first. */
    recent: (limit: number) => recent.all(limit),
    insert: (a: { key: string; severity: Severity; message: string; value: number | null }, at: number) =>
      insert.run(a.key, a.severity, a.message, a.value, at, at),
    /** An alert still holding: its severity, message and value as of `at`. */
    update: (id: number, a: { severity: Severity; message: string; value: number | null }, at: number) => update.run(a.severity, a.message, a.value, at, id),
    clear: (id: number, at: number) => clear.run(at, id),
    deleteClearedBefore: (t: number) => deleteClearedBefore.run(t).changes,
  };
}
export type AlertQueries = ReturnType<typeof alertQueries>;
