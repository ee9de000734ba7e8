// Alert thresholds, the alerts table's lifecycle, and the critical-battery path to a clean power-off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { evaluate } from '../../../daemon/src/health/alerts.js';
import type { Snapshot } from '../../../daemon/src/health/snapshot.js';
import { decodeThrottled } from '../../../daemon/src/health/rpi-power.js';
import { fakePiSugar, healthApp } from './fixtures.js';

const fsOf = (mount: string, usedPercent: number) => ({
  value: { mount, device: '/dev/x', type: 'ext4', sizeBytes: 100, usedBytes: usedPercent, availableBytes: 100 - usedPercent, reservedBytes: 0, usedPercent },
});
const snap = (
  p: Partial<{
    temp: number | null;
    data: number;
    root: number;
    state: Snapshot['storage']['state'];
    throttled: number | null;
    alarm: boolean | null;
    battery: number | null;
    charging: boolean | null;
    /** Phones on the Wi-Fi, and the radio's ceiling (null: a USB adapter). */
    phones: number;
    ceiling: number | null;
  }> = {},
): Snapshot => ({
  at: 0,
  uptimeSeconds: 1,
  cpu: { temperatureC: p.temp === null ? { value: null, reason: 'none' } : { value: p.temp ?? 50 }, load: { value: null, reason: 'x' } },
  memory: { value: null, reason: 'x' },
  storage: {
    state: p.state ?? 'mounted',
    data: p.state === 'missing' ? { value: null, reason: 'missing' } : fsOf('/srv/homedrive', p.data ?? 40),
    root: fsOf('/', p.root ?? 40),
    ssd: { value: null, reason: 'x' },
    io: { value: null, reason: 'x' },
  },
  power: {
    throttled: p.throttled === null ? { value: null, reason: 'not a Pi' } : { value: decodeThrottled(p.throttled ?? 0) },
    underVoltageAlarm: p.alarm === undefined || p.alarm === null ? { value: null, reason: 'x' } : { value: p.alarm },
  },
  battery:
    p.battery === undefined || p.battery === null
      ? { value: null, reason: 'none' }
      : {
          value: {
            source: 'pisugar',
            device: 'PiSugar 3',
            percent: { value: p.battery },
            charging: p.charging === null || p.charging === undefined ? { value: null, reason: '?' } : { value: p.charging },
            pluggedIn: { value: null, reason: '?' },
            voltageV: { value: null, reason: '?' },
            currentA: { value: null, reason: '?' },
          },
        },
  wifi:
    p.phones === undefined
      ? { value: null, reason: 'no root helper' }
      : {
          value: {
            interface: p.ceiling === null ? 'wlan1' : 'wlan0',
            connected: p.phones,
            ceiling: p.ceiling === undefined ? 19 : p.ceiling,
            radio: p.ceiling === null ? 'usb_adapter' : 'internal_minimal',
          },
        },
});
/** What a PiSugar 3 answers, with the given charge and charging state (mutable: the test changes it). */
const sugar3 = (battery: number, charging: boolean): Record<string, string> => ({
  'get model': 'model: PiSugar 3',
  'get battery': `battery: ${battery}`,
  'get battery_v': 'battery_v: 3.41',
  'get battery_i': 'battery_i: Not available',
  'get battery_charging': `battery_charging: ${charging}`,
  'get battery_power_plugged': `battery_power_plugged: ${charging}`,
});
const keys = (s: Snapshot) =>
  evaluate(s)
    .map((a) => `${a.key}:${a.severity}`)
    .sort();

