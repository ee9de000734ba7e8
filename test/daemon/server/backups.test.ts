// Restoring a backup on a real daemon: staged, the daemon stops with 75 (systemd restarts it), the next start
// swaps the database; a damaged backup is refused; a new SD card meeting an SSD with backups is offered the newest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { login, startDaemon } from '../../helpers/server.js';

async function call(base: string, token: string, method: string, url: string, body?: unknown) {
  const res = await fetch(base + url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

test('restore: the daemon stops with 75, the next start is the backup; a damaged one is refused; a new card is offered the newest', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-restore-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  let d = await startDaemon({ dir });
  t.after(() => d.stop('SIGKILL'));
  const adminPassword = d.adminPassword!;
  let admin = await login(d.base, 'admin', adminPassword);
  // The generated password must be replaced before anything else.
  assert.equal((await call(d.base, admin, 'POST', '/api/auth/password', { currentPassword: adminPassword, newPassword: 'teacher-password-1' })).status, 200);
  admin = await login(d.base, 'admin', 'teacher-password-1');
  assert.equal((await call(d.base, admin, 'POST', '/api/admin/users', { username: 'ulla', password: 'ulla-password', role: 'user' })).status, 201);
  const ulla = await login(d.base, 'ulla', 'ulla-password');
  assert.equal((await call(d.base, ulla, 'PUT', '/api/fs/workspace/ulla.txt', 'from ulla')).status, 201);
  const made = await call(d.base, admin, 'POST', '/api/admin/backups', {});
  assert.equal(made.status, 201);
  const name = made.json.name as string;

  // After the backup: an account and a file the backup does not know.
  assert.equal((await call(d.base, admin, 'POST', '/api/admin/users', { username: 'late', password: 'late-password', role: 'user' })).status, 201);
  const late = await login(d.base, 'late', 'late-password');
  assert.equal((await call(d.base, late, 'PUT', '/api/fs/workspace/late.txt', 'from late')).status, 201);

  // A damaged file named like a backup: refused, nothing staged, the daemon keeps serving.
  const damaged = 'hcd-2026-01-01T00-00-00-000Z.db';
  fs.writeFileSync(path.join(d.env.HCD_DATA_DIR!, '.hcd', 'backups', damaged), 'SQLite format 3\0' + 'x'.repeat(5000));
  const bad = await call(d.base, admin, 'POST', `/api/admin/backups/${damaged}/restore`, { confirm: damaged });
  assert.equal(bad.status, 400, JSON.stringify(bad.json));
  assert.equal(bad.json.error.code, 'invalid_backup');
  assert.equal(fs.existsSync(`${d.env.HCD_DB}.restore`), false);
  assert.equal((await call(d.base, admin, 'GET', '/api/admin/backups')).status, 200, 'still serving');

  const r = await call(d.base, admin, 'POST', `/api/admin/backups/${name}/restore`, { confirm: name });
  assert.equal(r.status, 202, JSON.stringify(r.json));
  assert.equal(r.json.restoring.users, 2);
  assert.equal(await d.stop('SIGCONT'), 75, 'stopped by itself, asking for a restart');

  d = await startDaemon({ dir });
  assert.match(d.output(), /restored a backup/);
  assert.equal(fs.existsSync(`${d.env.HCD_DB}.before-restore`), true, 'the replaced database is kept');
  admin = await login(d.base, 'admin', 'teacher-password-1');
  await login(d.base, 'ulla', 'ulla-password');
  const refused = await fetch(`${d.base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'late', password: 'late-password' }),
  });
  assert.equal(refused.status, 401, 'an account made after the backup is gone');
  const listing = await call(d.base, admin, 'GET', '/api/fs/workspace/');
  const owners = Object.fromEntries((listing.json.entries as { name: string; owner: string | null }[]).map((e) => [e.name, e.owner]));
  assert.deepEqual(owners, { 'ulla.txt': 'ulla', 'late.txt': null }, 'files on the SSD stay; one the backup did not know has no owner');
  const audit = await call(d.base, admin, 'GET', '/api/admin/audit?action=backup_restore');
  assert.deepEqual(
    audit.json.entries.map((e: { actor: string; target: string }) => [e.actor, e.target]),
    [['admin', `backup:${name}`]],
  );

  // A new SD card: no database, the SSD with its backups. The first start's admin is offered the newest.
  await d.stop();
  for (const f of fs.readdirSync(dir)) if (f.startsWith('hcd.db')) fs.rmSync(path.join(dir, f));
  d = await startDaemon({ dir });
  const fresh = await login(d.base, 'admin', d.adminPassword!);
  const offered = await call(d.base, fresh, 'GET', '/api/admin/backups');
  assert.equal(offered.json.offer?.name, name, 'the newest backup with accounts is offered');
  const again = await call(d.base, fresh, 'POST', `/api/admin/backups/${name}/restore`, { confirm: name });
  assert.equal(again.status, 202);
  assert.equal(await d.stop('SIGCONT'), 75);
  d = await startDaemon({ dir });
  await login(d.base, 'ulla', 'ulla-password');
  assert.equal((await call(d.base, await login(d.base, 'admin', 'teacher-password-1'), 'GET', '/api/admin/backups')).json.offer, null);
});
