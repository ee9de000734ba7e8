// Hand-in folders over HTTP: every route for the three roles and a non-member, receipts, the deadline and
// closing, replacing and withdrawing, traversal in file names, and a pupil never reaching another's work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ManualClock, errorCode, makeApp, type TestApp, type TestUser } from '../../helpers/app.js';
import { request } from '../../helpers/server.js';
import { readZip } from '../../helpers/zip.js';

const HOUR = 3600_000;

/** A class of three (a normal user, an advanced user, one who hands in nothing), an outsider, an admin. */
async function world(clock = new ManualClock()) {
  const h = await makeApp({ clock });
  const w = {
    h,
    clock,
    admin: await h.user('root1', 'admin'),
    pia: await h.user('pia', 'user'),
    paul: await h.user('paul', 'advanced'),
    zoe: await h.user('zoe', 'user'),
    out: await h.user('otto', 'user'),
  };
  const g = await h.json(h.req('POST', '/api/admin/groups', { token: w.admin.token, body: { name: 'CM2 B' } }));
  const added = await h.req('PATCH', `/api/admin/groups/${g.id}`, { token: w.admin.token, body: { add: ['pia', 'paul', 'zoe'] } });
  assert.equal(added.status, 200);
  return { ...w, groupId: g.id as number };
}

type World = Awaited<ReturnType<typeof world>>;

async function create(h: TestApp, u: TestUser, body: Record<string, unknown>) {
  const r = await h.req('POST', '/api/handins', { token: u.token, body });
  assert.equal(r.status, 201, JSON.stringify(await r.clone().json()));
  return (await r.json()) as { id: number; title: string };
}

const hand = (h: TestApp, u: TestUser, id: number, name: string, content: string, query = '') =>
  h.req('PUT', `/api/handins/${id}/files/${encodeURIComponent(name)}${query}`, { token: u.token, body: new TextEncoder().encode(content) });

async function handOk(h: TestApp, u: TestUser, id: number, name: string, content: string, query = '') {
  const r = await hand(h, u, id, name, content, query);
  assert.equal(r.status, 201, JSON.stringify(await r.clone().json()));
  return (await r.json()) as { id: number; name: string; size: number; receipt: string; late: boolean; username: string; submittedAt: string };
}

async function classHandin(w: World, extra: Record<string, unknown> = {}) {
  return create(w.h, w.admin, {
    title: 'Rédaction',
    instructions: 'Une page.',
    deadline: new Date(w.clock.now() + 2 * HOUR).toISOString(),
    groupId: w.groupId,
    ...extra,
  });
}

