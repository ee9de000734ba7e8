// DESIGN.md's role matrix over HTTP: every cell, for each role, against the real routes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeApp, type TestApp, type TestUser } from '../../helpers/app.js';

interface World {
  h: TestApp;
  user: TestUser;
  adv: TestUser;
  admin: TestUser;
  other: TestUser;
}

async function world(): Promise<World> {
  const h = await makeApp();
  const w = {
    h,
    user: await h.user('ulla', 'user'),
    adv: await h.user('ada', 'advanced'),
    admin: await h.user('root1', 'admin'),
    other: await h.user('otto', 'advanced'),
  };
  return w;
}

const status = async (p: Promise<Response>) => (await p).status;

test('workspace: list, download, upload, mkdir for every role', async (t) => {
  const { h, user, adv, admin } = await world();
  t.after(h.close);
  for (const u of [user, adv, admin]) {
    assert.equal(await status(h.put(u, `workspace/by-${u.username}.txt`, 'hello')), 201, u.role);
    assert.equal(await status(h.req('POST', `/api/fs/workspace/dir-${u.username}`, { token: u.token, body: { op: 'mkdir' } })), 201, u.role);
    assert.equal(await status(h.req('GET', '/api/fs/workspace/', { token: u.token })), 200, u.role);
    const dl = await h.req('GET', '/api/fs/workspace/by-ulla.txt', { token: u.token });
    assert.equal(dl.status, 200);
    assert.equal(await dl.text(), 'hello');
  }
});

test('workspace: overwrite, rename, move, delete — user no, advanced only own, admin all', async (t) => {
  const { h, user, adv, admin } = await world();
  t.after(h.close);
  const files = { user: 'workspace/u.txt', adv: 'workspace/a.txt', admin: 'workspace/r.txt' };
  await h.put(user, files.user, 'u');
  await h.put(adv, files.adv, 'a');
  await h.put(admin, files.admin, 'r');
  const ops = (u: TestUser, p: string) => ({
    overwrite: () => h.put(u, p, 'new', '?overwrite=1'),
    rename: () => h.req('POST', `/api/fs/${p}`, { token: u.token, body: { op: 'move', to: `/${p.split('/')[1]}.renamed` } }),
    move: () => h.req('POST', `/api/fs/${p}`, { token: u.token, body: { op: 'move', to: `/sub/${p.split('/')[1]}` } }),
    delete: () => h.req('DELETE', `/api/fs/${p}`, { token: u.token }),
  });
  // user: never, not even on their own file
  for (const p of Object.values(files)) {
    for (const [name, op] of Object.entries(ops(user, p))) {
      const r = await op();
      assert.equal(r.status, 403, `user ${name} ${p}`);
      assert.equal((await r.json()).error.code, 'forbidden');
    }
  }
  // advanced: others' files refused, own file allowed
  for (const p of [files.user, files.admin]) {
    for (const [name, op] of Object.entries(ops(adv, p))) assert.equal(await status(op()), 403, `advanced ${name} ${p}`);
  }
  assert.equal(await status(ops(adv, files.adv).overwrite()), 201);
  assert.equal(await status(ops(adv, files.adv).rename()), 200);
  assert.equal(await status(ops(adv, 'workspace/a.txt.renamed').move()), 200);
  assert.equal(await status(ops(adv, 'workspace/sub/a.txt.renamed').delete()), 200);
  // admin: everything
  assert.equal(await status(ops(admin, files.user).overwrite()), 201);
  assert.equal(await status(ops(admin, files.user).rename()), 200);
  assert.equal(await status(ops(admin, 'workspace/u.txt.renamed').move()), 200);
  assert.equal(await status(ops(admin, 'workspace/sub/u.txt.renamed').delete()), 200);
});

