// Minute samples, hourly roll-ups and bounded retention, driven by a manual clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { METRICS, RETENTION, type SampleRow } from '../../../daemon/src/health/samples.js';
import { healthApp } from './fixtures.js';

const empty = (at: number): SampleRow => ({
  at,
  power_flags: null,
  ...(Object.fromEntries(METRICS.map((m) => [m, null])) as Record<(typeof METRICS)[number], null>),
});

test('the sample job stores one row per minute from the readers, unknowns as NULL', async () => {
  const t = await healthApp({ sys: { 'devices/platform/soc/soc:firmware/get_throttled': '50005\n' } });
  try {
    await t.health.jobs.run('sample');
    t.clock.advance(60_000);
    await t.health.jobs.run('sample');
    const rows = t.deps.db.prepare('SELECT * FROM health_samples ORDER BY at').all() as SampleRow[];
    assert.equal(rows.length, 2);
    const r = rows[1]!;
    assert.equal(r.at, Math.floor(t.clock.now() / 1000));
    assert.equal(r.cpu_temp, 52.3);
    assert.equal(r.load1, 0.5);
    assert.equal(r.mem_pct, 25);
    assert.equal(r.data_pct, 25);
    assert.equal(r.ssd_present, null, 'no mount required: not an SSD to be present or missing');
    assert.equal(r.under_voltage, 1);
    assert.equal(r.throttled, 1);
    assert.equal(r.power_flags, 0x50005);
    assert.equal(r.battery_pct, null, 'HCD_BATTERY=none: unknown, not 0');
    assert.equal(r.charging, null);
  } finally {
    await t.close();
  }
});

test('roll-ups: avg/min/max per complete hour; retention drops old minutes, old hours and future rows', async () => {
  const t = await healthApp();
  try {
    const h = t.health.samples;
    const start = Math.floor(t.clock.now() / 1000 / 3600) * 3600 - 72 * 3600; // 72 h ago, on the hour
    for (let i = 0; i < 72 * 60; i++) {
      const at = start + i * 60;
      // cpu_temp is the minute within the hour: avg 29.5, min 0, max 59; battery unknown throughout.
      h.add({ ...empty(at), cpu_temp: i % 60, data_pct: 50 });
    }
    t.clock.t = (start + 72 * 3600) * 1000; // the next hour has just begun
    const nowSec = Math.floor(t.clock.now() / 1000);
    assert.equal(h.rollup(nowSec), 72);
    const hr = t.deps.db.prepare('SELECT * FROM health_hourly ORDER BY hour LIMIT 1').get() as Record<string, number | null>;
    assert.equal(hr.hour, start);
    assert.equal(hr.n, 60);
    assert.equal(hr.cpu_temp_avg, 29.5);
    assert.equal(hr.cpu_temp_min, 0);
    assert.equal(hr.cpu_temp_max, 59);
    assert.equal(hr.battery_pct_avg, null);
    // Idempotent: a second run rewrites only the last hours, with the same values.
    h.rollup(nowSec);
    assert.equal(h.count().hourly, 72);

    // A row stamped by a wrong clock, an hour and more in the future, and an ancient roll-up.
    h.add({ ...empty(nowSec + 2 * 3600), cpu_temp: 99 });
    t.deps.db.prepare('INSERT INTO health_hourly (hour, n) VALUES (?, 1)').run(nowSec - RETENTION.hourlySeconds - 3600);
    const pruned = h.prune(nowSec);
    assert.equal(pruned.samples, 24 * 60 + 1, 'minutes older than 48 h, and the future row');
    assert.equal(pruned.hourly, 1);
    assert.equal(h.count().samples, 48 * 60);
    assert.equal(h.count().hourly, 72, 'roll-ups outlive the minutes they came from');

    const day = h.history('24h', ['cpu_temp', 'battery_pct'], nowSec);
    assert.equal(day.step, 60);
    // Strictly after 24 h ago, up to the last minute sample (the one of "now" is not taken yet).
    assert.equal(day.t.length, 24 * 60 - 1);
    assert.equal(day.series.cpu_temp!.length, day.t.length);
    assert.ok(day.series.battery_pct!.every((v) => v === null));
    assert.equal(day.min, undefined);
    const week = h.history('7d', ['cpu_temp'], nowSec);
    assert.equal(week.step, 3600);
    assert.equal(week.t.length, 72);
    assert.deepEqual([week.series.cpu_temp![0], week.min!.cpu_temp![0], week.max!.cpu_temp![0]], [29.5, 0, 59]);
    assert.ok(week.t.every((x, i) => i === 0 || x - week.t[i - 1]! === 3600));
  } finally {
    await t.close();
  }
});

test('the rollup job prunes job runs past 30 days too', async () => {
  const t = await healthApp();
  try {
    await t.health.jobs.run('backup');
    t.clock.advance(31 * 86400_000);
    const r = await t.health.jobs.run('rollup');
    assert.equal(r.summary?.prunedJobRuns, 1);
  } finally {
    await t.close();
  }
});