test('creating, editing, closing and deleting: administrators only; bad input refused', async (t) => {
  const w = await world();
  const { h, admin, pia, paul } = w;
  t.after(h.close);
  for (const u of [pia, paul]) {
    const r = await h.req('POST', '/api/handins', { token: u.token, body: { title: 'x' } });
    assert.equal(r.status, 403, u.role);
  }
  assert.equal((await h.req('POST', '/api/handins', { body: { title: 'x' } })).status, 401);
  assert.equal((await h.req('GET', '/api/handins')).status, 401);
  for (const body of [
    {},
    { title: '   ' },
    { title: 'x'.repeat(201) },
    { title: 'x', deadline: 'tomorrow' },
    { title: 'x', groupId: 'one' },
    { title: 'x', closed: 'yes' },
  ]) {
    const r = await h.req('POST', '/api/handins', { token: admin.token, body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(await errorCode(r), 'invalid_handin');
  }
  const missingGroup = await h.req('POST', '/api/handins', { token: admin.token, body: { title: 'x', groupId: 999 } });
  assert.equal(missingGroup.status, 404);
  assert.equal(await errorCode(missingGroup), 'no_such_group');

  const made = await classHandin(w);
  const item = await h.json(h.req('GET', `/api/handins/${made.id}`, { token: admin.token }));
  assert.equal(item.title, 'Rédaction');
  assert.deepEqual(item.group, { id: w.groupId, name: 'CM2 B' });
  assert.equal(item.closed, false);
  assert.equal(item.submitters, 0);

  // PATCH: title, deadline removed, closed and reopened; others get 403 (members) or 404 (not on the roster).
  for (const [u, status] of [
    [pia, 403],
    [paul, 403],
    [w.out, 404],
  ] as const) {
    assert.equal((await h.req('PATCH', `/api/handins/${made.id}`, { token: u.token, body: { closed: true } })).status, status, u.username);
    assert.equal((await h.req('DELETE', `/api/handins/${made.id}`, { token: u.token })).status, status, u.username);
  }
  const edited = await h.json(h.req('PATCH', `/api/handins/${made.id}`, { token: admin.token, body: { title: 'Rédaction 2', deadline: null, closed: true } }));
  assert.deepEqual([edited.title, edited.deadline, edited.closed], ['Rédaction 2', null, true]);
  assert.equal((await h.req('PATCH', `/api/handins/${made.id}`, { token: admin.token, body: { title: '' } })).status, 400);
  assert.equal((await h.req('PATCH', '/api/handins/999', { token: admin.token, body: { closed: false } })).status, 404);
  assert.equal((await h.req('PATCH', `/api/handins/abc`, { token: admin.token, body: {} })).status, 400);
  const reopened = await h.json(h.req('PATCH', `/api/handins/${made.id}`, { token: admin.token, body: { closed: false } }));
  assert.equal(reopened.closed, false);

  await handOk(h, pia, made.id, 'a.txt', 'alpha');
  const dir = path.join(h.dataDir, '.hcd/handins', String(made.id));
  assert.equal(fs.readdirSync(dir).length, 1);
  const del = await h.json(h.req('DELETE', `/api/handins/${made.id}`, { token: admin.token }));
  assert.deepEqual(del, { id: made.id, deleted: true, files: 1 });
  assert.equal(fs.existsSync(dir), false, 'its files are gone from the disk');
  const gone = await h.req('GET', `/api/handins/${made.id}`, { token: pia.token });
  assert.equal(gone.status, 404);
  assert.equal(await errorCode(gone), 'no_such_handin');
  assert.equal((await h.json(h.req('GET', '/api/auth/me', { token: pia.token }))).user.usedBytes, 0);

  const audit = await h.json(h.req('GET', '/api/admin/audit?limit=100', { token: admin.token }));
  const actions = audit.entries.map((e: { action: string }) => e.action);
  for (const a of ['handin_create', 'handin_update', 'handin_submit', 'handin_delete']) assert.ok(actions.includes(a), a);
  const upd = audit.entries.find((e: { action: string }) => e.action === 'handin_update');
  assert.equal(upd.detail.closed, false, 'the last update reopened it');
  // The audit log is for administrators: no pupil reads whose work was handed in.
  assert.equal((await h.req('GET', '/api/admin/audit', { token: pia.token })).status, 403);
  assert.equal((await h.req('GET', '/api/admin/audit', { token: paul.token })).status, 403);
});

test('members see the hand-in and only their own files; non-members see nothing; administrators see everything', async (t) => {
  const w = await world();
  const { h, admin, pia, paul, zoe, out } = w;
  t.after(h.close);
  const hi = await classHandin(w);
  const open = await create(h, admin, { title: 'Pour tous' });

  // Listing: the group's members see the class's hand-in and the one for everyone; the outsider only the latter.
  const titles = async (u: TestUser) => (await h.json(h.req('GET', '/api/handins', { token: u.token }))).handins.map((x: { title: string }) => x.title);
  assert.deepEqual(await titles(pia), ['Pour tous', 'Rédaction']);
  assert.deepEqual(await titles(paul), ['Pour tous', 'Rédaction']);
  assert.deepEqual(await titles(out), ['Pour tous']);
  assert.deepEqual(await titles(admin), ['Pour tous', 'Rédaction']);
  const listed = await h.json(h.req('GET', '/api/handins', { token: pia.token }));
  assert.ok(Number.isFinite(Date.parse(listed.now)), "the drive's clock, for the admin's warning");

  const a = await handOk(h, pia, hi.id, 'devoir.txt', 'by pia');
  assert.match(a.receipt, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
  assert.deepEqual([a.name, a.size, a.late, a.username], ['devoir.txt', 6, false, 'pia']);
  assert.equal(a.submittedAt, new Date(w.clock.now()).toISOString(), "the drive's clock");
  const b = await handOk(h, paul, hi.id, 'devoir.txt', 'by paul');
  assert.notEqual(a.receipt, b.receipt);

  // The outsider: 404 on everything about the class's hand-in, as if it did not exist.
  for (const [m, p] of [
    ['GET', `/api/handins/${hi.id}`],
    ['GET', `/api/handins/${hi.id}/roster`],
    ['GET', `/api/handins/${hi.id}/zip`],
    ['GET', `/api/handins/${hi.id}/submissions/${a.id}`],
    ['DELETE', `/api/handins/${hi.id}/submissions/${a.id}`],
    ['PUT', `/api/handins/${hi.id}/files/x.txt`],
  ] as const) {
    const r = await h.req(m, p, { token: out.token, body: m === 'PUT' ? 'x' : undefined });
    assert.equal(r.status, 404, `${m} ${p}`);
    assert.equal(await errorCode(r), 'no_such_handin');
  }

  // Each pupil: their own receipt only, in the list and in the hand-in; another's file is a 404 by id.
  for (const [u, own, other] of [
    [pia, a, b],
    [paul, b, a],
  ] as const) {
    const item = await h.json(h.req('GET', `/api/handins/${hi.id}`, { token: u.token }));
    assert.deepEqual(
      item.mine.map((s: { receipt: string }) => s.receipt),
      [own.receipt],
    );
    assert.equal(item.submitters, null, 'no counts of others');
    const body = JSON.stringify(await h.json(h.req('GET', '/api/handins', { token: u.token })));
    assert.ok(!body.includes(other.receipt) && !body.includes(other.username === 'pia' ? '"pia"' : '"paul"'), `${u.username} sees nothing of the other`);
    assert.equal(await (await h.req('GET', `/api/handins/${hi.id}/submissions/${own.id}`, { token: u.token })).text(), `by ${u.username}`);
    for (const m of ['GET', 'HEAD', 'DELETE']) {
      const r = await h.req(m, `/api/handins/${hi.id}/submissions/${other.id}`, { token: u.token });
      assert.equal(r.status, 404, `${u.username} ${m} another's`);
    }
    assert.equal((await h.req('GET', `/api/handins/${hi.id}/roster`, { token: u.token })).status, 403);
    assert.equal((await h.req('GET', `/api/handins/${hi.id}/zip`, { token: u.token })).status, 403);
    // A submission of this hand-in asked for under another hand-in's id: no.
    assert.equal((await h.req('GET', `/api/handins/${open.id}/submissions/${own.id}`, { token: u.token })).status, 404);
  }

  // The admin: the roster with every member (zoe: nothing yet), one file, the zip with a folder per person.
  const roster = await h.json(h.req('GET', `/api/handins/${hi.id}/roster`, { token: admin.token }));
  assert.deepEqual(
    roster.lines.map((l: { username: string; member: boolean; submissions: { receipt: string }[] }) => [
      l.username,
      l.member,
      l.submissions.map((s) => s.receipt),
    ]),
    [
      ['paul', true, [b.receipt]],
      ['pia', true, [a.receipt]],
      ['zoe', true, []],
    ],
  );
  assert.equal(roster.handin.submitters, 2);
  assert.equal(roster.handin.files, 2);
  const one = await h.req('GET', `/api/handins/${hi.id}/submissions/${b.id}?download=1`, { token: admin.token });
  assert.equal(await one.text(), 'by paul');
  assert.match(one.headers.get('content-disposition') ?? '', /^attachment; filename="devoir.txt"/);
  assert.match(one.headers.get('content-security-policy') ?? '', /sandbox/);
  const zip = await h.req('GET', `/api/handins/${hi.id}/zip`, { token: admin.token });
  assert.equal(zip.status, 200);
  assert.equal(zip.headers.get('content-type'), 'application/zip');
  assert.match(zip.headers.get('content-disposition') ?? '', /R_daction\.zip|Rédaction/);
  const items = readZip(Buffer.from(await zip.arrayBuffer()));
  assert.deepEqual(
    items.map((i) => [i.name, i.data.toString(), i.comment]),
    [
      ['paul/devoir.txt', 'by paul', b.receipt],
      ['pia/devoir.txt', 'by pia', a.receipt],
    ],
  );

  // Nothing of it in the workspace, its zip, the trash or WebDAV: the files live outside every space.
  for (const u of [pia, paul, admin]) {
    const ws = await h.req('GET', '/api/fs/workspace/', { token: u.token });
    assert.ok(!(await ws.text()).includes('devoir'), `workspace listing for ${u.username}`);
    const wz = await h.req('GET', '/api/fs/workspace/?format=zip', { token: u.token });
    assert.ok(!Buffer.from(await wz.arrayBuffer()).includes(Buffer.from('devoir')), `workspace zip for ${u.username}`);
    const trash = await h.req('GET', '/api/trash', { token: u.token });
    assert.ok(!(await trash.text()).includes('devoir'));
  }
  for (const [u, p] of [
    [paul, ''],
    [paul, 'workspace/'],
    [paul, 'home/'],
    [admin, 'users/'],
  ] as const) {
    const dav = await h.req('PROPFIND', `/dav/${p}`, {
      headers: { authorization: `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`, depth: '1' },
    });
    assert.equal(dav.status, 207, `PROPFIND /dav/${p}`);
    assert.ok(!(await dav.text()).includes('devoir'), `/dav/${p}`);
  }
});

test('replacing, keeping both and withdrawing before the deadline; after it, late files and no withdrawing; closing stops everything', async (t) => {
  const w = await world();
  const { h, admin, pia, paul, clock } = w;
  t.after(h.close);
  const hi = await classHandin(w);
  const first = await handOk(h, pia, hi.id, 'devoir.txt', 'v1');
  const again = await hand(h, pia, hi.id, 'devoir.txt', 'v2');
  assert.equal(again.status, 409);
  assert.equal(await errorCode(again), 'exists');
  const replaced = await handOk(h, pia, hi.id, 'devoir.txt', 'v2', '?overwrite=1');
  assert.notEqual(replaced.receipt, first.receipt);
  assert.equal((await h.req('GET', `/api/handins/${hi.id}/submissions/${first.id}`, { token: pia.token })).status, 404, 'the replaced file is gone');
  assert.equal(await (await h.req('GET', `/api/handins/${hi.id}/submissions/${replaced.id}`, { token: pia.token })).text(), 'v2');
  const both = await handOk(h, pia, hi.id, 'devoir.txt', 'v3', '?rename=1');
  assert.equal(both.name, 'devoir (2).txt');
  // Paul's file of the same name is his own business: no clash with Pia's.
  await handOk(h, paul, hi.id, 'devoir.txt', 'paul v1');
  const withdrawn = await h.req('DELETE', `/api/handins/${hi.id}/submissions/${both.id}`, { token: pia.token });
  assert.equal(withdrawn.status, 200);
  assert.equal((await withdrawn.json()).receipt, both.receipt);
  assert.equal(fs.readdirSync(path.join(h.dataDir, '.hcd/handins', String(hi.id))).length, 2, 'one file each left on the disk');

  // Past the deadline: still taken, marked late; one's own files stay as they are.
  clock.advance(3 * HOUR);
  const late = await handOk(h, pia, hi.id, 'oubli.txt', 'late');
  assert.equal(late.late, true);
  const item = await h.json(h.req('GET', `/api/handins/${hi.id}`, { token: pia.token }));
  assert.deepEqual([item.pastDeadline, item.canSubmit, item.canWithdraw], [true, true, false]);
  assert.deepEqual(
    item.mine.map((s: { name: string; late: boolean }) => [s.name, s.late]),
    [
      ['devoir.txt', false],
      ['oubli.txt', true],
    ],
  );
  for (const sid of [replaced.id, late.id]) {
    const r = await h.req('DELETE', `/api/handins/${hi.id}/submissions/${sid}`, { token: pia.token });
    assert.equal(r.status, 403);
    assert.equal(await errorCode(r), 'handin_past_deadline');
  }
  const over = await hand(h, pia, hi.id, 'devoir.txt', 'v4', '?overwrite=1');
  assert.equal(over.status, 403);
  assert.equal(await errorCode(over), 'handin_past_deadline');
  assert.equal((await handOk(h, pia, hi.id, 'devoir.txt', 'v4', '?rename=1')).name, 'devoir (2).txt');
  // Moving the deadline later makes the late files on time (the flag follows the deadline of now).
  await h.req('PATCH', `/api/handins/${hi.id}`, { token: admin.token, body: { deadline: new Date(clock.now() + HOUR).toISOString() } });
  const moved = await h.json(h.req('GET', `/api/handins/${hi.id}`, { token: pia.token }));
  assert.ok(moved.mine.every((s: { late: boolean }) => !s.late));
  assert.equal(moved.canWithdraw, true);
  await h.req('PATCH', `/api/handins/${hi.id}`, { token: admin.token, body: { deadline: new Date(clock.now() - HOUR).toISOString() } });

  // An administrator may withdraw anyone's file at any time; the audit log names whose it was.
  const paulsFile = (await h.json(h.req('GET', `/api/handins/${hi.id}/roster`, { token: admin.token }))).lines.find(
    (l: { username: string }) => l.username === 'paul',
  ).submissions[0];
  assert.equal((await h.req('DELETE', `/api/handins/${hi.id}/submissions/${paulsFile.id}`, { token: admin.token })).status, 200);
  const audit = await h.json(h.req('GET', '/api/admin/audit?action=handin_withdraw', { token: admin.token }));
  assert.equal(audit.entries[0].detail.submitter, 'paul');
  assert.equal(audit.entries[0].detail.receipt, paulsFile.receipt);
  const submits = await h.json(h.req('GET', '/api/admin/audit?action=handin_submit&limit=100', { token: admin.token }));
  assert.ok(submits.entries.some((e: { detail: { late?: boolean; receipt: string } }) => e.detail.late === true && e.detail.receipt === late.receipt));

  // Closed: nothing handed in, nothing withdrawn; reopened: late files again.
  await h.req('PATCH', `/api/handins/${hi.id}`, { token: admin.token, body: { closed: true } });
  const closed = await hand(h, pia, hi.id, 'encore.txt', 'x');
  assert.equal(closed.status, 403);
  assert.equal(await errorCode(closed), 'handin_closed');
  const closedItem = await h.json(h.req('GET', `/api/handins/${hi.id}`, { token: pia.token }));
  assert.deepEqual([closedItem.closed, closedItem.canSubmit, closedItem.mine.length], [true, false, 3], 'receipts stay visible once closed');
  await h.req('PATCH', `/api/handins/${hi.id}`, { token: admin.token, body: { closed: false } });
  assert.equal((await handOk(h, pia, hi.id, 'encore.txt', 'x')).late, true);
});

test('every role hands in; file names are names, never paths (every spelling of traversal refused)', async (t) => {
  const w = await world();
  const { h, admin, pia, paul } = w;
  t.after(h.close);
  const forAll = await create(h, admin, { title: 'Tout le monde' });
  for (const u of [pia, paul, admin, w.out]) assert.equal((await handOk(h, u, forAll.id, 'mine.txt', u.username)).username, u.username);
  // A group hand-in: an administrator outside the group manages it but does not hand in to it.
  const hi = await classHandin(w);
  const adminHands = await hand(h, admin, hi.id, 'x.txt', 'x');
  assert.equal(adminHands.status, 403);
  assert.equal(await errorCode(adminHands), 'forbidden');

  for (const p of ['..%2Fx.txt', '%2e%2e', 'a%2Fb.txt', 'a/b.txt', 'a%5Cb.txt', 'nul%00.txt', '.', 'con.txt', 'x.', '%E2%80%AEfdp.exe', '']) {
    const r = await h.req('PUT', `/api/handins/${hi.id}/files/${p}`, { token: pia.token, body: 'x' });
    assert.ok([400, 404].includes(r.status), `${p}: ${r.status}`);
  }
  // Raw targets, as fetch never sends them.
  const { serve } = await import('@hono/node-server');
  const server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as import('node:net').AddressInfo).port;
  for (const p of ['../../x.txt', '%2e%2e/x.txt', '..%2F..%2Fworkspace%2Fx.txt', 'a/../../x.txt']) {
    const r = await request(port, 'PUT', `/api/handins/${hi.id}/files/${p}`, { headers: { authorization: `Bearer ${pia.token}` }, body: 'x' });
    assert.equal(r.status, 400, `raw ${p}: ${r.status}`);
  }
  const ok = await request(port, 'PUT', `/api/handins/${hi.id}/files/${encodeURIComponent('Mon devoir é.txt')}`, {
    headers: { authorization: `Bearer ${pia.token}` },
    body: 'é',
  });
  assert.equal(ok.status, 201);
  // On the disk, a random name inside the hand-in's folder: nothing a pupil typed.
  const onDisk = fs.readdirSync(path.join(h.dataDir, '.hcd/handins', String(hi.id)));
  assert.equal(onDisk.length, 1);
  assert.match(onDisk[0]!, /^[0-9a-f-]{36}$/);
  assert.ok(!fs.existsSync(path.join(h.dataDir, 'workspace', 'x.txt')));
  for (const p of ['abc', '1.5', '-1']) {
    assert.equal((await h.req('GET', `/api/handins/${hi.id}/submissions/${p}`, { token: admin.token })).status, 400, p);
  }
});

test('quota, the SSD and the group: the same checks as any upload; a deleted group leaves nobody on the roster', async (t) => {
  const w = await world();
  const { h, admin, pia } = w;
  t.after(h.close);
  const hi = await classHandin(w);
  assert.equal((await h.req('PATCH', '/api/admin/users/pia', { token: admin.token, body: { quotaBytes: 10 } })).status, 200);
  await handOk(h, pia, hi.id, 'a.txt', '12345678');
  const over = await hand(h, pia, hi.id, 'b.txt', '12345');
  assert.equal(over.status, 413);
  assert.equal(await errorCode(over), 'quota_exceeded');
  assert.equal((await h.json(h.req('GET', '/api/auth/me', { token: pia.token }))).user.usedBytes, 8, 'handed-in files count in the quota');
  // A replacement is credited with the file it replaces.
  await handOk(h, pia, hi.id, 'a.txt', '123456789', '?overwrite=1');
  const overWs = await h.put(pia, 'workspace/w.txt', '12');
  assert.equal(overWs.status, 413, 'and against workspace uploads too');
  // The admin's figures agree with the quota.
  const storage = await h.json(h.req('GET', '/api/admin/storage', { token: admin.token }));
  assert.deepEqual(
    storage.users.filter((u: { username: string }) => u.username === 'pia').map((u: { bytes: number; files: number }) => [u.bytes, u.files]),
    [[9, 1]],
  );
  const users = await h.json(h.req('GET', '/api/admin/users', { token: admin.token }));
  assert.equal(users.users.find((u: { username: string }) => u.username === 'pia').usedBytes, 9);

  // The group is deleted: its pupils no longer see the hand-in (they keep their receipts through it
  // having handed in); the admin sees it, marked.
  assert.equal((await h.req('DELETE', `/api/admin/groups/${w.groupId}`, { token: admin.token })).status, 200);
  const adminView = await h.json(h.req('GET', `/api/handins/${hi.id}`, { token: admin.token }));
  assert.deepEqual([adminView.group, adminView.groupMissing], [null, true]);
  const piaView = await h.json(h.req('GET', `/api/handins/${hi.id}`, { token: pia.token }));
  assert.deepEqual([piaView.canSubmit, piaView.mine.length], [false, 1], 'pia handed in: she still sees her receipt');
  assert.equal((await h.req('GET', `/api/handins/${hi.id}`, { token: w.zoe.token })).status, 404, 'zoe handed nothing in: it is gone for her');
  assert.equal((await h.req('GET', `/api/handins/${hi.id}`, { token: w.out.token })).status, 404, 'not opened to everyone');
  const roster = await h.json(h.req('GET', `/api/handins/${hi.id}/roster`, { token: admin.token }));
  assert.deepEqual(
    roster.lines.map((l: { username: string; member: boolean }) => [l.username, l.member]),
    [['pia', false]],
  );
});

test('the SSD unplugged: handing in is refused with 503 and nothing is written', async (t) => {
  const h = await makeApp({ env: { HCD_REQUIRE_MOUNT: '1' } });
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  const pia = await h.user('pia', 'user');
  const hi = await create(h, admin, { title: 'x' });
  const r = await hand(h, pia, hi.id, 'a.txt', 'x');
  assert.equal(r.status, 503);
  assert.equal(await errorCode(r), 'storage_unavailable');
  assert.equal(fs.existsSync(path.join(h.dataDir, '.hcd/handins')), false);
});

test('recovery at start: files no row names (a crash between the link and the row) are removed, the rest kept', async (t) => {
  const w = await world();
  const { h, pia } = w;
  t.after(h.close);
  const hi = await classHandin(w);
  await handOk(h, pia, hi.id, 'a.txt', 'kept');
  const dir = path.join(h.dataDir, '.hcd/handins');
  fs.writeFileSync(path.join(dir, String(hi.id), 'stray'), 'x');
  fs.mkdirSync(path.join(dir, '999'));
  fs.writeFileSync(path.join(dir, '999', 'y'), 'y');
  assert.deepEqual(await h.deps.handins.recover(), { orphansRemoved: 2 });
  assert.deepEqual(fs.readdirSync(dir), [String(hi.id)]);
  assert.equal(fs.readdirSync(path.join(dir, String(hi.id))).length, 1);
  assert.equal((await h.json(h.req('GET', `/api/handins/${hi.id}`, { token: pia.token }))).mine.length, 1);
});

test('a hand-in cut off mid-body leaves nothing: no temp file, no file, no receipt, no quota held', async (t) => {
  const w = await world();
  const { h, pia } = w;
  t.after(h.close);
  const hi = await classHandin(w);
  const { serve } = await import('@hono/node-server');
  const server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as import('node:net').AddressInfo).port;
  const http = await import('node:http');
  await new Promise<void>((resolve) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'PUT',
      path: `/api/handins/${hi.id}/files/big.bin`,
      headers: { authorization: `Bearer ${pia.token}`, 'content-length': String(10 * 1024 * 1024) },
    });
    req.on('error', () => resolve());
    req.on('response', () => resolve());
    req.write(Buffer.alloc(256 * 1024, 1));
    setTimeout(() => req.destroy(), 300);
  });
  const tmp = path.join(h.dataDir, '.hcd/tmp');
  for (let i = 0; i < 50 && (fs.readdirSync(tmp).length > 0 || h.deps.uploads.inflightCount > 0); i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(fs.readdirSync(tmp), [], 'the temp file is gone');
  assert.equal(h.deps.uploads.ledger.reservedBy('pia'), 0, 'no quota held');
  assert.equal(fs.existsSync(path.join(h.dataDir, '.hcd/handins', String(hi.id))), false);
  assert.deepEqual((await h.json(h.req('GET', `/api/handins/${hi.id}`, { token: pia.token }))).mine, []);
  // The next one goes through.
  assert.equal((await handOk(h, pia, hi.id, 'big.bin', 'small now')).size, 9);
});
