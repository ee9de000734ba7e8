// Real-browser tests of the admin health dashboard against a real daemon: readings (unknown with a reason), charts, jobs, the clock, roles, screenshots.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { api, dispose, login, poll, startDaemon } from '../helpers/server.js';
import { LAPTOP, launch, newPage, PHONE, SHOTS, seededDaemon, shoot, uiLogin, type Seeded } from './browser.js';

let s: Seeded;
let browser: Browser;
let base: string;
let clockDir: string;
let argsFile: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  // The set-clock command is a fake that records its arguments: the test machine's clock is left alone.
  clockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-clock-'));
  argsFile = path.join(clockDir, 'args');
  const script = path.join(clockDir, 'fake-set-clock');
  fs.writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\n`, { mode: 0o755 });
  s = await seededDaemon({ HCD_SET_CLOCK_COMMAND: `${script} {seconds} {iso}` });
  base = s.daemon.base;
  // A few samples, more than a second apart (one row per second), so the 24 h charts have lines.
  for (let i = 0; i < 3; i++) {
    const r = await api(base, s.adminToken, 'POST', '/api/admin/health/jobs/sample/run');
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.outcome, 'ok', JSON.stringify(r.json));
    if (i < 2) await sleep(1100);
  }
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await dispose(s?.daemon);
  fs.rmSync(clockDir, { recursive: true, force: true });
});

async function openDashboard(page: Page, heading = 'Device health'): Promise<void> {
  await uiLogin(page, base, 'admin', s.users.admin.password);
  await page.goto(`${base}/admin/health`);
  await page.getByRole('heading', { name: heading, level: 2 }).waitFor();
  await page.locator('.health-grid [data-reading="memory"]').waitFor();
  await page.locator('.charts figure[data-chart="cpu"]').waitFor();
}

async function fullShot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SHOTS, { recursive: true });
  const vp = page.viewportSize();
  const file = path.join(SHOTS, `${name}-${vp && vp.width < 700 ? 'phone' : 'laptop'}.png`);
  await page.waitForTimeout(150);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The reading's value and reason as shown, and whether it says unknown. */
async function shown(page: Page, id: string): Promise<{ state: string | null; value: string; reason: string | null; title: string | null }> {
  const row = page.locator(`.health-grid [data-reading="${id}"]`).first();
  await row.waitFor();
  const value = row.locator('.value').first();
  return {
    state: await row.getAttribute('data-state'),
    value: (await value.innerText()).trim(),
    reason: (await row.locator('.reason').count()) ? (await row.locator('.reason').innerText()).trim() : null,
    title: await value.getAttribute('title'),
  };
}

test('an admin sees every reading now: known ones with numbers, unknown ones with the reason', async () => {
  const { context, page } = await newPage(browser, LAPTOP);
  try {
    await openDashboard(page);
    const now = (await api(base, s.adminToken, 'GET', '/api/admin/health')).json;

    // Known on any Linux machine.
    const mem = await shown(page, 'memory');
    assert.equal(mem.state, 'known');
    assert.match(mem.value, /^\d+(\.\d)?\s?% used$/);
    const load = await shown(page, 'load');
    assert.equal(load.state, 'known');
    assert.match(load.value, /^\d+(\.\d+)? · \d+(\.\d+)? · \d+(\.\d+)?$/);
    assert.equal((await shown(page, 'uptime')).state, 'known');
    assert.equal((await shown(page, 'sd-usage')).state, 'known');

    // Unknown here (no battery configured: HCD_BATTERY=none): the word and the daemon's reason, never a number.
    const battery = await shown(page, 'battery');
    assert.equal(battery.state, 'unknown');
    assert.equal(battery.value, 'Unknown');
    assert.equal(battery.reason, now.battery.reason);
    assert.equal(battery.title, now.battery.reason);
    assert.match(battery.reason!, /HCD_BATTERY=none/);

    // The others follow whatever this machine can give: the same answer as the API, reading by reading.
    const expect: [string, { value: unknown; reason?: string }][] = [
      ['cpu-temp', now.cpu.temperatureC],
      ['ssd-model', now.storage.ssd],
      ['ssd-usage', now.storage.data],
    ];
    // Without the firmware's get_throttled (not a Pi), its three lines are one, with its reason once.
    if (now.power.throttled.value === null) expect.push(['power-flags', now.power.throttled]);
    else for (const id of ['under-voltage-boot', 'throttling-now', 'throttling-boot']) expect.push([id, now.power.throttled]);
    if (now.power.throttled.value === null && now.power.underVoltageAlarm.value === null)
      assert.equal(await page.locator('[data-reading="under-voltage-now"]').count(), 0);
    else expect.push(['under-voltage-now', now.power.throttled.value ? now.power.throttled : now.power.underVoltageAlarm]);
    let unknowns = 1;
    for (const [id, r] of expect) {
      const ui = await shown(page, id);
      if (r.value === null) {
        unknowns++;
        assert.equal(ui.state, 'unknown', id);
        assert.equal(ui.value, 'Unknown', id);
        assert.equal(ui.reason, r.reason, id);
      } else {
        assert.equal(ui.state, 'known', id);
        assert.notEqual(ui.value, 'Unknown', id);
      }
    }
    // Every unknown row on the page carries a reason.
    const rows = page.locator('.health-grid [data-state="unknown"]');
    assert.ok((await rows.count()) >= unknowns);
    for (const row of await rows.all()) assert.ok((await row.locator('.reason').innerText()).trim().length > 3);

    // Alerts: exactly the active ones, or the all-clear line.
    if (now.alerts.length === 0) await page.locator('#no-alerts').waitFor();
    else assert.equal(await page.locator('.hbanners .hbanner').count(), now.alerts.length);

    // The clocks agree here: no warning, and the plain button in the clock card.
    assert.equal(await page.locator('#clock-warning').count(), 0);
    assert.match(await page.locator('[data-reading="clock-difference"] .value').innerText(), /In step/);
    await page.locator('#set-clock').waitFor();

    // The 24 h charts are drawn (uPlot canvases) with their text summary; empty ones say why.
    const cpu = page.locator('figure[data-chart="cpu"]');
    assert.equal(await cpu.getAttribute('data-state'), 'chart');
    await cpu.locator('.chart-box canvas').waitFor();
    assert.match(await cpu.locator('.chart-summary').innerText(), /CPU use: now \d+\s?%, lowest \d+\s?%, highest \d+\s?%\. Memory used: now/);
    assert.equal(await page.locator('figure[data-chart="storage"]').getAttribute('data-state'), 'chart');
    const batteryChart = page.locator('figure[data-chart="battery"]');
    assert.equal(await batteryChart.getAttribute('data-state'), 'empty');
    assert.equal((await batteryChart.locator('.reason').innerText()).trim(), now.battery.reason);
    assert.match(await page.locator('.health-history [role="status"]').innerText(), /^\d+ samples since .+, one a minute\.$/);
    const points = Number(await page.locator('.charts').getAttribute('data-points'));
    assert.ok(points >= 3, `points ${points}`);
    await shoot(page, 'health');
    await fullShot(page, 'health-full');

    // 7 days: hourly averages, none yet on a fresh device.
    await page.getByRole('button', { name: 'Last 7 days' }).click();
    await page.getByText('No hourly averages yet').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Last 7 days' }).getAttribute('aria-pressed'), 'true');
    assert.equal(await page.locator('figure[data-chart="cpu"]').getAttribute('data-state'), 'empty');
    await page.getByRole('button', { name: 'Last 24 hours' }).click();
    await page.locator('figure[data-chart="cpu"][data-state="chart"] canvas').waitFor();
  } finally {
    await context.close();
  }
});

test('the jobs table shows each job with its last and next run, and "run now" runs it', async () => {
  // A job run by hand just now: the daily trash job, which its schedule (03:30) will not run again
  // while this test reads the table (the every-minute sample may well tick meanwhile).
  assert.equal((await api(base, s.adminToken, 'POST', '/api/admin/health/jobs/trash/run')).status, 200);
  const { context, page } = await newPage(browser, LAPTOP);
  try {
    await openDashboard(page);
    const before = (await api(base, s.adminToken, 'GET', '/api/admin/health/jobs/sample')).json;
    const jobs = (await api(base, s.adminToken, 'GET', '/api/admin/health')).json.jobs as { name: string }[];
    const table = page.locator('table.jobs');
    await table.waitFor();
    assert.deepEqual(
      await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-job'))),
      jobs.map((j) => j.name),
    );
    const sample = table.locator('tr[data-job="sample"]');
    assert.match(await sample.innerText(), /Sensor sample/);
    assert.match(await table.locator('tr[data-job="trash"]').innerText(), /run by hand/);
    assert.match(await sample.locator('.job-badge').innerText(), /^OK$/);
    assert.match(await table.locator('tr[data-job="backup"] .job-badge').innerText(), /^Not run yet$/);
    // Next runs are times (the backup's is tomorrow's date or today's time), never empty.
    for (const name of ['sample', 'backup']) assert.notEqual((await table.locator(`tr[data-job="${name}"] td`).nth(2).innerText()).trim(), '');

    await page.getByRole('button', { name: 'Run “Sensor sample” now' }).click();
    await page
      .locator('#job-status')
      .getByText(/“Sensor sample” done in/)
      .waitFor();
    // The table is rebuilt after the run; keyboard focus comes back to the same button.
    await page.waitForFunction(() => document.activeElement?.id === 'job-run-sample');
    const afterRun = (await api(base, s.adminToken, 'GET', '/api/admin/health/jobs/sample')).json;
    assert.ok(afterRun.runs > before.runs, `runs ${before.runs} → ${afterRun.runs}`);
    const audit = (await api(base, s.adminToken, 'GET', '/api/admin/audit?action=job_run&limit=5')).json;
    assert.ok(audit.entries.some((e: { target: string; actor: string }) => e.target === 'job:sample' && e.actor === 'admin'));

    // A failing job shows its error: the backup refuses to run without an SSD (development data root).
    await page.getByRole('button', { name: 'Run “Database backup” now' }).click();
    await page
      .locator('#job-status')
      .getByText(/“Database backup” (done in|failed)/)
      .waitFor();
    const backup = (await api(base, s.adminToken, 'GET', '/api/admin/health/jobs/backup')).json;
    const row = table.locator('tr[data-job="backup"]');
    await row
      .locator('.job-badge')
      .getByText(backup.lastRun.outcome === 'ok' ? 'OK' : 'Failed', { exact: true })
      .waitFor();
    if (backup.lastRun.error) await row.locator('.job-error').getByText(backup.lastRun.error).waitFor();
    await page.locator('.health-jobs').scrollIntoViewIfNeeded();
    await shoot(page, 'health-jobs');
  } finally {
    await context.close();
  }
});

/**
 * Fixture history written straight into the daemon's database (WAL: a second writer is fine): a day
 * of minute samples with two hours off in the middle, and a week of hourly roll-ups with a hole.
 * Only metrics this machine really reports are filled; the others stay NULL (unknown), as here.
 */
function writeHistory(dbFile: string): void {
  const db = new Database(dbFile);
  try {
    db.pragma('busy_timeout = 5000');
    const nowSec = Math.floor(Date.now() / 1000);
    const wave = (sec: number, period: number) => Math.sin((sec / period) * 2 * Math.PI);
    const minute = db.prepare(
      'INSERT OR REPLACE INTO health_samples (at, load1, cpu_pct, mem_pct, data_pct, root_pct, data_free, root_free) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const hour = db.prepare(
      `INSERT OR REPLACE INTO health_hourly (hour, n, cpu_pct_avg, cpu_pct_min, cpu_pct_max, mem_pct_avg, mem_pct_min, mem_pct_max, data_pct_avg, data_pct_min, data_pct_max, root_pct_avg, root_pct_min, root_pct_max)
       VALUES (?, 60, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    db.transaction(() => {
      // Up to ten minutes ago, so the real samples of this run stay the latest.
      for (let at = Math.floor((nowSec - 86_400 + 120) / 60) * 60; at < nowSec - 600; at += 60) {
        const ago = nowSec - at;
        if (ago > 8 * 3600 && ago < 10 * 3600) continue; // the device was off
        const cpu = 25 + 18 * wave(at, 6 * 3600) + 6 * wave(at, 700);
        minute.run(at, cpu / 50, cpu, 31 + 4 * wave(at, 9 * 3600), 40 + ((86_400 - ago) / 86_400) * 6, 22, 60e9, 80e9);
      }
      const thisHour = Math.floor(nowSec / 3600) * 3600;
      for (let h = thisHour - 7 * 86_400 + 3600; h < thisHour; h += 3600) {
        const ago = (thisHour - h) / 3600;
        if (ago > 50 && ago <= 56) continue; // off for six hours two days ago
        const cpu = 25 + 15 * wave(h, 86_400);
        hour.run(
          h,
          cpu,
          Math.max(0, cpu - 12),
          Math.min(100, cpu + 30),
          32,
          29,
          38,
          30 + ((168 - ago) / 168) * 14,
          30 + ((168 - ago) / 168) * 14 - 0.2,
          30 + ((168 - ago) / 168) * 14 + 0.2,
          22,
          22,
          22.1,
        );
      }
    })();
  } finally {
    db.close();
  }
}

