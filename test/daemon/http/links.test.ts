// Guest links over HTTP: who may make them, what a guest reaches (and never reaches), expiry, limits,
// passwords, revocation, moves and deletes, drop boxes owned by the creator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeSecret, encodeSecret, groupSecret } from '../../../daemon/src/services/links.js';
import { ManualClock, errorCode, makeApp, type TestApp, type TestUser } from '../../helpers/app.js';
import { request } from '../../helpers/server.js';

async function world(clock = new ManualClock()) {
  const h = await makeApp({ clock });
  const w = {
    h,
    clock,
    user: await h.user('ulla', 'user'),
    adv: await h.user('ada', 'advanced'),
    admin: await h.user('root1', 'admin'),
    other: await h.user('otto', 'advanced'),
  };
  await h.put(w.admin, 'workspace/class/a.txt', 'alpha');
  await h.put(w.admin, 'workspace/class/sub/b.txt', 'bravo');
  await h.put(w.admin, 'workspace/secret.txt', 'outside');
  await h.put(w.other, 'home/otto.txt', 'otto private');
  await h.put(w.adv, 'home/mine/c.txt', 'charlie');
  return w;
}

const mk = (h: TestApp, u: TestUser, body: Record<string, unknown>) => h.req('POST', '/api/links', { token: u.token, body: { expires: '1d', ...body } });

async function link(h: TestApp, u: TestUser, body: Record<string, unknown>) {
  const r = await mk(h, u, body);
  assert.equal(r.status, 201, JSON.stringify(await r.clone().json()));
  return (await r.json()) as { id: number; secret: string; url: string; state: string };
}

