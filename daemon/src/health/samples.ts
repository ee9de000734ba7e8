// The health history in SQLite: minute samples, hourly roll-ups, and their bounded retention.
import { METRICS, type History, type HistoryRange, type Metric } from '../api-types.js';
import type { Db } from '../db/connection.js';
import type { Snapshot } from './snapshot.js';

export { METRICS, type Metric };
export type SampleRow = { at: number } & Record<Metric, number | null> & { power_flags: number | null };

/**
 * Retention. Minute samples: 48 h, twice what the 24 h chart needs, so a roll-up missed while the
 * device was off can still be computed. Hourly roll-ups: 400 days, a year of trends plus margin.
 */
export const RETENTION = { minuteSeconds: 48 * 3600, hourlySeconds: 400 * 86400 } as const;

const b = (v: boolean | null | undefined): number | null => (v === null || v === undefined ? null : v ? 1 : 0);

/** A snapshot flattened to one row; unknown readings are NULL. */
export function sampleFromSnapshot(s: Snapshot): SampleRow {
  const th = s.power.throttled.value;
  const alarm = s.power.underVoltageAlarm.value;
  const bat = s.battery.value;
  return {
    at: Math.floor(s.at / 1000),
    cpu_temp: s.cpu.temperatureC.value,
    load1: s.cpu.load.value?.load1 ?? null,
    cpu_pct: s.cpu.load.value?.cpuPercent ?? null,
    mem_pct: s.memory.value?.usedPercent ?? null,
    data_pct: s.storage.data.value?.usedPercent ?? null,
    data_free: s.storage.data.value?.availableBytes ?? null,
    root_pct: s.storage.root.value?.usedPercent ?? null,
    root_free: s.storage.root.value?.availableBytes ?? null,
    ssd_present: s.storage.state === 'local' ? null : s.storage.state === 'mounted' ? 1 : 0,
    battery_pct: bat?.percent.value ?? null,
    battery_v: bat?.voltageV.value ?? null,
    charging: b(bat?.charging.value),
    under_voltage: th || alarm !== null ? b((th?.now.underVoltage ?? false) || alarm === true) : null,
    throttled: th ? b(th.now.throttled || th.now.armFreqCapped) : null,
    io_r: s.storage.io.value?.readOpsPerSec ?? null,
    io_w: s.storage.io.value?.writeOpsPerSec ?? null,
    power_flags: th?.raw ?? null,
  };
}

export class HealthSamples {
  private readonly insert;
  constructor(private readonly db: Db) {
    const cols = ['at', ...METRICS, 'power_flags'];
    // REPLACE: a second sample in the same second (a manual run next to the scheduled one) wins.
    this.insert = db.prepare(`INSERT OR REPLACE INTO health_samples (${cols.join(', ')}) VALUES (${cols.map((c) => '@' + c).join(', ')})`);
  }

  add(row: SampleRow): void {
    this.insert.run(row);
  }

  latest(): SampleRow | undefined {
    return this.db.prepare('SELECT * FROM health_samples ORDER BY at DESC LIMIT 1').get() as SampleRow | undefined;
  }

  count(): { samples: number; hourly: number } {
    const samples = (this.db.prepare('SELECT count(*) AS n FROM health_samples').get() as { n: number }).n;
    const hourly = (this.db.prepare('SELECT count(*) AS n FROM health_hourly').get() as { n: number }).n;
    return { samples, hourly };
  }

  /**
   * Aggregates every complete hour before `nowSec` that has samples, recomputing the last few so
   * a late sample is included; returns the hours written.
   */
  rollup(nowSec: number): number {
    const currentHour = Math.floor(nowSec / 3600) * 3600;
    const aggs = METRICS.map((m) => `avg(${m}), min(${m}), max(${m})`).join(', ');
    const cols = METRICS.map((m) => `${m}_avg, ${m}_min, ${m}_max`).join(', ');
    const last = (this.db.prepare('SELECT max(hour) AS h FROM health_hourly').get() as { h: number | null }).h;
    const from = last === null ? 0 : last - 2 * 3600;
    const r = this.db
      .prepare(
        `INSERT OR REPLACE INTO health_hourly (hour, n, ${cols})
         SELECT (at / 3600) * 3600 AS hour, count(*), ${aggs} FROM health_samples
         WHERE at >= ? AND at < ? GROUP BY hour`,
      )
      .run(from, currentHour);
    return r.changes;
  }

  /**
   * Drops what is past its retention. Rows stamped more than an hour in the future came from a
   * wrong clock (the Pi has no RTC) that was since set right: they are dropped too, or they would
   * sit on the chart's right edge for days.
   */
  prune(nowSec: number): { samples: number; hourly: number } {
    return this.db.transaction(() => {
      const samples = this.db.prepare('DELETE FROM health_samples WHERE at < ? OR at > ?').run(nowSec - RETENTION.minuteSeconds, nowSec + 3600).changes;
      const hourly = this.db.prepare('DELETE FROM health_hourly WHERE hour < ? OR hour > ?').run(nowSec - RETENTION.hourlySeconds, nowSec + 3600).changes;
      return { samples, hourly };
    })();
  }

  history(range: HistoryRange, metrics: Metric[], nowSec: number): History {
    if (range === '24h') {
      const rows = this.db
        .prepare(`SELECT at, ${metrics.join(', ')} FROM health_samples WHERE at > ? AND at <= ? ORDER BY at`)
        .all(nowSec - 86400, nowSec + 60) as Record<string, number | null>[];
      const series: History['series'] = {};
      for (const m of metrics) series[m] = rows.map((r) => r[m] ?? null);
      return { range, step: 60, metrics, t: rows.map((r) => r.at as number), series };
    }
    const sel = metrics.map((m) => `${m}_avg, ${m}_min, ${m}_max`).join(', ');
    const rows = this.db
      .prepare(`SELECT hour, ${sel} FROM health_hourly WHERE hour > ? AND hour <= ? ORDER BY hour`)
      .all(nowSec - 7 * 86400, nowSec) as Record<string, number | null>[];
    const series: History['series'] = {};
    const min: History['min'] = {};
    const max: History['max'] = {};
    for (const m of metrics) {
      series[m] = rows.map((r) => roundish(r[`${m}_avg`]));
      min[m] = rows.map((r) => r[`${m}_min`] ?? null);
      max[m] = rows.map((r) => r[`${m}_max`] ?? null);
    }
    return { range, step: 3600, metrics, t: rows.map((r) => r.hour as number), series, min, max };
  }
}

function roundish(v: number | null | undefined): number | null {
  return v === null || v === undefined ? null : Math.round(v * 1000) / 1000;
}