test('a day and a week of history are drawn, each chart with its summary', async () => {
  writeHistory(s.daemon.env.HCD_DB!);
  const { context, page } = await newPage(browser, LAPTOP);
  try {
    await openDashboard(page);
    await page.locator('figure[data-chart="cpu"][data-state="chart"] canvas').waitFor();
    assert.ok(Number(await page.locator('.charts').getAttribute('data-points')) > 1000);
    assert.match(await page.locator('figure[data-chart="cpu"] .chart-summary').innerText(), /CPU use: now \d+\s?%, lowest \d+\s?%, highest \d+\s?%/);
    assert.match(
      await page.locator('figure[data-chart="storage"] .chart-summary').innerText(),
      /SSD \(files\): now \d+\s?%, lowest \d+\s?%, highest \d+\s?%\. SD card \(system\): now/,
    );
    await page.evaluate(() => document.querySelector('.health-history')!.scrollIntoView());
    await shoot(page, 'health-history-24h');

    await page.getByRole('button', { name: 'Last 7 days' }).click();
    await page
      .locator('.health-history [role="status"]')
      .getByText(/hourly averages since/)
      .waitFor();
    const points = Number(await page.locator('.charts').getAttribute('data-points'));
    assert.ok(points > 150 && points <= 168, `points ${points}`);
    const cpu = page.locator('figure[data-chart="cpu"]');
    assert.equal(await cpu.getAttribute('data-state'), 'chart');
    // The summary's highest is the hours' own maximum (the roll-up's max), not the highest average.
    const week = (await api(base, s.adminToken, 'GET', '/api/admin/health/history?range=7d&metric=cpu_pct')).json;
    const peak = Math.max(...(week.max.cpu_pct as (number | null)[]).filter((v): v is number => v !== null));
    const peakOfAverages = Math.max(...(week.series.cpu_pct as (number | null)[]).filter((v): v is number => v !== null));
    assert.ok(peak > peakOfAverages + 5);
    assert.match(await cpu.locator('.chart-summary').innerText(), new RegExp(`CPU use: now \\d+\\s?%, lowest \\d+\\s?%, highest ${Math.round(peak)}\\s?%`));
    assert.equal(await page.locator('figure[data-chart="battery"]').getAttribute('data-state'), 'empty');
    await page.evaluate(() => document.querySelector('.health-history')!.scrollIntoView());
    await shoot(page, 'health-history-7d');
  } finally {
    await context.close();
  }
});