test('secrets: 26 Crockford characters, typed in any case, with or without dashes, O for 0 and L for 1', () => {
  for (let i = 0; i < 50; i++) {
    const bytes = Buffer.from(Array.from({ length: 16 }, () => Math.floor(Math.random() * 256)));
    const s = encodeSecret(bytes);
    assert.match(s, /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    assert.deepEqual(decodeSecret(s), bytes);
    assert.deepEqual(decodeSecret(groupSecret(s).toLowerCase()), bytes);
    assert.deepEqual(decodeSecret(s.replace(/0/g, 'o').replace(/1/g, 'l')), bytes);
  }
  assert.equal(decodeSecret('short'), null);
  assert.equal(decodeSecret('U'.repeat(26)), null);
  assert.equal(decodeSecret('Z'.repeat(26)), null, 'more than 128 bits');
});

test('who may make a link: admin anything, advanced what they may read, normal users nothing', async (t) => {
  const { h, user, adv, admin } = await world();
  t.after(h.close);
  assert.equal((await mk(h, user, { space: 'workspace', path: '/class', mode: 'read' })).status, 403);
  const made = await link(h, adv, { space: 'workspace', path: '/class', mode: 'read' });
  assert.match(made.secret, /^[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{6}$/);
  assert.equal(made.url, `http://localhost/s/${made.secret}`);
  assert.equal(made.state, 'active');
  await link(h, adv, { space: 'home', path: '/mine', mode: 'upload' });
  assert.equal((await mk(h, adv, { space: 'users/otto', path: '/otto.txt', mode: 'read' })).status, 403, "another's container");
  await link(h, admin, { space: 'users/otto', path: '/otto.txt', mode: 'read' });
  // Bad input
  assert.equal((await mk(h, adv, { space: 'workspace', path: '/', mode: 'read' })).status, 400, 'the whole space');
  assert.equal((await mk(h, adv, { space: 'workspace', path: '/class/a.txt', mode: 'upload' })).status, 400, 'a drop box is a folder');
  assert.equal((await mk(h, adv, { space: 'workspace', path: '/class', mode: 'write' })).status, 400);
  assert.equal((await mk(h, adv, { space: 'workspace', path: '/class', mode: 'read', expires: '2001-01-01' })).status, 400);
  assert.equal((await mk(h, adv, { space: 'workspace', path: '/class', mode: 'read', maxUses: 0 })).status, 400);
  assert.equal((await mk(h, adv, { space: 'workspace', path: '/../secret.txt', mode: 'read' })).status, 400);
  assert.equal((await mk(h, adv, { space: 'workspace', path: '/nope', mode: 'read' })).status, 404);
  // Listing: own links; admins all, with their creator; revoke: owner or admin.
  const mine = (await h.json(h.req('GET', '/api/links', { token: adv.token }))).links;
  assert.equal(mine.length, 2);
  assert.ok(mine.every((l: { creator: string }) => l.creator === 'ada'));
  assert.ok(!JSON.stringify(mine).includes(made.secret), 'never the secret again');
  const all = (await h.json(h.req('GET', '/api/links', { token: admin.token }))).links;
  assert.equal(all.length, 3);
  assert.equal((await h.req('GET', '/api/links', { token: user.token })).status, 200);
  assert.equal((await h.req('GET', '/api/links')).status, 401);
  assert.equal((await h.req('DELETE', `/api/links/${made.id}`, { token: user.token })).status, 404);
  const otto = await h.user('otto2', 'advanced');
  assert.equal((await h.req('DELETE', `/api/links/${made.id}`, { token: otto.token })).status, 404);
  const revoked = await h.json(h.req('DELETE', `/api/links/${made.id}`, { token: admin.token }));
  assert.equal(revoked.state, 'revoked');
  const r = await h.req('GET', `/api/s/${made.secret}`);
  assert.equal(r.status, 410);
  assert.equal(await errorCode(r), 'link_revoked');
  const audit = await h.json(h.req('GET', '/api/admin/audit?limit=50', { token: admin.token }));
  const actions = audit.entries.map((e: { action: string }) => e.action);
  assert.ok(actions.includes('link_create') && actions.includes('link_revoke'));
});

test('a read link to a folder: info, listing, files with Range and ETag, zip; nothing outside it', async (t) => {
  const { h, adv, admin } = await world();
  t.after(h.close);
  const { secret } = await link(h, adv, { space: 'workspace', path: '/class', mode: 'read' });
  const info = await h.json(h.req('GET', `/api/s/${secret.toLowerCase().replace(/-/g, '')}`));
  assert.deepEqual([info.mode, info.type, info.name, info.needsPassword, info.unlocked], ['read', 'dir', 'class', false, true]);
  const list = await h.json(h.req('GET', `/api/s/${secret}/fs/`));
  assert.deepEqual(
    list.entries.map((e: { name: string; owner: unknown; canDelete: boolean }) => [e.name, e.owner, e.canDelete]),
    [
      ['sub', null, false],
      ['a.txt', null, false],
    ],
  );
  assert.equal(list.path, '/');
  assert.equal(await (await h.req('GET', `/api/s/${secret}/fs/sub/b.txt`)).text(), 'bravo');
  const part = await h.req('GET', `/api/s/${secret}/fs/a.txt`, { headers: { range: 'bytes=1-2' } });
  assert.equal(part.status, 206);
  assert.equal(await part.text(), 'lp');
  const etag = part.headers.get('etag')!;
  assert.equal((await h.req('GET', `/api/s/${secret}/fs/a.txt`, { headers: { 'if-none-match': etag } })).status, 304);
  assert.match(part.headers.get('content-security-policy') ?? '', /sandbox/);
  const zip = await h.req('GET', `/api/s/${secret}/fs/?format=zip`);
  assert.equal(zip.status, 200);
  assert.equal(zip.headers.get('content-type'), 'application/zip');
  const bytes = Buffer.from(await zip.arrayBuffer());
  assert.ok(bytes.includes(Buffer.from('sub/b.txt')) && !bytes.includes(Buffer.from('secret.txt')));
  // Traversal in every spelling, and a symlink inside the shared folder that points out.
  fs.symlinkSync(path.join(h.dataDir, 'workspace/secret.txt'), path.join(h.dataDir, 'workspace/class/link.txt'));
  for (const p of [
    '../secret.txt',
    '%2e%2e/secret.txt',
    '..%2fsecret.txt',
    'sub%2f..%2f..%2fsecret.txt',
    '%2fsecret.txt',
    'a.txt%00',
    '/etc/passwd',
    'link.txt',
  ]) {
    const r = await h.req('GET', `/api/s/${secret}/fs/${p}`);
    assert.ok([400, 403, 404].includes(r.status), `${p}: ${r.status}`);
    assert.ok(!(await r.text()).includes('outside'), p);
  }
  // The raw target, as a browser never sends it but curl can.
  const srv = await startDaemonLike(h);
  t.after(srv.close);
  for (const p of ['../secret.txt', '%2e%2e/secret.txt', '..%2F..%2Fworkspace%2Fsecret.txt', 'sub/../../secret.txt']) {
    const r = await srv.get(`/api/s/${secret}/fs/${p}`);
    assert.ok([400, 403, 404].includes(r.status), `raw ${p}: ${r.status}`);
    assert.ok(!r.text().includes('outside'), p);
  }
  // A drop box is for adding only; a read link takes nothing.
  assert.equal((await h.req('PUT', `/api/s/${secret}/fs/new.txt`, { body: 'x' })).status, 403);
  assert.equal((await h.req('GET', `/api/s/${secret}/fs/a.txt`, { token: admin.token })).status, 200);
});

/** The in-process app on a real socket, for raw request targets ("..", "%2e%2e") that fetch would normalise. */
async function startDaemonLike(h: TestApp) {
  const { serve } = await import('@hono/node-server');
  const server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    get: (p: string) => request(port, 'GET', p),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

test('a file link shares that file only; moves are followed, a delete ends the link', async (t) => {
  const { h, adv, admin } = await world();
  t.after(h.close);
  await h.put(adv, 'workspace/ada.txt', 'by ada');
  const f = await link(h, adv, { space: 'workspace', path: '/ada.txt', mode: 'read' });
  assert.equal(await (await h.req('GET', `/api/s/${f.secret}/fs/`)).text(), 'by ada');
  assert.equal((await h.req('GET', `/api/s/${f.secret}/fs/other.txt`)).status, 404);
  const d = await link(h, adv, { space: 'workspace', path: '/class', mode: 'read' });
  // The folder is renamed and moved: the link follows it.
  assert.equal((await h.req('POST', '/api/fs/workspace/class', { token: admin.token, body: { op: 'move', to: '/2024/classe' } })).status, 200);
  assert.equal(await (await h.req('GET', `/api/s/${d.secret}/fs/a.txt`)).text(), 'alpha');
  assert.equal((await h.json(h.req('GET', `/api/s/${d.secret}`))).name, 'classe');
  const listed = (await h.json(h.req('GET', '/api/links', { token: adv.token }))).links.find((l: { id: number }) => l.id === d.id);
  assert.equal(listed.path, '/2024/classe');
  // Deleted (to the trash): no longer available, even once restored (a new link is made for it).
  assert.equal((await h.req('DELETE', '/api/fs/workspace/2024/classe', { token: admin.token })).status, 200);
  const r = await h.req('GET', `/api/s/${d.secret}/fs/`);
  assert.equal(r.status, 410);
  assert.equal(await errorCode(r), 'link_unavailable');
  assert.equal((await h.json(h.req('GET', '/api/links', { token: adv.token }))).links.find((l: { id: number }) => l.id === d.id).state, 'unavailable');
});

test('expiry, maximum uses, and a creator who loses the right to read the target', async (t) => {
  const { h, clock, adv, admin } = await world();
  t.after(h.close);
  const hour = await link(h, adv, { space: 'workspace', path: '/class', mode: 'read', expires: '1h' });
  const date = await link(h, adv, { space: 'workspace', path: '/class', mode: 'read', expires: new Date(clock.t + 3 * 3600_000).toISOString() });
  assert.equal((await h.req('GET', `/api/s/${hour.secret}/fs/a.txt`)).status, 200);
  clock.advance(3600_000);
  let r = await h.req('GET', `/api/s/${hour.secret}/fs/a.txt`);
  assert.equal(r.status, 410);
  assert.equal(await errorCode(r), 'link_expired');
  assert.equal((await h.req('GET', `/api/s/${date.secret}`)).status, 200);
  clock.advance(2 * 3600_000);
  assert.equal(await errorCode(await h.req('GET', `/api/s/${date.secret}`)), 'link_expired');

  const twice = await link(h, adv, { space: 'workspace', path: '/class', mode: 'read', maxUses: 2 });
  assert.equal((await h.req('GET', `/api/s/${twice.secret}/fs/a.txt`)).status, 200);
  // Listings, HEAD and a resumed download's continuation do not count.
  assert.equal((await h.req('GET', `/api/s/${twice.secret}/fs/`)).status, 200);
  assert.equal((await h.req('HEAD', `/api/s/${twice.secret}/fs/a.txt`)).status, 200);
  assert.equal((await h.req('GET', `/api/s/${twice.secret}/fs/a.txt`, { headers: { range: 'bytes=2-' } })).status, 206);
  assert.equal((await h.req('GET', `/api/s/${twice.secret}/fs/?format=zip`)).status, 200);
  r = await h.req('GET', `/api/s/${twice.secret}/fs/a.txt`);
  assert.equal(r.status, 410);
  assert.equal(await errorCode(r), 'link_used_up');

  // The creator is demoted: the link stops; promoted back, it works again (until it expires).
  const live = await link(h, adv, { space: 'workspace', path: '/class', mode: 'read' });
  const mine = await link(h, adv, { space: 'home', path: '/mine', mode: 'read' });
  assert.equal((await h.req('PATCH', '/api/admin/users/ada', { token: admin.token, body: { role: 'user' } })).status, 200);
  assert.equal(await errorCode(await h.req('GET', `/api/s/${live.secret}/fs/a.txt`)), 'link_unavailable');
  assert.equal(await errorCode(await h.req('GET', `/api/s/${mine.secret}/fs/`)), 'link_unavailable');
  assert.equal((await h.req('PATCH', '/api/admin/users/ada', { token: admin.token, body: { role: 'advanced', disabled: true } })).status, 200);
  assert.equal(await errorCode(await h.req('GET', `/api/s/${live.secret}/fs/a.txt`)), 'link_unavailable');
  assert.equal((await h.req('PATCH', '/api/admin/users/ada', { token: admin.token, body: { disabled: false } })).status, 200);
  assert.equal((await h.req('GET', `/api/s/${live.secret}/fs/a.txt`)).status, 200);
  assert.equal((await h.req('DELETE', '/api/admin/users/ada', { token: admin.token })).status, 200);
  assert.equal(await errorCode(await h.req('GET', `/api/s/${mine.secret}/fs/`)), 'link_unavailable');
});

test('passwords: 401 until unlocked by a signed cookie for that link only; guesses throttled (429); unknown secrets too', async (t) => {
  const { h, adv } = await world();
  t.after(h.close);
  const p = await link(h, adv, { space: 'workspace', path: '/class', mode: 'read', password: 'tulipe' });
  const q = await link(h, adv, { space: 'workspace', path: '/class', mode: 'read', password: 'tulipe' });
  const info = await h.json(h.req('GET', `/api/s/${p.secret}`));
  assert.deepEqual([info.needsPassword, info.unlocked], [true, false]);
  let r = await h.req('GET', `/api/s/${p.secret}/fs/a.txt`);
  assert.equal(r.status, 401);
  assert.equal(await errorCode(r), 'link_password_required');
  r = await h.req('POST', `/api/s/${p.secret}/unlock`, { body: { password: 'wrong' } });
  assert.equal(r.status, 401);
  assert.equal(await errorCode(r), 'link_wrong_password');
  r = await h.req('POST', `/api/s/${p.secret}/unlock`, { body: { password: 'tulipe' } });
  assert.equal(r.status, 200);
  const setCookie = r.headers.get('set-cookie')!;
  assert.match(setCookie, /HttpOnly/i);
  assert.match(setCookie, /SameSite=Strict/i);
  const cookie = setCookie.split(';')[0]!;
  assert.equal(await (await h.req('GET', `/api/s/${p.secret}/fs/a.txt`, { cookie })).text(), 'alpha');
  // The cookie is for that link: renamed for the other one, it opens nothing; a forged one neither.
  const other = cookie.replace(/^hcd_link_\d+/, `hcd_link_${q.id}`);
  assert.equal((await h.req('GET', `/api/s/${q.secret}/fs/a.txt`, { cookie: other })).status, 401);
  assert.equal((await h.req('GET', `/api/s/${p.secret}/fs/a.txt`, { cookie: cookie.replace(/\.[^.]+$/, '.AAAA') })).status, 401);
  // Throttled: a few wrong passwords, then 429 with Retry-After, even for the right one.
  let last: Response | undefined;
  for (let i = 0; i < 6; i++) last = await h.req('POST', `/api/s/${q.secret}/unlock`, { body: { password: `nope${i}` } });
  assert.equal(last!.status, 429);
  assert.ok(Number(last!.headers.get('retry-after')) > 0);
  assert.equal((await h.req('POST', `/api/s/${q.secret}/unlock`, { body: { password: 'tulipe' } })).status, 429);
  // Unknown secrets: 404, then 429 for that address.
  const codes: number[] = [];
  for (let i = 0; i < 12; i++) codes.push((await h.req('GET', `/api/s/${'0'.repeat(25)}${i % 8}`)).status);
  assert.equal(codes[0], 404);
  assert.equal(codes[11], 429);
});

test('a drop box: guests add files (renamed on a clash, never replacing), never list or download; owned by the creator, in their quota', async (t) => {
  const { h, adv, admin } = await world();
  t.after(h.close);
  assert.equal((await h.req('PATCH', '/api/admin/users/ada', { token: admin.token, body: { quotaBytes: 1000 } })).status, 200);
  await h.put(adv, 'workspace/inbox/report.txt', 'ada original');
  const box = await link(h, adv, { space: 'workspace', path: '/inbox', mode: 'upload', maxUploadBytes: 100, maxUses: 3 });
  const info = await h.json(h.req('GET', `/api/s/${box.secret}`));
  assert.deepEqual([info.mode, info.maxUploadBytes, info.usesLeft], ['upload', 100, 3]);
  // Never the folder's content.
  for (const p of ['', 'report.txt', '?format=zip']) {
    const r = await h.req('GET', `/api/s/${box.secret}/fs/${p}`);
    assert.equal(r.status, 403, p);
    assert.ok(!(await r.text()).includes('ada original'));
  }
  let r = await h.req('PUT', `/api/s/${box.secret}/fs/report.txt?guest=${encodeURIComponent('Zoé M.')}`, { body: 'from zoe' });
  assert.equal(r.status, 201);
  const sent = await r.json();
  assert.equal(sent.name, 'report (Zoé M).txt');
  assert.equal(sent.owner, null);
  // The original is untouched; the new file is ada's, with the guest's name, counted in ada's quota.
  assert.equal(await (await h.req('GET', '/api/fs/workspace/inbox/report.txt', { token: adv.token })).text(), 'ada original');
  const list = await h.json(h.req('GET', '/api/fs/workspace/inbox/', { token: adv.token }));
  const entry = list.entries.find((e: { name: string }) => e.name === 'report (Zoé M).txt');
  assert.deepEqual([entry.owner, entry.guest], ['ada', 'Zoé M']);
  const me = await h.json(h.req('GET', '/api/auth/me', { token: adv.token }));
  assert.equal(me.user.usedBytes, 'charlie'.length + 'ada original'.length + 'from zoe'.length);
  // Too big for the link, too big for the quota, folders, traversal.
  assert.equal((await h.req('PUT', `/api/s/${box.secret}/fs/big.bin`, { body: new Uint8Array(101) })).status, 413);
  assert.equal((await h.req('PUT', `/api/s/${box.secret}/fs/sub/x.txt`, { body: 'x' })).status, 400);
  assert.equal((await h.req('PUT', `/api/s/${box.secret}/fs/..%2fx.txt`, { body: 'x' })).status, 400);
  const box2 = await link(h, adv, { space: 'workspace', path: '/inbox', mode: 'upload' });
  r = await h.req('PUT', `/api/s/${box2.secret}/fs/huge.bin`, { body: new Uint8Array(2000) });
  assert.equal(r.status, 413);
  assert.equal(await errorCode(r), 'quota_exceeded');
  // Uses: 3 uploads, the refused ones gave theirs back.
  assert.equal((await h.req('PUT', `/api/s/${box.secret}/fs/report.txt?guest=Zoé M.`, { body: '2' })).status, 201);
  assert.equal((await h.req('PUT', `/api/s/${box.secret}/fs/n.txt`, { body: '3' })).status, 201);
  r = await h.req('PUT', `/api/s/${box.secret}/fs/n.txt`, { body: '4' });
  assert.equal(await errorCode(r), 'link_used_up');
  const names = (await h.json(h.req('GET', '/api/fs/workspace/inbox/', { token: adv.token }))).entries.map((e: { name: string }) => e.name).sort();
  assert.deepEqual(names, ['n.txt', 'report (Zoé M 2).txt', 'report (Zoé M).txt', 'report.txt']);
  const audit = await h.json(h.req('GET', '/api/admin/audit?action=link_use', { token: admin.token }));
  assert.equal(audit.entries.length, 3);
  assert.equal(audit.entries[2].actor, 'Zoé M');
});

test('a drop box over tus: the link in X-HCD-Link, the folder fixed by the link, resumable, owned by the creator', async (t) => {
  const { h, adv } = await world();
  t.after(h.close);
  const box = await link(h, adv, { space: 'workspace', path: '/class', mode: 'upload', maxUploadBytes: 50 });
  const read = await link(h, adv, { space: 'workspace', path: '/class', mode: 'read' });
  const meta = (o: Record<string, string>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
      .join(',');
  const tus = { 'tus-resumable': '1.0.0' };
  // The metadata's space and path are ignored: a guest cannot aim elsewhere.
  let r = await h.req('POST', '/api/tus', {
    headers: {
      ...tus,
      'x-hcd-link': box.secret,
      'upload-length': '5',
      'upload-metadata': meta({ filename: 'a.txt', space: 'home', path: '/x.txt', guest: 'Léa' }),
    },
  });
  assert.equal(r.status, 201, await r.clone().text());
  const loc = r.headers.get('location')!;
  // Another link's guest, or nobody, cannot continue it.
  assert.equal((await h.req('HEAD', loc, { headers: { ...tus } })).status, 401);
  const half = await h.req('PATCH', loc, {
    headers: { ...tus, 'x-hcd-link': box.secret, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
    body: 'he',
  });
  assert.equal(half.status, 204);
  assert.equal((await h.req('HEAD', loc, { headers: { ...tus, 'x-hcd-link': box.secret } })).headers.get('upload-offset'), '2');
  r = await h.req('PATCH', loc, {
    headers: { ...tus, 'x-hcd-link': box.secret, 'upload-offset': '2', 'content-type': 'application/offset+octet-stream' },
    body: 'llo',
  });
  assert.equal(r.status, 204);
  assert.equal(decodeURIComponent(r.headers.get('x-hcd-path')!), '/class/a (Léa).txt');
  const list = await h.json(h.req('GET', '/api/fs/workspace/class/', { token: adv.token }));
  const e = list.entries.find((x: { name: string }) => x.name === 'a (Léa).txt');
  assert.deepEqual([e.owner, e.guest, e.size], ['ada', 'Léa', 5]);
  // Too large for the link; a read link takes nothing; a folder in the name is refused.
  r = await h.req('POST', '/api/tus', { headers: { ...tus, 'x-hcd-link': box.secret, 'upload-length': '51', 'upload-metadata': meta({ filename: 'b.txt' }) } });
  assert.equal(r.status, 413);
  r = await h.req('POST', '/api/tus', { headers: { ...tus, 'x-hcd-link': read.secret, 'upload-length': '1', 'upload-metadata': meta({ filename: 'b.txt' }) } });
  assert.equal(r.status, 403);
  r = await h.req('POST', '/api/tus', {
    headers: { ...tus, 'x-hcd-link': box.secret, 'upload-length': '1', 'upload-metadata': meta({ filename: '../b.txt' }) },
  });
  assert.equal(r.status, 400);
});

test('the captive portal lets a guest link through: /s/<secret> on a foreign host keeps its path', async (t) => {
  const h = await makeApp({ env: { HCD_PORTAL_ADDRESS: '10.42.0.1', HCD_PORT: '80' } });
  t.after(h.close);
  const secret = 'ABCDE-FGHJK-MNPQR-STVWX-YZ0123';
  let r = await h.req('GET', `/s/${secret}`, { headers: { host: 'example.com' } });
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), `http://10.42.0.1/s/${secret}`);
  r = await h.req('GET', `/s/${secret}`, { headers: { host: '10.42.0.1' } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /text\/html/);
  r = await h.req('GET', '/anything', { headers: { host: 'example.com' } });
  assert.equal(r.headers.get('location'), 'http://10.42.0.1/portal');
  // The address handed out in a link is the device's own.
  const adv = await h.user('ada', 'advanced');
  await h.put(adv, 'workspace/x.txt', 'x');
  const made = await h.json(
    h.req('POST', '/api/links', {
      token: adv.token,
      headers: { host: '10.42.0.1' },
      body: { space: 'workspace', path: '/x.txt', mode: 'read', expires: '1h' },
    }),
  );
  assert.match(made.url, /^http:\/\/10\.42\.0\.1\/s\/[0-9A-Z-]{30}$/);
});