test('listing says canDelete per entry as the role allows', async (t) => {
  const { h, user, adv, admin } = await world();
  t.after(h.close);
  await h.put(user, 'workspace/u.txt', 'u');
  await h.put(adv, 'workspace/a.txt', 'a');
  const can = async (u: TestUser) => {
    const l = await h.json(h.req('GET', '/api/fs/workspace/', { token: u.token }));
    return Object.fromEntries(l.entries.map((e: { name: string; canDelete: boolean }) => [e.name, e.canDelete]));
  };
  assert.deepEqual(await can(user), { 'a.txt': false, 'u.txt': false });
  assert.deepEqual(await can(adv), { 'a.txt': true, 'u.txt': false });
  assert.deepEqual(await can(admin), { 'a.txt': true, 'u.txt': true });
});

test('advanced cannot delete a workspace folder holding files of others', async (t) => {
  const { h, user, adv } = await world();
  t.after(h.close);
  await h.put(adv, 'workspace/shared/mine.txt', 'm');
  await h.put(user, 'workspace/shared/theirs.txt', 't');
  assert.equal(await status(h.req('DELETE', '/api/fs/workspace/shared', { token: adv.token })), 403);
  assert.equal(await status(h.req('POST', '/api/fs/workspace/shared', { token: adv.token, body: { op: 'move', to: '/elsewhere' } })), 403);
  assert.equal(await status(h.req('DELETE', '/api/fs/workspace/shared/mine.txt', { token: adv.token })), 200);
});

test('private container: user 403; advanced and admin full control of their own', async (t) => {
  const { h, user, adv, admin } = await world();
  t.after(h.close);
  for (const [method, body] of [['GET'], ['PUT', 'x'], ['DELETE'], ['POST', { op: 'mkdir' }]] as const) {
    const r = await h.req(method, '/api/fs/home/x.txt', { token: user.token, body });
    assert.equal(r.status, 403, `user ${method} home`);
  }
  for (const u of [adv, admin]) {
    assert.equal(await status(h.put(u, 'home/notes.txt', 'v1')), 201);
    assert.equal(await status(h.put(u, 'home/notes.txt', 'v2', '?overwrite=1')), 201);
    assert.equal(await (await h.req('GET', '/api/fs/home/notes.txt', { token: u.token })).text(), 'v2');
    assert.equal(await status(h.req('POST', '/api/fs/home/notes.txt', { token: u.token, body: { op: 'move', to: '/kept.txt' } })), 200);
    assert.equal(await status(h.req('DELETE', '/api/fs/home/kept.txt', { token: u.token })), 200);
    const l = await h.json(h.req('GET', '/api/fs/home/', { token: u.token }));
    assert.deepEqual(l.entries, []);
  }
  // An admin's upload into an advanced user's container is still theirs to control.
  assert.equal(await status(h.put(admin, 'users/ada/from-admin.txt', 'x')), 201);
  assert.equal(await status(h.req('DELETE', '/api/fs/home/from-admin.txt', { token: adv.token })), 200);
});

test("other users' containers: only admin", async (t) => {
  const { h, user, adv, admin, other } = await world();
  t.after(h.close);
  await h.put(other, 'home/private.txt', 'secret');
  for (const u of [user, adv]) {
    assert.equal(await status(h.req('GET', '/api/fs/users/otto/private.txt', { token: u.token })), 403);
    assert.equal(await status(h.req('GET', '/api/fs/users/otto/', { token: u.token })), 403);
    assert.equal(await status(h.put(u, 'users/otto/new.txt', 'x')), 403);
    assert.equal(await status(h.req('DELETE', '/api/fs/users/otto/private.txt', { token: u.token })), 403);
  }
  assert.equal(await (await h.req('GET', '/api/fs/users/otto/private.txt', { token: admin.token })).text(), 'secret');
  assert.equal(await status(h.put(admin, 'users/otto/new.txt', 'x')), 201);
  assert.equal(await status(h.req('DELETE', '/api/fs/users/otto/private.txt', { token: admin.token })), 200);
  assert.equal(await status(h.req('GET', '/api/fs/users/nobody/', { token: admin.token })), 404);
});

