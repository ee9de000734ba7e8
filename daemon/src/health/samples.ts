// The health history: snapshots flattened to minute samples, hourly roll-ups, their bounded retention, and the chart series.
import { METRICS, type History, type HistoryRange, type Metric } from '../api-types.js';
import type { Db } from '../db/connection.js';
import { healthSampleQueries, type HealthSampleQueries, type SampleRow } from '../db/queries/health-samples.js';
import type { Snapshot } from './snapshot.js';

export { METRICS, type Metric, type SampleRow };

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
  private readonly q: HealthSampleQueries;
  constructor(private readonly db: Db) {
    this.q = healthSampleQueries(db);
  }

  add(row: SampleRow): void {
    this.q.insert(row);
  }

  latest(): SampleRow | undefined {
    return this.q.latest();
  }

  count(): { samples: number; hourly: number } {
    const samples = this.q.countSamples();
    const hourly = this.q.countHourly();
    return { samples, hourly };
  }

  /**
   * Aggregates every complete hour before `nowSec` that has samples, recomputing the last few so
   * a late sample is included; returns the hours written.
   */
  rollup(nowSec: number): number {
    const currentHour = Math.floor(nowSec / 3600) * 3600;
    const last = this.q.lastHour();
    const from = last === null ? 0 : last - 2 * 3600;
    return this.q.rollup(from, currentHour);
  }

  /**
   * Drops what is past its retention. Rows stamped more than an hour in the future came from a
   * wrong clock (the Pi has no RTC) that was since set right: they are dropped too, or they would
   * sit on the chart's right edge for days.
   */
  prune(nowSec: number): { samples: number; hourly: number } {
    return this.db.transaction(() => {
      const samples = this.q.pruneSamples(nowSec - RETENTION.minuteSeconds, nowSec + 3600);
      const hourly = this.q.pruneHourly(nowSec - RETENTION.hourlySeconds, nowSec + 3600);
      return { samples, hourly };
    })();
  }

  history(range: HistoryRange, metrics: Metric[], nowSec: number): History {
    if (range === '24h') {
      const rows = this.q.samplesBetween(nowSec - 86400, nowSec + 60);
      const series: History['series'] = {};
      for (const m of metrics) series[m] = rows.map((r) => r[m] ?? null);
      return { range, step: 60, metrics, t: rows.map((r) => r.at), series };
    }
    const rows = this.q.hourlyBetween(nowSec - 7 * 86400, nowSec);
    const series: History['series'] = {};
    const min: History['min'] = {};
    const max: History['max'] = {};
    for (const m of metrics) {
      series[m] = rows.map((r) => roundish(r[`${m}_avg`]));
      min[m] = rows.map((r) => r[`${m}_min`] ?? null);
      max[m] = rows.map((r) => r[`${m}_max`] ?? null);
    }
    return { range, step: 3600, metrics, t: rows.map((r) => r.hour), series, min, max };
  }
}

function roundish(v: number | null | undefined): number | null {
  return v === null || v === undefined ? null : Math.round(v * 1000) / 1000;
}