test('a device clock two hours behind is shown prominently and set from the browser', async () => {
  const { context, page } = await newPage(browser, LAPTOP);
  try {
    // The browser is two hours ahead of the device: the same as a Pi that booted with a stale clock.
    const browserTime = Date.now() + 2 * 3600_000;
    await page.clock.setFixedTime(new Date(browserTime));
    await openDashboard(page);
    const warning = page.locator('#clock-warning');
    await warning.getByRole('heading', { name: 'The device clock is wrong' }).waitFor();
    assert.match(await warning.innerText(), /The device is 2\s?h 0\s?m(in)? behind\. It says /);
    assert.match(await page.locator('[data-reading="clock-difference"] .value').innerText(), /behind/);
    // One button, the prominent one: the card's plain one would say the same twice.
    assert.equal(await page.locator('#set-clock').count(), 0);
    await shoot(page, 'health-clock');

    fs.rmSync(argsFile, { force: true });
    await warning.getByRole('button', { name: 'Set the device clock from this browser' }).click();
    await page
      .locator('#health-status')
      .getByText(/The device clock was set to/)
      .waitFor();
    const recorded = await poll('the fake clock command', () => (fs.existsSync(argsFile) ? fs.readFileSync(argsFile, 'utf8') : ''));
    const [seconds, iso] = recorded.trim().split('\n');
    // The browser's (fixed) time exactly: {iso} to the millisecond, {seconds} rounded.
    assert.equal(iso, new Date(browserTime).toISOString());
    assert.equal(Number(seconds), Math.round(browserTime / 1000));
    const audit = (await api(base, s.adminToken, 'GET', '/api/admin/audit?action=clock_set&limit=5')).json;
    assert.ok(audit.entries.some((e: { actor: string; detail: { to: string } }) => e.actor === 'admin' && e.detail.to === iso));
  } finally {
    await context.close();
  }
});