test('admin API: only admin', async (t) => {
  const { h, user, adv, admin } = await world();
  t.after(h.close);
  const calls: [string, string, unknown?][] = [
    ['GET', '/api/admin/users'],
    ['POST', '/api/admin/users', { username: 'newbie', password: 'newbie-pass', role: 'user' }],
    ['PATCH', '/api/admin/users/ulla', { quotaBytes: 1000 }],
    ['DELETE', '/api/admin/users/otto'],
    ['GET', '/api/admin/storage'],
    ['GET', '/api/admin/audit'],
    ['POST', '/api/admin/reconcile'],
  ];
  for (const u of [user, adv]) {
    for (const [m, p, body] of calls) {
      const r = await h.req(m, p, { token: u.token, body });
      assert.equal(r.status, 403, `${u.role} ${m} ${p}`);
    }
  }
  for (const [m, p, body] of calls) {
    const r = await h.req(m, p, { token: admin.token, body });
    assert.ok(r.status === 200 || r.status === 201, `admin ${m} ${p}: ${r.status}`);
  }
});

test('trash: others see and restore only what they deleted; admin sees all', async (t) => {
  const { h, user, adv, admin, other } = await world();
  t.after(h.close);
  await h.put(adv, 'workspace/a.txt', 'a');
  await h.put(other, 'workspace/o.txt', 'o');
  await h.req('DELETE', '/api/fs/workspace/a.txt', { token: adv.token });
  await h.req('DELETE', '/api/fs/workspace/o.txt', { token: other.token });
  const items = async (u: TestUser) => (await h.json(h.req('GET', '/api/trash', { token: u.token }))).items.map((i: { name: string }) => i.name).sort();
  assert.deepEqual(await items(user), []);
  assert.deepEqual(await items(adv), ['a.txt']);
  assert.deepEqual(await items(admin), ['a.txt', 'o.txt']);
  const oId = (await h.json(h.req('GET', '/api/trash', { token: other.token }))).items[0].id;
  assert.equal(await status(h.req('POST', `/api/trash/${oId}/restore`, { token: adv.token })), 404);
  assert.equal(await status(h.req('DELETE', `/api/trash/${oId}`, { token: adv.token })), 404);
  assert.equal(await status(h.req('DELETE', `/api/trash/${oId}`, { token: user.token })), 404);
  assert.equal(await status(h.req('POST', `/api/trash/${oId}/restore`, { token: admin.token })), 200);
});

test('a normal user may rename or remove an empty folder they made, and nothing else', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const ana = await h.user('ana', 'user');
  const ben = await h.user('ben', 'user');
  const post = (u: TestUser, p: string, body: unknown) => h.req('POST', `/api/fs/${p}`, { token: u.token, body });
  const made = await h.json(post(ana, 'workspace/Mistake', { op: 'mkdir' }));
  assert.equal(made.canDelete, true, 'shown as removable to its creator');
  const seenByBen = (await h.json(h.req('GET', '/api/fs/workspace/', { token: ben.token }))).entries.find((e: { name: string }) => e.name === 'Mistake');
  assert.equal(seenByBen.canDelete, false);
  assert.equal((await h.req('DELETE', '/api/fs/workspace/Mistake', { token: ben.token })).status, 403, "not another pupil's to remove");
  assert.equal((await post(ana, 'workspace/Mistake', { op: 'move', to: '/Groupe 3' })).status, 200, 'renamed by its creator');
  // Once something is inside, it is shared work: the role matrix decides again.
  assert.equal((await h.put(ben, 'workspace/Groupe 3/notes.txt', 'x')).status, 201);
  assert.equal((await h.req('DELETE', '/api/fs/workspace/Groupe 3', { token: ana.token })).status, 403);
  // Empty again? Not for her: ben's file went only if an admin removed it; make another empty one instead.
  assert.equal((await post(ana, 'workspace/Tmp', { op: 'mkdir' })).status, 201);
  assert.equal((await h.req('DELETE', '/api/fs/workspace/Tmp', { token: ana.token })).status, 200);
  // Files stay out of reach: a normal user still never deletes a file, even her own.
  assert.equal((await h.put(ana, 'workspace/mine.txt', 'x')).status, 201);
  assert.equal((await h.req('DELETE', '/api/fs/workspace/mine.txt', { token: ana.token })).status, 403);
});
