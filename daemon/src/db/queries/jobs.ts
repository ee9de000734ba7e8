// SQL for the scheduled jobs' record: one job_state row per job, and the job_runs log.
import type { Db } from '../connection.js';

export type JobOutcome = 'ok' | 'failed';
export type JobTrigger = 'schedule' | 'manual';

export interface JobStateRow {
  name: string;
  last_started_at: number | null;
  last_finished_at: number | null;
  last_outcome: JobOutcome | null;
  last_duration_ms: number | null;
  last_trigger: string | null;
  last_error: string | null;
  last_summary: string | null;
  last_ok_at: number | null;
  runs: number;
  failures: number;
}

export interface JobRunRow {
  id: number;
  name: string;
  started_at: number;
  duration_ms: number;
  outcome: string;
  trigger: string;
  error: string | null;
  summary: string | null;
}

// The two tables are written together: a finished run updates its state row and appends its run in one transaction.
export function jobQueries(db: Db) {
  const started = db.prepare<[string, number, JobTrigger]>(
    'INSERT INTO job_state (name, last_started_at, last_trigger) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET last_started_at = excluded.last_started_at, last_trigger = excluded.last_trigger',
  );
  const finished = db.prepare<[number, JobOutcome, number, string | null, string | null, JobOutcome, number, JobOutcome, string]>(
    `UPDATE job_state SET last_finished_at = ?, last_outcome = ?, last_duration_ms = ?, last_error = ?, last_summary = ?,
             last_ok_at = CASE WHEN ? = 'ok' THEN ? ELSE last_ok_at END, runs = runs + 1, failures = failures + (? = 'failed') WHERE name = ?`,
  );
  const insertRun = db.prepare<[string, number, number, JobOutcome, JobTrigger, string | null, string | null]>(
    'INSERT INTO job_runs (name, started_at, duration_ms, outcome, trigger, error, summary) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const states = db.prepare<[], JobStateRow>('SELECT * FROM job_state');
  const runs = db.prepare<[string, number], JobRunRow>('SELECT * FROM job_runs WHERE name = ? ORDER BY id DESC LIMIT ?');
  const pruneRuns = db.prepare<[number]>('DELETE FROM job_runs WHERE started_at < ?');
  return {
    /** Upserts the job's state row with the start of a run. */
    started: (name: string, at: number, trigger: JobTrigger) => started.run(name, at, trigger),
    /** Records the end of a run on the job's state row (counts, last outcome, last success). */
    finished(name: string, r: { at: number; outcome: JobOutcome; durationMs: number; error: string | null; summary: string | null }) {
      finished.run(r.at, r.outcome, r.durationMs, r.error, r.summary, r.outcome, r.at, r.outcome, name);
    },
    insertRun(r: {
      name: string;
      startedAt: number;
      durationMs: number;
      outcome: JobOutcome;
      trigger: JobTrigger;
      error: string | null;
      summary: string | null;
    }) {
      insertRun.run(r.name, r.startedAt, r.durationMs, r.outcome, r.trigger, r.error, r.summary);
    },
    states: () => states.all(),
    /** The job's runs, newest first. */
    runs: (name: string, limit: number) => runs.all(name, limit),
    /** Deletes runs started before `t`; returns how many. */
    pruneRunsBefore: (t: number) => pruneRuns.run(t).changes,
  };
}
export type JobQueries = ReturnType<typeof jobQueries>;