test('phone size, in French: one column, nothing wider than the screen', async () => {
  const { context, page } = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await openDashboard(page, 'État de l’appareil');
    assert.equal(await page.locator('.health-grid [data-reading="battery"] .value').innerText(), 'Inconnu');
    await page.locator('figure[data-chart="cpu"] canvas').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone`);
    await shoot(page, 'health');
    await fullShot(page, 'health-full');
    await page.evaluate(() => document.querySelector('.health-history')!.scrollIntoView());
    await shoot(page, 'health-charts');
    // Also in English at phone size, for the record.
    await page.evaluate(() => localStorage.setItem('hcd.lang', 'en'));
    await page.reload();
    await page.getByRole('heading', { name: 'Device health', level: 2 }).waitFor();
    await page.locator('figure[data-chart="cpu"] canvas').waitFor();
    await page.locator('.health-jobs').scrollIntoViewIfNeeded();
    await shoot(page, 'health-jobs');
  } finally {
    await context.close();
  }
});

test("in French on a phone: the reasons and the jobs' summaries are French words, with their plurals", async () => {
  // A file copied onto the disk behind the daemon's back: the re-index adds exactly one.
  const copied = path.join(s.daemon.dir, 'data', 'workspace', 'copie-fr.txt');
  fs.writeFileSync(copied, 'bonjour');
  for (const job of ['trash', 'reconcile', 'sessions']) {
    const r = await api(base, s.adminToken, 'POST', `/api/admin/health/jobs/${job}/run`);
    assert.equal(r.json.outcome, 'ok', JSON.stringify(r.json));
  }
  const { context, page } = await newPage(browser, { width: 390, height: 844 }, { locale: 'fr-FR' });
  try {
    await openDashboard(page, 'État de l’appareil');
    // Why the battery is unknown (no battery configured): the daemon's code, in French words.
    const battery = page.locator('.health-grid [data-reading="battery"]');
    assert.equal(await battery.locator('.value').innerText(), 'Inconnu');
    assert.equal(await battery.locator('.reason').innerText(), 'aucune batterie configurée (HCD_BATTERY=none) : une batterie externe simple ne dit rien');
    const summary = async (job: string) => page.locator(`tr[data-job="${job}"] .job-summary`).innerText();
    // Zero and one are singular in French; a zero with nothing to count has its own words.
    assert.equal(await summary('trash'), 'rien de plus de 30 jours');
    assert.equal(await summary('sessions'), 'aucune ancienne session');
    assert.equal(await summary('reconcile'), '1 fichier ajouté · 0 mis à jour · 0 manquant · 0 conflit');
    assert.match(await summary('sample'), /^mesure enregistrée, (toutes les valeurs connues|1 valeur inconnue|\d+ valeurs inconnues)$/);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone`);
    await page.locator('tr[data-job="reconcile"]').scrollIntoViewIfNeeded();
    await shoot(page, 'health-jobs-fr');
    // The same in English, from the same codes.
    await page.evaluate(() => localStorage.setItem('hcd.lang', 'en'));
    await page.reload();
    await page.getByRole('heading', { name: 'Device health', level: 2 }).waitFor();
    assert.equal(await summary('trash'), 'nothing older than 30 days');
    assert.equal(await summary('reconcile'), '1 file added · 0 updated · 0 missing · 0 conflicts');
  } finally {
    await context.close();
    fs.rmSync(copied, { force: true });
  }
});

