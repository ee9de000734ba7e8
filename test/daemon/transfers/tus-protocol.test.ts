// tus 1.0 over the in-process app: creation, PATCH, HEAD, termination, expiry, and the same
// permissions, quota and overwrite rule as PUT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errorCode, makeApp, type TestApp, type TestUser } from '../../helpers/app.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const meta = (m: Record<string, string>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${b64(v)}`)
    .join(',');

async function create(h: TestApp, u: TestUser, length: number, m: Record<string, string>) {
  return h.req('POST', '/api/tus', { token: u.token, headers: { 'tus-resumable': '1.0.0', 'upload-length': String(length), 'upload-metadata': meta(m) } });
}
async function patch(h: TestApp, u: TestUser, location: string, offset: number, bytes: Uint8Array) {
  return h.req('PATCH', location, {
    token: u.token,
    body: bytes,
    headers: { 'tus-resumable': '1.0.0', 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
  });
}

test('an upload in two PATCHes lands in its space with its owner and SHA-256', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const a = await h.user('ada', 'advanced');
  const data = crypto.randomBytes(200_000);
  const c = await create(h, a, data.length, { space: 'home', path: '/Vidéos/clip 1.bin' });
  assert.equal(c.status, 201, await c.clone().text());
  const loc = c.headers.get('location')!;
  assert.match(loc, /^\/api\/tus\/[\w-]+$/);
  const p1 = await patch(h, a, loc, 0, data.subarray(0, 120_000));
  assert.equal(p1.status, 204);
  assert.equal(p1.headers.get('upload-offset'), '120000');
  const head = await h.req('HEAD', loc, { token: a.token, headers: { 'tus-resumable': '1.0.0' } });
  assert.equal(head.headers.get('upload-offset'), '120000');
  assert.equal(head.headers.get('upload-length'), String(data.length));
  assert.equal((await h.req('GET', '/api/fs/home/Vid%C3%A9os/', { token: a.token })).status, 404, 'invisible until complete');
  const p2 = await patch(h, a, loc, 120_000, data.subarray(120_000));
  assert.equal(p2.status, 204, await p2.clone().text());
  const got = Buffer.from(await (await h.req('GET', `/api/fs/home/Vid%C3%A9os/${encodeURIComponent('clip 1.bin')}`, { token: a.token })).arrayBuffer());
  assert.ok(got.equals(data));
  const row = h.deps.drive.files.get('users/ada', 'Vidéos/clip 1.bin')!;
  assert.equal(row.owner, 'ada');
  assert.equal(row.sha256, crypto.createHash('sha256').update(data).digest('hex'));
  assert.deepEqual(fs.readdirSync(path.join(h.dataDir, '.hcd/tus')), [], 'nothing left in the tus folder');
  assert.equal(h.deps.audit.page({ limit: 5, action: 'upload' }).entries[0]!.target, 'users/ada:/Vidéos/clip 1.bin');
});

test('creation enforces the role matrix, the overwrite rule, quotas and needs a length', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  const u = await h.user('ulla', 'user');
  const a = await h.user('ada', 'advanced');
  assert.equal((await create(h, u, 10, { space: 'home', path: 'x' })).status, 403);
  assert.equal((await create(h, a, 10, { space: 'users/root1', path: 'x' })).status, 403);
  await h.put(admin, 'workspace/taken.txt', 'x');
  const taken = await create(h, a, 10, { space: 'workspace', path: 'taken.txt' });
  assert.equal(taken.status, 409);
  assert.equal(await errorCode(taken), 'exists');
  assert.equal((await create(h, a, 10, { space: 'workspace', path: 'taken.txt', overwrite: '1' })).status, 403, "not ada's to overwrite");
  assert.equal((await create(h, admin, 10, { space: 'workspace', path: 'taken.txt', overwrite: '1' })).status, 201);
  assert.equal((await create(h, a, 10, { space: 'workspace', path: '../evil' })).status, 400);
  assert.equal((await create(h, a, 10, { space: 'workspace' })).status, 400);
  const deferred = await h.req('POST', '/api/tus', {
    token: a.token,
    headers: { 'tus-resumable': '1.0.0', 'upload-defer-length': '1', 'upload-metadata': meta({ space: 'workspace', path: 'd' }) },
  });
  assert.equal(deferred.status, 400);
  await h.req('PATCH', '/api/admin/users/ulla', { token: admin.token, body: { quotaBytes: 1000 } });
  const first = await create(h, u, 800, { space: 'workspace', path: 'one.bin' });
  assert.equal(first.status, 201);
  // The unfinished upload reserves its length: a second one, or a PUT, cannot overrun the quota.
  const second = await create(h, u, 300, { space: 'workspace', path: 'two.bin' });
  assert.equal(second.status, 413);
  assert.equal(await errorCode(second), 'quota_exceeded');
  const put = await h.req('PUT', '/api/fs/workspace/three.bin', { token: u.token, body: new Uint8Array(300), headers: { 'content-length': '300' } });
  assert.equal(put.status, 413);
  assert.equal((await h.req('POST', '/api/tus', { headers: { 'tus-resumable': '1.0.0', 'upload-length': '1' } })).status, 401);
});

test("another user's upload is unknown to them; termination removes an unfinished upload", async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const a = await h.user('ada', 'advanced');
  const b = await h.user('bob', 'advanced');
  const loc = (await create(h, a, 10, { space: 'workspace', path: 'a.bin' })).headers.get('location')!;
  assert.equal((await h.req('HEAD', loc, { token: b.token, headers: { 'tus-resumable': '1.0.0' } })).status, 404);
  assert.equal((await patch(h, b, loc, 0, new Uint8Array(10))).status, 404);
  assert.equal((await h.req('DELETE', loc, { token: b.token, headers: { 'tus-resumable': '1.0.0' } })).status, 404);
  assert.equal((await h.req('GET', loc, { token: a.token })).status, 405, 'partial uploads are not downloadable');
  await patch(h, a, loc, 0, new Uint8Array(4));
  assert.equal((await h.req('DELETE', loc, { token: a.token, headers: { 'tus-resumable': '1.0.0' } })).status, 204);
  assert.equal((await h.req('HEAD', loc, { token: a.token, headers: { 'tus-resumable': '1.0.0' } })).status, 404);
  assert.deepEqual(fs.readdirSync(path.join(h.dataDir, '.hcd/tus')), []);
  assert.equal(h.deps.uploads.ledger.reservedBy('ada'), 0);
});

test('stale unfinished uploads expire through the clean-up job', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const a = await h.user('ada', 'advanced');
  const old = (await create(h, a, 10, { space: 'workspace', path: 'old.bin' })).headers.get('location')!.split('/').pop()!;
  const fresh = (await create(h, a, 10, { space: 'workspace', path: 'fresh.bin' })).headers.get('location')!.split('/').pop()!;
  const info = path.join(h.dataDir, '.hcd/tus', `${old}.json`);
  const j = JSON.parse(fs.readFileSync(info, 'utf8'));
  j.creation_date = new Date(Date.now() - 25 * 3600 * 1000).toISOString();
  fs.writeFileSync(info, JSON.stringify(j));
  assert.equal(await h.deps.transfers.expire(), 1);
  assert.deepEqual(fs.readdirSync(path.join(h.dataDir, '.hcd/tus')).sort(), [fresh, `${fresh}.json`].sort());
  assert.equal(h.deps.uploads.ledger.reservedBy('ada'), 10);
});
