// The audit trail: who did what, when, from which address.
import type { AuditAction, AuditEntry, AuditPage } from '../api-types.js';
import type { Db } from '../db/connection.js';
import { auditQueries, type AuditFilter, type AuditRow } from '../db/queries/audit.js';
import type { Clock } from './clock.js';

export interface AuditEvent {
  actor: string | null;
  ip: string | null;
  action: AuditAction;
  target?: string | null;
  detail?: unknown;
}

export class Audit {
  private readonly q;
  constructor(db: Db, private readonly clock: Clock) {
    this.q = auditQueries(db);
  }
  record(e: AuditEvent): void {
    this.q.insert({ ...e, at: this.clock.now() });
  }
  page(f: AuditFilter): AuditPage {
    const rows = this.q.page({ ...f, limit: f.limit + 1 });
    const more = rows.length > f.limit;
    const page = rows.slice(0, f.limit);
    return { entries: page.map(toJson), next: more ? page[page.length - 1]!.id : null };
  }
}

function toJson(r: AuditRow) {
  return {
    id: r.id,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    ip: r.ip,
    // Every row was written by record(), whose action is an AuditAction.
    action: r.action as AuditAction,
    target: r.target,
    detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown),
  } satisfies AuditEntry;
}
