// Scheduled jobs run on demand (no waiting for cron): outcomes kept in SQLite, backups, trash, clean-up hooks.
import { migrations } from '../../../daemon/src/db/migrate.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { healthApp } from './fixtures.js';
import { runCleaners } from '../../../daemon/src/jobs/list.js';
import { JobRunner } from '../../../daemon/src/jobs/runner.js';
import { silentLogger } from '../../../daemon/src/log.js';

const DAY = 86400_000;

test('every declared job runs on demand and its last run is kept', async () => {
  const t = await healthApp();
  try {
    const names = t.health.jobs.names();
    assert.deepEqual(names, ['sample', 'alerts', 'rollup', 'backup', 'trash', 'partial-uploads', 'sessions', 'reconcile', 'thumbnails']);
    for (const n of names) {
      const r = await t.health.jobs.run(n);
      assert.equal(r.outcome, 'ok', `${n}: ${r.error}`);
    }
    const st = t.health.jobs.status();
    for (const j of st) {
      assert.equal(j.lastRun?.outcome, 'ok', j.name);
      assert.equal(j.lastRun?.trigger, 'manual');
      assert.equal(j.runs, 1);
      assert.equal(typeof j.lastRun?.durationMs, 'number');
      assert.equal(j.nextRunAt, null, 'not scheduled until start()');
    }
    // Quiet (every-minute) jobs keep their state row but no job_runs row for a success.
    const rows = t.deps.db.prepare('SELECT name FROM job_runs ORDER BY id').all() as { name: string }[];
    assert.deepEqual(
      rows.map((r) => r.name),
      ['rollup', 'backup', 'trash', 'partial-uploads', 'sessions', 'reconcile', 'thumbnails'],
    );
    assert.equal((t.deps.db.prepare('SELECT count(*) AS n FROM health_samples').get() as { n: number }).n, 1);
  } finally {
    await t.close();
  }
});

test('start() schedules with node-cron, stop() unschedules', async () => {
  const t = await healthApp();
  try {
    t.health.jobs.start();
    const st = t.health.jobs.status();
    assert.ok(st.every((j) => j.nextRunAt !== null));
    await t.health.stop();
    assert.ok(t.health.jobs.status().every((j) => j.nextRunAt === null));
  } finally {
    await t.close();
  }
});

test('nightly backup: a consistent copy on the SSD, the last 7 kept', async () => {
  const t = await healthApp();
  try {
    const admin = await t.user('boss', 'admin');
    for (let i = 0; i < 9; i++) {
      const r = await t.health.jobs.run('backup');
      assert.equal(r.outcome, 'ok', r.error ?? '');
      t.clock.advance(DAY);
    }
    const dir = path.join(t.dataDir, '.hcd', 'backups');
    const files = fs.readdirSync(dir).sort();
    assert.equal(files.length, 7);
    assert.ok(files.every((f) => /^hcd-.*\.db$/.test(f)));
    assert.ok(files[0]!.includes('2026-11-27'), `oldest two pruned: ${files[0]}`);
    const copy = new Database(path.join(dir, files[6]!), { readonly: true });
    assert.equal(copy.pragma('user_version', { simple: true }), migrations.length, 'the copy has the current schema');
    assert.equal((copy.prepare('SELECT username FROM users').get() as { username: string }).username, admin.username);
    copy.close();
  } finally {
    await t.close();
  }
});

test('backup, trash and reconcile refuse to run without the SSD (nothing written on the mount point)', async () => {
  const t = await healthApp({ env: { HCD_REQUIRE_MOUNT: '1' } });
  try {
    for (const n of ['backup', 'trash', 'reconcile']) {
      const r = await t.health.jobs.run(n);
      assert.equal(r.outcome, 'failed', n);
      assert.match(r.error!, /not mounted/);
    }
    assert.equal(fs.existsSync(path.join(t.dataDir, '.hcd', 'backups')), false);
    const backup = t.health.jobs.status().find((j) => j.name === 'backup')!;
    assert.equal(backup.failures, 1);
    assert.match(backup.lastRun!.error!, /not mounted/);
    assert.equal(t.health.jobs.history('backup')[0]?.outcome, 'failed');
  } finally {
    await t.close();
  }
});

