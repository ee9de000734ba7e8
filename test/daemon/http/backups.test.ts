// The backups API: listing, making, downloading; admins only; names outside the backups refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { errorCode, makeApp } from '../../helpers/app.js';

test('backups: admins make, list and download them; others get 403; other names are not served', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  const A = { token: admin.token };
  await h.user('ulla', 'user');
  const adv = await h.user('adam', 'advanced');

  for (const u of [await h.user('nina', 'user'), adv]) {
    for (const [m, url] of [
      ['GET', '/api/admin/backups'],
      ['POST', '/api/admin/backups'],
      ['GET', '/api/admin/backups/hcd-2026-12-03T03-15-00-000Z.db'],
      ['POST', '/api/admin/backups/hcd-2026-12-03T03-15-00-000Z.db/restore'],
    ] as const) {
      const r = await h.req(m, url, { token: u.token, body: m === 'POST' ? {} : undefined });
      assert.equal(r.status, 403, `${u.role} ${m} ${url}`);
    }
  }
  assert.equal((await h.req('GET', '/api/admin/backups')).status, 401);

  const empty = await h.json(h.req('GET', '/api/admin/backups', A));
  assert.deepEqual(empty, { backups: [], offer: null, storage: true });

  const made = await h.req('POST', '/api/admin/backups', { ...A, body: {} });
  assert.equal(made.status, 201);
  const { name, bytes } = (await made.json()) as { name: string; bytes: number };
  assert.match(name, /^hcd-\d{4}-.*Z\.db$/);
  const list = (await h.json(h.req('GET', '/api/admin/backups', A))) as {
    backups: { name: string; users: number; bytes: number; schemaVersion: number }[];
    offer: unknown;
  };
  assert.equal(list.backups.length, 1);
  assert.deepEqual([list.backups[0]!.name, list.backups[0]!.bytes, list.backups[0]!.users], [name, bytes, 4]);
  assert.ok(list.backups[0]!.schemaVersion! >= 8);
  assert.equal(list.offer, null, 'this database has accounts of its own: nothing is offered');

  const dl = await h.req('GET', `/api/admin/backups/${name}`, A);
  assert.equal(dl.status, 200);
  assert.equal(dl.headers.get('content-disposition'), `attachment; filename="${name}"`);
  const body = Buffer.from(await dl.arrayBuffer());
  assert.equal(body.length, bytes);
  assert.equal(body.subarray(0, 15).toString(), 'SQLite format 3');
  const copy = path.join(h.dir, 'downloaded.db');
  fs.writeFileSync(copy, body);
  const db = new Database(copy, { readonly: true });
  assert.deepEqual(
    (db.prepare('SELECT username FROM users ORDER BY username').all() as { username: string }[]).map((r) => r.username),
    ['adam', 'nina', 'root1', 'ulla'],
  );
  db.close();

  // Only names the drive gives its backups; no path, no other file of .hcd.
  assert.equal((await h.req('GET', '/api/admin/backups/..%2Fhcd.db', A)).status, 400, 'traversal refused before any route');
  for (const bad of ['hcd.db', 'hcd-2026-12-03T03-15-00-000Z.db.part', 'hcd-2099-01-01T00-00-00-000Z.db']) {
    const r = await h.req('GET', `/api/admin/backups/${bad}`, A);
    assert.equal(r.status, 404, bad);
    assert.equal(await errorCode(r), 'not_found');
  }
  // A symlink named like a backup is not followed.
  fs.symlinkSync('/etc/passwd', path.join(h.dataDir, '.hcd', 'backups', 'hcd-2020-01-01T00-00-00-000Z.db'));
  assert.equal((await h.req('GET', '/api/admin/backups/hcd-2020-01-01T00-00-00-000Z.db', A)).status, 404);

  // The restore needs the name typed again; an in-memory database has no file to restore into.
  const noConfirm = await h.req('POST', `/api/admin/backups/${name}/restore`, { ...A, body: {} });
  assert.equal(noConfirm.status, 400);
  assert.match(((await noConfirm.json()) as { error: { message: string } }).error.message, /confirm/);
  const mem = await h.req('POST', `/api/admin/backups/${name}/restore`, { ...A, body: { confirm: name } });
  assert.equal(mem.status, 400);
  assert.deepEqual(h.deps.lifecycle.restarts, [], 'no restart asked for');

  const audit = (await h.json(h.req('GET', '/api/admin/audit?action=backup_create', A))) as { entries: { target: string }[] };
  assert.deepEqual(
    audit.entries.map((e) => e.target),
    [`backup:${name}`],
  );
});

test('backups: without the SSD the list is empty and making one is refused with 503', async (t) => {
  const h = await makeApp({ env: { HCD_REQUIRE_MOUNT: '1' } });
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  assert.deepEqual(await h.json(h.req('GET', '/api/admin/backups', { token: admin.token })), { backups: [], offer: null, storage: false });
  const r = await h.req('POST', '/api/admin/backups', { token: admin.token, body: {} });
  assert.equal(r.status, 503);
  assert.equal(await errorCode(r), 'storage_unavailable');
});
