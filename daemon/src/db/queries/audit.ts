// SQL for the audit log: append and page backwards by id.
import type { Db } from '../connection.js';

export interface AuditRow {
  id: number;
  at: number;
  actor: string | null;
  ip: string | null;
  action: string;
  target: string | null;
  detail: string | null;
}

export interface AuditFilter {
  before?: number;
  limit: number;
  actor?: string;
  action?: string;
  since?: number;
  until?: number;
}

export function auditQueries(db: Db) {
  // One statement per combination of filters (at most 2^5), prepared the first time it is asked for.
  const statements = new Map<string, ReturnType<Db['prepare']>>();
  const prepared = (sql: string) => statements.get(sql) ?? statements.set(sql, db.prepare(sql)).get(sql)!;
  const insert = db.prepare('INSERT INTO audit (at, actor, ip, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)');
  return {
    insert(e: { at: number; actor: string | null; ip: string | null; action: string; target?: string | null; detail?: unknown }) {
      insert.run(e.at, e.actor, e.ip, e.action, e.target ?? null, e.detail === undefined ? null : JSON.stringify(e.detail));
    },
    page(f: AuditFilter): AuditRow[] {
      const where: string[] = [];
      const args: Record<string, unknown> = { limit: f.limit };
      if (f.before !== undefined) (where.push('id < @before'), (args.before = f.before));
      if (f.actor !== undefined) (where.push('actor = @actor'), (args.actor = f.actor));
      if (f.action !== undefined) (where.push('action = @action'), (args.action = f.action));
      if (f.since !== undefined) (where.push('at >= @since'), (args.since = f.since));
      if (f.until !== undefined) (where.push('at < @until'), (args.until = f.until));
      const sql = `SELECT * FROM audit ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT @limit`;
      return prepared(sql).all(args) as AuditRow[];
    },
  };
}
export type AuditQueries = ReturnType<typeof auditQueries>;
