// Runs the declared jobs on their cron schedules (node-cron) or on demand, logging each run and keeping its outcome in SQLite.
import cron, { type ScheduledTask } from 'node-cron';
import { HEALTH_MESSAGES, type Coded, type HealthMessageCode, type JobRunRecord, type JobStatus } from '../api-types.js';
import type { Db } from '../db/connection.js';
import { jobQueries, type JobQueries } from '../db/queries/jobs.js';
import type { Logger } from '../log.js';
import type { Clock } from '../services/clock.js';

export type JobSummary = Record<string, unknown> | void;

export interface Job {
  name: string;
  /** node-cron expression (5 fields, or 6 with seconds). */
  schedule: string;
  description: string;
  /**
   * Runs every minute: a success is logged at debug and not added to job_runs (1440 rows a day
   * on the SD card for nothing); its state row and every failure are still kept.
   */
  quiet?: boolean;
  run(): Promise<JobSummary>;
  /** Its summary as coded phrases (HEALTH_MESSAGES), which the web UI words in the reader's language. */
  describe?(summary: Record<string, unknown>): Coded[];
}

/** The codes of the sentences a job may fail with (thrown as `new Error(HEALTH_MESSAGES[code])`): fixed words, no parameters. */
const FIXED_ERRORS = new Map(
  (Object.entries(HEALTH_MESSAGES) as [HealthMessageCode, string][]).filter(([, text]) => !/[{|]/.test(text)).map(([code, text]) => [text, code]),
);

/** An error message as a code when it is one of the daemon's fixed sentences (a job's "storage not mounted"), else null. */
export function errorCodeOf(error: string | null): Coded | null {
  const code = error === null ? undefined : FIXED_ERRORS.get(error);
  return code ? { code, params: {} } : null;
}

export interface JobRunResult {
  name: string;
  outcome: 'ok' | 'failed';
  startedAt: number;
  durationMs: number;
  summary: Record<string, unknown> | null;
  error: string | null;
}

/** job_runs rows are kept this long (failures of quiet jobs, every run of the others). */
export const JOB_RUN_RETENTION_MS = 30 * 86400_000;

export class JobRunner {
  private readonly jobs = new Map<string, Job>();
  private readonly tasks = new Map<string, ScheduledTask>();
  private readonly running = new Map<string, Promise<JobRunResult>>();
  private readonly q: JobQueries;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
    list: Job[],
  ) {
    this.q = jobQueries(db);
    for (const j of list) {
      if (!cron.validate(j.schedule)) throw new Error(`job ${j.name}: invalid cron expression "${j.schedule}"`);
      this.jobs.set(j.name, j);
    }
  }

  names(): string[] {
    return [...this.jobs.keys()];
  }

  get started(): boolean {
    return this.tasks.size > 0;
  }

  /** Schedules every job. */
  start(): void {
    if (this.started) return;
    for (const j of this.jobs.values()) {
      // noOverlap: a slow run (a reconcile of a big disk) is skipped over, never stacked.
      const task = cron.createTask(j.schedule, () => this.run(j.name, 'schedule').then(() => undefined), {
        name: `hcd:${j.name}`,
        noOverlap: true,
        logger: {
          info: (m) => this.log.debug('cron', { msg: m }),
          debug: (m) => this.log.debug('cron', { msg: String(m) }),
          warn: (m) => this.log.warn('cron', { msg: m }),
          error: (m, e) => this.log.error('cron', { msg: String(m), err: e }),
        },
      });
      void task.start();
      this.tasks.set(j.name, task);
    }
    this.log.info('jobs started', { jobs: this.names().join(',') });
  }

  /** Unschedules every job and waits for runs in progress (at most `waitMs`). */
  async stop(waitMs = 5000): Promise<void> {
    for (const t of this.tasks.values()) await t.destroy();
    this.tasks.clear();
    const inflight = [...this.running.values()];
    if (inflight.length > 0) {
      await Promise.race([Promise.allSettled(inflight), new Promise((r) => setTimeout(r, waitMs).unref())]);
    }
  }

  /** Runs one job now (tests, the admin); a run already in progress is joined, not duplicated. */
  run(name: string, trigger: 'schedule' | 'manual' = 'manual'): Promise<JobRunResult> {
    const job = this.jobs.get(name);
    if (!job) return Promise.reject(new Error(`no job named "${name}"`));
    const current = this.running.get(name);
    if (current) return current;
    const p = this.execute(job, trigger).finally(() => this.running.delete(name));
    this.running.set(name, p);
    return p;
  }

  private async execute(job: Job, trigger: 'schedule' | 'manual'): Promise<JobRunResult> {
    const startedAt = this.clock.now();
    const t0 = performance.now();
    this.q.started(job.name, startedAt, trigger);
    let summary: Record<string, unknown> | null = null;
    let error: string | null = null;
    try {
      summary = (await job.run()) ?? null;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const durationMs = Math.round(performance.now() - t0);
    const outcome = error === null ? 'ok' : 'failed';
    const finishedAt = this.clock.now();
    const summaryText = summary === null ? null : JSON.stringify(summary);
    try {
      this.db.transaction(() => {
        this.q.finished(job.name, { at: finishedAt, outcome, durationMs, error, summary: summaryText });
        if (outcome === 'failed' || !job.quiet) {
          this.q.insertRun({ name: job.name, startedAt, durationMs, outcome, trigger, error, summary: summaryText });
        }
      })();
    } catch (err) {
      // The database may be closing under a shutdown: the run itself still counts.
      this.log.warn('job outcome not recorded', { job: job.name, err });
    }
    const fields = { job: job.name, trigger, ms: durationMs, ...(summary ?? {}) };
    if (error !== null) this.log.error('job failed', { ...fields, err: error });
    else if (job.quiet) this.log.debug('job done', fields);
    else this.log.info('job done', fields);
    return { name: job.name, outcome, startedAt, durationMs, summary, error };
  }

  status(): JobStatus[] {
    const rows = new Map(this.q.states().map((r) => [r.name, r]));
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    return [...this.jobs.values()].map((j) => {
      const r = rows.get(j.name);
      const next = this.tasks.get(j.name)?.getNextRun() ?? null;
      return {
        name: j.name,
        description: j.description,
        schedule: j.schedule,
        running: this.running.has(j.name),
        nextRunAt: next ? next.toISOString() : null,
        lastRun:
          r && r.last_started_at !== null
            ? {
                startedAt: iso(r.last_started_at)!,
                finishedAt: iso(r.last_finished_at),
                outcome: r.last_outcome,
                durationMs: r.last_duration_ms,
                trigger: r.last_trigger,
                error: r.last_error,
                summary: r.last_summary === null ? null : (JSON.parse(r.last_summary) as unknown),
                summaryCode: this.describe(j.name, r.last_summary === null ? null : (JSON.parse(r.last_summary) as unknown)),
                errorCode: errorCodeOf(r.last_error),
              }
            : null,
        lastSuccessAt: iso(r?.last_ok_at ?? null),
        runs: r?.runs ?? 0,
        failures: r?.failures ?? 0,
      } satisfies JobStatus;
    });
  }

  /** A summary as coded phrases, by its job's `describe` (a summary of another shape, from an older daemon: null). */
  describe(name: string, summary: unknown): Coded[] | null {
    const job = this.jobs.get(name);
    if (!job?.describe || summary === null || typeof summary !== 'object') return null;
    try {
      return job.describe(summary as Record<string, unknown>);
    } catch {
      return null;
    }
  }

  /** Recent runs of one job, newest first. */
  history(name: string, limit = 20): JobRunRecord[] {
    const rows = this.q.runs(name, limit);
    return rows.map(
      (r) =>
        ({
          startedAt: new Date(r.started_at).toISOString(),
          durationMs: r.duration_ms,
          outcome: r.outcome,
          trigger: r.trigger,
          error: r.error,
        }) satisfies JobRunRecord,
    );
  }

  prune(now: number): number {
    return this.q.pruneRunsBefore(now - JOB_RUN_RETENTION_MS);
  }
}