test('thresholds: each condition and its severity; unknown readings raise nothing', () => {
  assert.deepEqual(keys(snap()), []);
  assert.deepEqual(keys(snap({ temp: null, throttled: null, battery: null })), []);
  assert.deepEqual(keys(snap({ data: 90 })), ['disk_full:data:warning']);
  assert.deepEqual(keys(snap({ data: 97.5, root: 92 })), ['disk_full:data:critical', 'disk_full:root:warning']);
  assert.deepEqual(keys(snap({ state: 'missing' })), ['ssd_missing:critical']);
  assert.deepEqual(keys(snap({ battery: 20 })), ['battery_low:warning']);
  assert.deepEqual(keys(snap({ battery: 20, charging: true })), [], 'charging: not low for long');
  assert.deepEqual(keys(snap({ battery: 5 })), ['battery_low:critical']);
  assert.deepEqual(keys(snap({ battery: 21 })), []);
  assert.deepEqual(keys(snap({ throttled: 0x1 | 0x10000 })), ['under_voltage:critical']);
  assert.deepEqual(keys(snap({ alarm: true })), ['under_voltage:critical']);
  assert.deepEqual(keys(snap({ throttled: 0x10000 })), ['under_voltage:warning']);
  assert.deepEqual(keys(snap({ throttled: 0x4 })), ['throttled:warning']);
  assert.deepEqual(keys(snap({ temp: 74.9 })), []);
  assert.deepEqual(keys(snap({ temp: 75 })), ['cpu_hot:warning']);
  assert.deepEqual(keys(snap({ temp: 81 })), ['cpu_hot:critical']);
  const m = evaluate(snap({ data: 93 }))[0]!.message;
  assert.match(m, /93 % full/);
});

test('Wi-Fi: a warning from 80 % of the radio ceiling, critical when full; none for an adapter of unknown ceiling', () => {
  assert.deepEqual(keys(snap({ phones: 15 })), []);
  assert.deepEqual(keys(snap({ phones: 16 })), ['wifi_clients:warning']);
  assert.deepEqual(keys(snap({ phones: 19 })), ['wifi_clients:critical']);
  assert.deepEqual(keys(snap({ phones: 40, ceiling: null })), []);
  const a = evaluate(snap({ phones: 17 }))[0]!;
  assert.equal(a.value, 17);
  assert.match(a.message, /17 phones on the Wi-Fi, the radio holds about 19/);
});

test('alerts are raised once, updated while they hold, and cleared when they stop', () => {
  return (async () => {
    const t = await healthApp();
    try {
      const a = t.health.alerts;
      let r = a.sync(evaluate(snap({ data: 91, temp: 76 })), 1000);
      assert.deepEqual(r.raised.map((x) => x.key).sort(), ['cpu_hot', 'disk_full:data']);
      r = a.sync(evaluate(snap({ data: 98, temp: 76 })), 2000);
      assert.equal(r.raised.length, 0);
      assert.deepEqual(
        r.changed.map((x) => `${x.key}:${x.severity}`),
        ['disk_full:data:critical'],
      );
      const active = a.active();
      assert.equal(active[0]!.key, 'disk_full:data', 'critical first');
      assert.equal(active[0]!.raised_at, 1000);
      assert.equal(active[0]!.last_seen_at, 2000);
      r = a.sync(evaluate(snap({ data: 98 })), 3000);
      assert.deepEqual(
        r.cleared.map((x) => x.key),
        ['cpu_hot'],
      );
      assert.deepEqual(
        a.active().map((x) => x.key),
        ['disk_full:data'],
      );
      assert.equal(a.recent()[0]!.cleared_at, 3000);
      // Raised again later: a new row, the old one stays in the record.
      a.sync(evaluate(snap({ data: 98, temp: 90 })), 4000);
      assert.equal((t.deps.db.prepare("SELECT count(*) AS n FROM alerts WHERE key = 'cpu_hot'").get() as { n: number }).n, 2);
    } finally {
      await t.close();
    }
  })();
});

test('the alerts job raises from live readings: an unplugged SSD, under-voltage on the Pi', async () => {
  const t = await healthApp({ env: { HCD_REQUIRE_MOUNT: '1' }, sys: { 'devices/platform/soc/soc:firmware/get_throttled': '50005\n' } });
  try {
    const r = await t.health.jobs.run('alerts');
    assert.equal(r.outcome, 'ok', r.error ?? '');
    assert.deepEqual(
      t.health.alerts
        .active()
        .map((a) => a.key)
        .sort(),
      ['ssd_missing', 'throttled', 'under_voltage'],
    );
  } finally {
    await t.close();
  }
});

