// The audit trail: who did what, when, from which address.
import type { AuditAction, AuditEntry, AuditPage } from '../api-types.js';
import type { Db } from '../db/connection.js';
import { auditQueries, type AuditFilter, type AuditRow } from '../db/queries/audit.js';
import type { Ctx } from '../policy/policy.js';
import type { Clock } from './clock.js';

export interface AuditEvent {
  actor: string | null;
  ip: string | null;
  action: AuditAction;
  target?: string | null;
  detail?: unknown;
  /** 'dav': done by a file manager over WebDAV (kept in the detail, as `via`). */
  via?: string;
}

/** A detail whose JSON is longer than this is replaced by a short preview. */
const MAX_DETAIL_CHARS = 4096;

/** Cuts a text field to `max` characters, with its control characters removed. */
function bound(s: string | null, max: number): string | null {
  if (s === null) return null;
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

export class Audit {
  private readonly q;
  constructor(
    db: Db,
    private readonly clock: Clock,
  ) {
    this.q = auditQueries(db);
  }
  /** Records an event. Every field is bounded: a 1 MB username must not make a 1 MB row on the SD card. */
  record(e: AuditEvent): void {
    const { via, ...rest } = e;
    let detail = via === 'dav' ? { ...(typeof e.detail === 'object' && e.detail !== null ? e.detail : {}), via } : e.detail;
    if (detail !== undefined && detail !== null && JSON.stringify(detail).length > MAX_DETAIL_CHARS) {
      detail = { truncated: true, preview: JSON.stringify(detail).slice(0, 200) };
    }
    this.q.insert({ ...rest, actor: bound(e.actor, 64), target: bound(e.target ?? null, 1024), detail, at: this.clock.now() });
  }
  /** Records an action of this caller. */
  by(ctx: Ctx, action: AuditAction, target?: string | null, detail?: unknown): void {
    this.record({ actor: ctx.actor.username, ip: ctx.ip, action, target, detail, via: ctx.via });
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
