// /api/admin/health, its history, jobs and /api/admin/clock: shapes for the dashboard, admins only; /api/health stays minimal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { errorCode } from '../../helpers/app.js';
import { METRICS } from '../../../daemon/src/health/samples.js';
import { healthApp } from './fixtures.js';

/** Every leaf reading is {value} or {value: null, reason}. */
function assertReading(r: unknown, where: string) {
  assert.ok(r && typeof r === 'object' && 'value' in r, `${where} is a reading`);
  const x = r as { value: unknown; reason?: unknown };
  if (x.value === null) assert.equal(typeof x.reason, 'string', `${where}: unknown needs a reason`);
  else assert.equal(x.reason, undefined, `${where}: a value has no reason`);
}

test('only admins reach the health, history, jobs and clock routes', async () => {
  const t = await healthApp();
  try {
    const user = await t.user('ulla', 'user');
    const adv = await t.user('arno', 'advanced');
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/admin/health'],
      ['GET', '/api/admin/health/history?range=24h'],
      ['GET', '/api/admin/health/jobs/sample'],
      ['POST', '/api/admin/health/jobs/sample/run'],
      ['POST', '/api/admin/clock', { time: '2026-11-25T12:00:00Z' }],
    ];
    for (const [method, url, body] of routes) {
      assert.equal((await t.req(method, url, { body })).status, 401, `${method} ${url} anonymous`);
      for (const u of [user, adv]) {
        const res = await t.req(method, url, { token: u.token, body });
        assert.equal(res.status, 403, `${method} ${url} as ${u.role}`);
        assert.equal(await errorCode(res), 'forbidden');
      }
    }
    assert.equal(t.health.jobs.status().find((j) => j.name === 'sample')!.runs, 0, 'nothing ran for them');
  } finally {
    await t.close();
  }
});

test('GET /api/admin/health: every reading with unknowns explicit, alerts, jobs, clock', async () => {
  const t = await healthApp({ env: { HCD_BATTERY: 'power_supply' } });
  try {
    const admin = await t.user('boss', 'admin');
    await t.health.jobs.run('sample');
    const res = await t.req('GET', '/api/admin/health', { token: admin.token });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const h = await res.json();
    assert.equal(h.at, new Date(t.clock.now()).toISOString());
    assert.equal(h.clock.now, h.at);
    for (const [k, r] of Object.entries({
      'cpu.temperatureC': h.cpu.temperatureC,
      'cpu.load': h.cpu.load,
      memory: h.memory,
      'storage.data': h.storage.data,
      'storage.root': h.storage.root,
      'storage.ssd': h.storage.ssd,
      'storage.io': h.storage.io,
      'power.throttled': h.power.throttled,
      'power.underVoltageAlarm': h.power.underVoltageAlarm,
      battery: h.battery,
      wifi: h.wifi,
    }))
      assertReading(r, k);
    assert.equal(h.cpu.temperatureC.value, 52.3);
    assert.equal(h.storage.state, 'local');
    assert.equal(h.storage.ssd.value.model, 'PSSD T7');
    assert.equal(h.power.throttled.value.now.underVoltage, false);
    assert.equal(h.battery.value, null);
    assert.match(h.battery.reason, /power_supply/);
    assert.equal(h.batterySource, 'power_supply');
    assert.deepEqual(h.alerts, []);
    assert.equal(h.notice, null);
    assert.equal(h.thresholds.cpuWarnC, 75);
    const sample = h.jobs.find((j: { name: string }) => j.name === 'sample');
    assert.deepEqual(Object.keys(sample).sort(), ['description', 'failures', 'lastRun', 'lastSuccessAt', 'name', 'nextRunAt', 'running', 'runs', 'schedule']);
    assert.equal(sample.lastRun.outcome, 'ok');
  } finally {
    await t.close();
  }
});