test('critical battery: users warned through /api/notice, then a clean power-off by the configured command', async () => {
  const answers = sugar3(4, false);
  const sugar = await fakePiSugar(answers);
  const marker = path.join(fs.mkdtempSync('/tmp/hcd-poweroff-'), 'powered-off');
  const t = await healthApp({
    env: { HCD_BATTERY: 'pisugar', HCD_PISUGAR_ADDRESS: sugar.address, HCD_SHUTDOWN_COMMAND: `touch ${marker}`, HCD_SHUTDOWN_WARNING_SECONDS: '60' },
  });
  try {
    const admin = await t.user('boss', 'admin');
    assert.deepEqual(await t.json(t.req('GET', '/api/notice')), { notice: null });

    const first = await t.health.jobs.run('alerts');
    assert.equal(first.summary?.power, 'warned');
    const n = (await t.json(t.req('GET', '/api/notice'))).notice;
    assert.equal(n.code, 'battery_critical_shutdown');
    assert.equal(n.level, 'critical');
    assert.match(n.message, /4 %/);
    assert.equal(Date.parse(n.shutdownAt) - Date.parse(n.at), 60_000);
    assert.equal(fs.existsSync(marker), false, 'not before the warning ran out');
    const now = await t.json(t.req('GET', '/api/admin/health', { token: admin.token }));
    assert.deepEqual(
      now.alerts.map((a: { key: string }) => a.key),
      ['battery_low'],
    );
    assert.equal(now.notice.code, 'battery_critical_shutdown');

    t.clock.advance(30_000);
    await t.health.jobs.run('sample'); // the minute's fresh reading, as on schedule
    assert.equal((await t.health.jobs.run('alerts')).summary?.power, 'waiting');
    assert.equal(fs.existsSync(marker), false);

    t.clock.advance(31_000);
    await t.health.jobs.run('sample');
    assert.equal((await t.health.jobs.run('alerts')).summary?.power, 'shutdown');
    assert.equal(fs.existsSync(marker), true, 'the shutdown command ran');
    const audit = await t.json(t.req('GET', '/api/admin/audit?action=shutdown', { token: admin.token }));
    assert.equal(audit.entries[0].detail.reason, 'battery_critical');
  } finally {
    await t.close();
    await sugar.close();
    fs.rmSync(path.dirname(marker), { recursive: true, force: true });
  }
});

test('critical battery: plugging a charger in during the warning cancels the power-off', async () => {
  const answers = sugar3(3, false);
  const sugar = await fakePiSugar(answers);
  const marker = path.join(fs.mkdtempSync('/tmp/hcd-poweroff-'), 'powered-off');
  const t = await healthApp({
    env: { HCD_BATTERY: 'pisugar', HCD_PISUGAR_ADDRESS: sugar.address, HCD_SHUTDOWN_COMMAND: `touch ${marker}`, HCD_SHUTDOWN_WARNING_SECONDS: '60' },
  });
  try {
    assert.equal((await t.health.jobs.run('alerts')).summary?.power, 'warned');
    Object.assign(answers, sugar3(3, true));
    t.clock.advance(61_000);
    await t.health.jobs.run('sample');
    assert.equal((await t.health.jobs.run('alerts')).summary?.power, 'cancelled');
    assert.deepEqual(await t.json(t.req('GET', '/api/notice')), { notice: null });
    assert.equal(fs.existsSync(marker), false);
  } finally {
    await t.close();
    await sugar.close();
    fs.rmSync(path.dirname(marker), { recursive: true, force: true });
  }
});

test('a failing power-off command is logged and retried at the next evaluation', async () => {
  const sugar = await fakePiSugar(sugar3(2, false));
  const t = await healthApp({
    env: { HCD_BATTERY: 'pisugar', HCD_PISUGAR_ADDRESS: sugar.address, HCD_SHUTDOWN_COMMAND: 'false', HCD_SHUTDOWN_WARNING_SECONDS: '0' },
  });
  try {
    assert.equal((await t.health.jobs.run('alerts')).summary?.power, 'shutdown_failed');
    assert.equal((await t.health.jobs.run('alerts')).summary?.power, 'shutdown_failed');
  } finally {
    await t.close();
    await sugar.close();
  }
});
