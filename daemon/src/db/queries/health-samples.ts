// SQL for the health history: minute samples (health_samples) and their hourly roll-ups (health_hourly).
import { METRICS, type Metric } from '../../api-types.js';
import type { Db } from '../connection.js';

export { METRICS, type Metric };
export type SampleRow = { at: number } & Record<Metric, number | null> & { power_flags: number | null };
/** One health_hourly row: `hour`, `n` and `<metric>_avg`, `<metric>_min`, `<metric>_max` per metric. */
export type HourlyRow = { hour: number; n: number } & Record<`${Metric}_${'avg' | 'min' | 'max'}`, number | null>;

// The two tables are one history: the roll-up reads one and writes the other, retention prunes both.
export function healthSampleQueries(db: Db) {
  const cols = ['at', ...METRICS, 'power_flags'];
  // REPLACE: a second sample in the same second (a manual run next to the scheduled one) wins.
  const insert = db.prepare<SampleRow>(`INSERT OR REPLACE INTO health_samples (${cols.join(', ')}) VALUES (${cols.map((c) => '@' + c).join(', ')})`);
  const latest = db.prepare<[], SampleRow>('SELECT * FROM health_samples ORDER BY at DESC LIMIT 1');
  const countSamples = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM health_samples');
  const countHourly = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM health_hourly');
  const lastHour = db.prepare<[], { h: number | null }>('SELECT max(hour) AS h FROM health_hourly');
  const aggs = METRICS.map((m) => `avg(${m}), min(${m}), max(${m})`).join(', ');
  const hourlyCols = METRICS.map((m) => `${m}_avg, ${m}_min, ${m}_max`).join(', ');
  const rollup = db.prepare<[number, number]>(
    `INSERT OR REPLACE INTO health_hourly (hour, n, ${hourlyCols})
         SELECT (at / 3600) * 3600 AS hour, count(*), ${aggs} FROM health_samples
         WHERE at >= ? AND at < ? GROUP BY hour`,
  );
  const pruneSamples = db.prepare<[number, number]>('DELETE FROM health_samples WHERE at < ? OR at > ?');
  const pruneHourly = db.prepare<[number, number]>('DELETE FROM health_hourly WHERE hour < ? OR hour > ?');
  // Every metric, prepared once: callers pick the columns they were asked for from the rows.
  const samplesBetween = db.prepare<[number, number], SampleRow>(`SELECT at, ${METRICS.join(', ')} FROM health_samples WHERE at > ? AND at <= ? ORDER BY at`);
  const hourlyBetween = db.prepare<[number, number], HourlyRow>(`SELECT hour, ${hourlyCols} FROM health_hourly WHERE hour > ? AND hour <= ? ORDER BY hour`);
  return {
    insert: (row: SampleRow) => insert.run(row),
    latest: () => latest.get(),
    countSamples: () => countSamples.get()!.n,
    countHourly: () => countHourly.get()!.n,
    lastHour: () => lastHour.get()!.h,
    /** Aggregates the samples of [from, to) into hourly rows; returns the rows written. */
    rollup: (from: number, to: number) => rollup.run(from, to).changes,
    /** Deletes samples stamped before `before` or after `after`. */
    pruneSamples: (before: number, after: number) => pruneSamples.run(before, after).changes,
    /** Deletes roll-ups of hours before `before` or after `after`. */
    pruneHourly: (before: number, after: number) => pruneHourly.run(before, after).changes,
    /** Samples with from < at <= to, oldest first. */
    samplesBetween: (from: number, to: number) => samplesBetween.all(from, to),
    /** Roll-ups with from < hour <= to, oldest first. */
    hourlyBetween: (from: number, to: number) => hourlyBetween.all(from, to),
  };
}
export type HealthSampleQueries = ReturnType<typeof healthSampleQueries>;