test('trash older than HCD_TRASH_DAYS is purged, younger trash kept', async () => {
  const t = await healthApp({ env: { HCD_TRASH_DAYS: '10' } });
  try {
    const adv = await t.user('anna', 'advanced');
    assert.equal((await t.put(adv, 'workspace/old.txt', 'old')).status, 201);
    assert.equal((await t.put(adv, 'workspace/new.txt', 'new')).status, 201);
    assert.equal((await t.req('DELETE', '/api/fs/workspace/old.txt', { token: adv.token })).status, 200);
    t.clock.advance(6 * DAY);
    assert.equal((await t.req('DELETE', '/api/fs/workspace/new.txt', { token: adv.token })).status, 200);
    t.clock.advance(5 * DAY);
    const r = await t.health.jobs.run('trash');
    assert.deepEqual(r.summary, { purged: 1, olderThanDays: 10 });
    const left = (await t.json(t.req('GET', '/api/trash', { token: adv.token }))).items.map((i: { name: string }) => i.name);
    assert.deepEqual(left, ['new.txt']);
  } finally {
    await t.close();
  }
});

test('stale partial uploads: every cleaner is called, a failing one fails the run', async () => {
  const calls: string[] = [];
  const ok = await runCleaners([
    { name: 'tus', clean: async () => (calls.push('tus'), 2) },
    { name: 'put', clean: async () => (calls.push('put'), 0) },
  ]);
  assert.deepEqual(ok, { cleaners: 2, removed: { tus: 2, put: 0 } });
  await assert.rejects(
    runCleaners([
      { name: 'tus', clean: async () => (calls.push('tus'), 2) },
      {
        name: 'broken',
        clean: async () => {
          throw new Error('disk says no');
        },
      },
      { name: 'put', clean: async () => (calls.push('put'), 0) },
    ]),
    /broken: disk says no/,
  );
  assert.deepEqual(calls, ['tus', 'put', 'tus', 'put'], 'a failing cleaner does not stop the others');
});

test('the partial-uploads job expires resumable uploads unfinished after 24 h (declared in jobs/list.ts)', async () => {
  const t = await healthApp();
  try {
    const u = await t.user('tess', 'user');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const res = await t.req('POST', '/api/tus', {
      token: u.token,
      headers: { 'tus-resumable': '1.0.0', 'upload-length': '10', 'upload-metadata': `space ${b64('workspace')},path ${b64('old.bin')}` },
    });
    assert.equal(res.status, 201);
    const id = res.headers.get('location')!.split('/').pop()!;
    const info = path.join(t.dataDir, '.hcd/tus', `${id}.json`);
    const j = JSON.parse(fs.readFileSync(info, 'utf8'));
    // @tus/server dates its uploads with the real clock, not the app's.
    j.creation_date = new Date(Date.now() - 25 * 3600 * 1000).toISOString();
    fs.writeFileSync(info, JSON.stringify(j));
    const r = await t.health.jobs.run('partial-uploads');
    assert.equal(r.outcome, 'ok', r.error ?? '');
    assert.deepEqual(r.summary, { cleaners: 1, removed: { 'tus-expired': 1 } });
    assert.deepEqual(fs.readdirSync(path.join(t.dataDir, '.hcd/tus')), []);
    assert.equal(t.deps.uploads.ledger.reservedBy('tess'), 0);
  } finally {
    await t.close();
  }
});

test('a run already in progress is joined, not started twice', async () => {
  const t = await healthApp();
  try {
    let n = 0;
    const slow = { name: 'slow', schedule: '0 0 * * *', description: 'slow', run: async () => (n++, await new Promise((r) => setTimeout(r, 50)), { n }) };
    const runner = new JobRunner(t.deps.db, t.clock, silentLogger, [slow]);
    const [a, b] = await Promise.all([runner.run('slow'), runner.run('slow')]);
    assert.equal(n, 1);
    assert.equal(a, b);
  } finally {
    await t.close();
  }
});

test('the sessions job forgets sessions idle for 30 days, and only those', async () => {
  const t = await healthApp();
  try {
    const row = await t.deps.accounts.createUser({ username: 'idle', password: 'idle-password', role: 'user' });
    const { token: old } = await t.deps.accounts.openSession(row, null, null);
    const { token: fresh } = await t.deps.accounts.openSession(row, null, null);
    const sid = (await t.deps.accounts.authenticate(old))!.sessionId;
    t.deps.db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ?').run(t.clock.now() - 31 * 86400_000, sid);
    const r = await t.health.jobs.run('sessions');
    assert.equal(r.outcome, 'ok');
    assert.deepEqual(r.summary, { removed: 1 });
    assert.equal(await t.deps.accounts.authenticate(old), null);
    assert.notEqual(await t.deps.accounts.authenticate(fresh), null);
  } finally {
    await t.close();
  }
});