/** A PiSugar 3 power manager's TCP API on loopback: a low battery, unplugged; it does not measure current. */
async function fakePiSugar(): Promise<{ address: string; close: () => Promise<void> }> {
  const answers: Record<string, string> = {
    model: 'PiSugar 3',
    battery: '14.5',
    battery_v: '3.62',
    battery_i: 'not supported on this model',
    battery_charging: 'false',
    battery_power_plugged: 'false',
  };
  const server = net.createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const key = buf.slice(0, nl).trim().replace(/^get /, '');
        buf = buf.slice(nl + 1);
        sock.write(`${key}: ${answers[key] ?? 'unknown command'}\n`);
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return { address: `127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

test('a battery board: its readings, the one it cannot give, and the low-battery alert banner', async () => {
  const pisugar = await fakePiSugar();
  const d = await startDaemon({ env: { HCD_BATTERY: 'pisugar', HCD_PISUGAR_ADDRESS: pisugar.address } });
  const { context, page } = await newPage(browser, LAPTOP);
  try {
    // The printed first password replaced first, as the UI would ask at the first login.
    const own = 'admin-own-password-1';
    const changed = await api(d.base, await login(d.base, 'admin', d.adminPassword!), 'POST', '/api/auth/password', {
      currentPassword: d.adminPassword,
      newPassword: own,
    });
    const token: string = changed.json.token;
    for (const job of ['sample', 'alerts']) assert.equal((await api(d.base, token, 'POST', `/api/admin/health/jobs/${job}/run`)).json.outcome, 'ok');
    await page.goto(`${d.base}/`);
    await page.getByLabel('Name').fill('admin');
    await page.getByLabel('Password').fill(own);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Sections' }).waitFor();
    await page.goto(`${d.base}/admin/health`);
    const banner = page.locator('.hbanners .hbanner[data-alert="battery_low"]');
    await banner.waitFor();
    assert.match(await banner.innerText(), /^Warning: Battery low: 15\s?%\. Plug in a charger\. since /);
    const charge = page.locator('[data-reading="battery-charge"]');
    assert.equal(await charge.getAttribute('data-state'), 'known');
    assert.match(await charge.locator('.value').innerText(), /^15\s?%$/);
    assert.equal(await charge.locator('meter').getAttribute('value'), '14.5');
    assert.equal(await page.locator('[data-reading="battery-charging"] .value').innerText(), 'Not charging');
    assert.equal(await page.locator('[data-reading="battery-external"] .value').innerText(), 'Not connected');
    assert.equal(await page.locator('[data-reading="battery-voltage"] .value').innerText(), '3.62 V');
    const current = page.locator('[data-reading="battery-current"]');
    assert.equal(await current.getAttribute('data-state'), 'unknown');
    assert.equal(await current.locator('.reason').innerText(), '"get battery_i" answered "not supported on this model"');
    await page.locator('figure[data-chart="battery"][data-state="chart"]').waitFor();
    await shoot(page, 'health-battery');
  } finally {
    await context.close();
    await dispose(d);
    await pisugar.close();
  }
});

test('phones on the Wi-Fi, in French on a phone: unknown without the root helper, then 16 of about 19 with the near-full alert', async () => {
  // A stand-in root helper on a Unix socket, answering the daemon's "stations" as provisioning/helper does.
  const sock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-helper-')), 'helper.sock');
  let phones = 16;
  const helper = net.createServer((c) => {
    c.once('data', () => c.end(`${JSON.stringify({ ok: true, result: { interface: 'wlan0', firmware: 'minimal', count: phones, stations: [] } })}\n`));
  });
  const d = await startDaemon({ env: { HCD_HELPER_SOCKET: sock } });
  const { context, page } = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    const own = 'admin-own-password-1';
    const changed = await api(d.base, await login(d.base, 'admin', d.adminPassword!), 'POST', '/api/auth/password', {
      currentPassword: d.adminPassword,
      newPassword: own,
    });
    const token: string = changed.json.token;
    await uiLogin(page, d.base, 'admin', own);
    await page.goto(`${d.base}/admin/health`);
    const wifi = page.locator('[data-reading="wifi-clients"]');
    await wifi.waitFor();
    assert.equal(await wifi.getAttribute('data-state'), 'unknown');
    assert.match(await wifi.locator('.reason').innerText(), /^pas d’assistant root sur .*helper\.sock \(appareil non provisionné/);

    await new Promise<void>((r) => helper.listen(sock, r));
    // The daemon asks the helper at most every 15 s: wait for the reading to pass through.
    await poll(
      '16 phones in the health reading',
      async () => (await api(d.base, token, 'GET', '/api/admin/health')).json.wifi.value?.connected === 16,
      30_000,
      500,
    );
    assert.equal((await api(d.base, token, 'POST', '/api/admin/health/jobs/alerts/run')).json.outcome, 'ok');
    await page.reload();
    await wifi.locator('.value').getByText('16 sur environ 19').waitFor();
    assert.equal(await wifi.getAttribute('data-tone'), 'warn');
    assert.match(await wifi.innerText(), /La radio du Pi, micrologiciel minimal : environ 19 téléphones à la fois/);
    const banner = page.locator('.hbanners .hbanner[data-alert="wifi_clients"]');
    assert.match(await banner.innerText(), /16 téléphones sur le Wi-Fi ; la radio en accepte environ 19 : presque plein\./);
    await shoot(page, 'health-wifi-fr');
    phones = 3;
  } finally {
    await context.close();
    await dispose(d);
    helper.close();
  }
});

test('users and advanced users get no dashboard: not in the page, not from the API, not even its code', async () => {
  for (const who of ['ulla', 'adam'] as const) {
    const { context, page } = await newPage(browser, PHONE);
    try {
      const chunks: string[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/assets/chunks/health-dashboard')) chunks.push(r.url());
      });
      await uiLogin(page, base, who, s.users[who].password);
      assert.equal(await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Admin' }).count(), 0);
      await page.goto(`${base}/admin/health`);
      await page.getByRole('heading', { name: 'Only administrators can see this page.' }).waitFor();
      assert.equal(await page.locator('.health-grid, .charts, table.jobs').count(), 0);
      assert.deepEqual(chunks, [], who);
    } finally {
      await context.close();
    }
    const token = await login(base, who, s.users[who].password);
    for (const [method, p, body] of [
      ['GET', '/api/admin/health', undefined],
      ['GET', '/api/admin/health/history?range=24h', undefined],
      ['POST', '/api/admin/health/jobs/sample/run', undefined],
      ['POST', '/api/admin/clock', { time: new Date().toISOString() }],
    ] as const) {
      const r = await api(base, token, method, p, body);
      assert.equal(r.status, 403, `${who} ${method} ${p}`);
    }
  }
});