test('history: minute samples for 24h, hourly roll-ups for 7d, metric filter, bad input refused', async () => {
  const t = await healthApp();
  try {
    const admin = await t.user('boss', 'admin');
    for (let i = 0; i < 130; i++) {
      await t.health.jobs.run('sample');
      t.clock.advance(60_000);
    }
    await t.health.jobs.run('rollup');
    const day = await t.json(t.req('GET', '/api/admin/health/history?range=24h&metric=cpu_temp,battery_pct', { token: admin.token }));
    assert.deepEqual(Object.keys(day).sort(), ['metrics', 'range', 'series', 'step', 't']);
    assert.equal(day.step, 60);
    assert.deepEqual(day.metrics, ['cpu_temp', 'battery_pct']);
    assert.equal(day.t.length, 130);
    assert.equal(day.series.cpu_temp[0], 52.3);
    assert.equal(day.series.battery_pct[0], null);
    const week = await t.json(t.req('GET', '/api/admin/health/history?range=7d&metric=cpu_temp', { token: admin.token }));
    assert.equal(week.step, 3600);
    assert.ok(week.t.length >= 2);
    assert.deepEqual([week.series.cpu_temp[0], week.min.cpu_temp[0], week.max.cpu_temp[0]], [52.3, 52.3, 52.3]);
    const all = await t.json(t.req('GET', '/api/admin/health/history', { token: admin.token }));
    assert.deepEqual(all.metrics, [...METRICS]);
    for (const q of ['range=1y', 'metric=bogus', 'metric=cpu_temp;drop']) {
      const res = await t.req('GET', `/api/admin/health/history?${q}`, { token: admin.token });
      assert.equal(res.status, 400, q);
      assert.equal(await errorCode(res), 'bad_request');
    }
  } finally {
    await t.close();
  }
});

test("jobs: one job's status and history, and a run on demand (audited)", async () => {
  const t = await healthApp();
  try {
    const admin = await t.user('boss', 'admin');
    const run = await t.json(t.req('POST', '/api/admin/health/jobs/backup/run', { token: admin.token }));
    assert.equal(run.outcome, 'ok');
    assert.match(run.summary.file, /^hcd-.*\.db$/);
    const one = await t.json(t.req('GET', '/api/admin/health/jobs/backup', { token: admin.token }));
    assert.equal(one.history.length, 1);
    assert.equal(one.history[0].trigger, 'manual');
    assert.equal((await t.req('POST', '/api/admin/health/jobs/nope/run', { token: admin.token })).status, 404);
    const audit = await t.json(t.req('GET', '/api/admin/audit?action=job_run', { token: admin.token }));
    assert.equal(audit.entries[0].target, 'job:backup');
  } finally {
    await t.close();
  }
});

test('POST /api/admin/clock runs the configured command with the time, audited; failures reported', async () => {
  const dir = fs.mkdtempSync('/tmp/hcd-clock-');
  const t = await healthApp({ env: { HCD_SET_CLOCK_COMMAND: `touch ${dir}/clock-{seconds}` } });
  try {
    const admin = await t.user('boss', 'admin');
    const res = await t.req('POST', '/api/admin/clock', { token: admin.token, body: { time: '2027-03-01T10:20:30.400+01:00' } });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.requested, '2027-03-01T09:20:30.400Z');
    assert.equal(body.previous, new Date(t.clock.now()).toISOString());
    assert.deepEqual(fs.readdirSync(dir), [`clock-${Math.round(Date.UTC(2027, 2, 1, 9, 20, 30, 400) / 1000)}`]);
    const audit = await t.json(t.req('GET', '/api/admin/audit?action=clock_set', { token: admin.token }));
    assert.equal(audit.entries[0].actor, 'boss');
    assert.equal(audit.entries[0].detail.to, '2027-03-01T09:20:30.400Z');
    assert.equal(audit.entries[0].detail.ok, true);

    for (const body of [{}, { time: 'tomorrow' }, { time: '1970-01-01T00:00:00Z' }, { time: 1700000000 }, { time: '2026-11-25T12:00:00Z; rm -rf /' }]) {
      const r = await t.req('POST', '/api/admin/clock', { token: admin.token, body });
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    assert.equal(fs.readdirSync(dir).length, 1);
  } finally {
    await t.close();
  }
  const f = await healthApp({ env: { HCD_SET_CLOCK_COMMAND: 'false {seconds}' } });
  try {
    const admin = await f.user('boss', 'admin');
    const res = await f.req('POST', '/api/admin/clock', { token: admin.token, body: { time: '2027-03-01T10:20:30Z' } });
    assert.equal(res.status, 500);
    assert.match((await res.json()).error.message, /could not be set/);
    const audit = await f.json(f.req('GET', '/api/admin/audit?action=clock_set', { token: admin.token }));
    assert.equal(audit.entries[0].detail.ok, false);
  } finally {
    await f.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the public /api/health stays minimal; /api/notice is public', async () => {
  const t = await healthApp();
  try {
    const h = await t.json(t.req('GET', '/api/health'));
    assert.deepEqual(Object.keys(h).sort(), ['diskFull', 'mountRequired', 'status', 'storage', 'version']);
    assert.deepEqual(await t.json(t.req('GET', '/api/notice')), { notice: null });
  } finally {
    await t.close();
  }
});
