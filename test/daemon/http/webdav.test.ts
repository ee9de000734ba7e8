// WebDAV (/dav/) in-process: the role matrix cell for cell against the web API's answers, Basic
// authentication (challenge, throttle, the credential cache and what ends it), the audit and the trash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeApp, type TestApp, type TestUser } from '../../helpers/app.js';

const basic = (u: { username: string; password: string }) => `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`;

function dav(h: TestApp, u: TestUser | null, method: string, p: string, headers: Record<string, string> = {}, body?: string) {
  return h.req(method, `/dav/${p}`, { headers: { ...(u ? { authorization: basic(u) } : {}), ...headers }, body });
}

test('the role matrix over WebDAV matches the web API cell for cell', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const user = await h.user('ulla', 'user');
  const adv = await h.user('ada', 'advanced');
  const admin = await h.user('root1', 'admin');
  const otto = await h.user('otto', 'advanced');
  const roles = [user, adv, admin];
  let n = 0;
  const seen = { allowed: 0, refused: 0 };
  const ok = (s: number) => s >= 200 && s < 300;
  // Each cell on fresh files: one for the web API, one for WebDAV, both owned by `owner` in `space`.
  for (const actor of roles) {
    for (const space of ['workspace', 'home', 'users/otto']) {
      for (const ownerKind of ['self', 'other'] as const) {
        const owner = space === 'users/otto' ? otto : space === 'home' ? actor : ownerKind === 'self' ? actor : admin === actor ? adv : admin;
        // The owner's files in the place that `space` names for the actor.
        const ownerSpace = space === 'home' ? (actor.role === 'user' ? null : 'home') : space;
        const ops: [string, (api: string, d: string) => Promise<[number, number]>][] = [
          [
            'read',
            async (a, d) => [
              (await h.req('GET', `/api/fs/${space}/${a}`, { token: actor.token })).status,
              (await dav(h, actor, 'GET', `${space}/${d}`)).status,
            ],
          ],
          [
            'list',
            async () => [
              (await h.req('GET', `/api/fs/${space}/`, { token: actor.token })).status,
              (await dav(h, actor, 'PROPFIND', `${space}/`, { depth: '1' })).status,
            ],
          ],
          [
            'create',
            async (a, d) => [(await h.put(actor, `${space}/new-${a}`, 'x')).status, (await dav(h, actor, 'PUT', `${space}/new-${d}`, {}, 'x')).status],
          ],
          [
            'mkdir',
            async (a, d) => [
              (await h.req('POST', `/api/fs/${space}/dir-${a}`, { token: actor.token, body: { op: 'mkdir' } })).status,
              (await dav(h, actor, 'MKCOL', `${space}/dir-${d}`)).status,
            ],
          ],
          [
            'overwrite',
            async (a, d) => [
              (await h.put(actor, `${space}/${a}`, 'new', '?overwrite=1')).status,
              (await dav(h, actor, 'PUT', `${space}/${d}`, {}, 'new')).status,
            ],
          ],
          [
            'move',
            async (a, d) => [
              (await h.req('POST', `/api/fs/${space}/${a}`, { token: actor.token, body: { op: 'move', to: `/moved-${a}` } })).status,
              (await dav(h, actor, 'MOVE', `${space}/${d}`, { destination: `http://localhost/dav/${space}/moved-${d}` })).status,
            ],
          ],
          [
            'delete',
            async (a, d) => [
              (await h.req('DELETE', `/api/fs/${space}/${a}`, { token: actor.token })).status,
              (await dav(h, actor, 'DELETE', `${space}/${d}`)).status,
            ],
          ],
        ];
        for (const [op, run] of ops) {
          const a = `a${n}.txt`;
          const d = `d${n++}.txt`;
          if (ownerSpace) {
            const seedAs = space === 'users/otto' ? otto : owner;
            const seedPath = space === 'users/otto' ? 'home' : ownerSpace === 'home' ? 'home' : space;
            for (const f of [a, d]) assert.equal((await h.put(seedAs, `${seedPath}/${f}`, 'seed')).status, 201);
          }
          const [apiStatus, davStatus] = await run(a, d);
          const cell = `${actor.role} ${op} in ${space} (${ownerKind}'s file): api ${apiStatus}, dav ${davStatus}`;
          assert.equal(ok(davStatus), ok(apiStatus), cell);
          if (!ok(apiStatus)) assert.equal(davStatus, apiStatus, cell);
          seen[ok(apiStatus) ? 'allowed' : 'refused']++;
        }
      }
    }
  }
  // user 8 allowed (workspace read, list, create, mkdir), advanced 25, admin all 42.
  assert.deepEqual(seen, { allowed: 75, refused: 51 });
  // The matrix's key cells, said plainly: a normal user's overwriting PUT and DELETE are refused.
  await h.put(user, 'workspace/mine.txt', 'v1');
  assert.equal((await dav(h, user, 'PUT', 'workspace/mine.txt', {}, 'v2')).status, 403);
  assert.equal((await dav(h, user, 'DELETE', 'workspace/mine.txt')).status, 403);
  assert.equal((await dav(h, user, 'PROPFIND', 'home/', { depth: '0' })).status, 403);
  assert.equal((await dav(h, adv, 'PROPFIND', 'users/', { depth: '1' })).status, 403);
  assert.equal((await dav(h, admin, 'PROPFIND', 'users/', { depth: '1' })).status, 207);
});

test('the root lists the spaces each role has; Depth: infinity is refused as the RFC says', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const user = await h.user('ulla', 'user');
  const adv = await h.user('ada', 'advanced');
  const admin = await h.user('root1', 'admin');
  const hrefs = async (u: TestUser) =>
    [...(await (await dav(h, u, 'PROPFIND', '', { depth: '1' })).text()).matchAll(/<D:href>([^<]+)<\/D:href>/g)].map((m) => m[1]);
  assert.deepEqual(await hrefs(user), ['/dav/', '/dav/workspace/']);
  assert.deepEqual(await hrefs(adv), ['/dav/', '/dav/workspace/', '/dav/home/']);
  assert.deepEqual(await hrefs(admin), ['/dav/', '/dav/workspace/', '/dav/home/', '/dav/users/']);
  for (const depth of ['infinity', undefined]) {
    const r = await dav(h, user, 'PROPFIND', 'workspace/', depth ? { depth } : {});
    assert.equal(r.status, 403);
    assert.match(await r.text(), /<D:propfind-finite-depth\/>/);
  }
  const opts = await dav(h, null, 'OPTIONS', 'workspace/');
  assert.equal(opts.headers.get('dav'), '1, 2');
});

test('Basic authentication: challenge, throttle, and no bcrypt on every request', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const u = await h.user('ada', 'advanced');
  const none = await dav(h, null, 'PROPFIND', 'workspace/', { depth: '0' });
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Basic realm="Home Drive", charset="UTF-8"');
  // Verified once, then trusted from the cache: bcrypt is not run again.
  let checks = 0;
  const verify = h.deps.accounts.verifyPassword.bind(h.deps.accounts);
  h.deps.accounts.verifyPassword = async (...a) => (checks++, verify(...a));
  for (let i = 0; i < 5; i++) assert.equal((await dav(h, u, 'PROPFIND', 'workspace/', { depth: '0' })).status, 207);
  assert.equal(checks, 1);
  // A password change ends the cached credential at once: the old password no longer works.
  const row = h.deps.accounts.users.byName('ada')!;
  await h.deps.accounts.setPassword(row, 'a-brand-new-secret');
  assert.equal((await dav(h, u, 'PROPFIND', 'workspace/', { depth: '0' })).status, 401);
  const renewed = { ...u, password: 'a-brand-new-secret' };
  assert.equal((await dav(h, renewed, 'PROPFIND', 'workspace/', { depth: '0' })).status, 207);
  // Disabling the account ends it too, cached or not.
  await h.deps.accounts.updateUser('ada', { disabled: true });
  assert.equal((await dav(h, renewed, 'PROPFIND', 'workspace/', { depth: '0' })).status, 403);
  // Guesses are throttled like logins: 429 with Retry-After.
  const mallory = { username: 'root', password: 'guess-0000' };
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) {
    const r = await h.req('PROPFIND', '/dav/workspace/', { headers: { authorization: basic({ ...mallory, password: `guess-${i}` }), depth: '0' } });
    statuses.push(r.status);
    if (r.status === 429) assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
  }
  assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
  assert.equal(statuses[6], 429);
});

test('a file manager opening eight connections at once with the right password: one check, no 429', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const u = await h.user('ada', 'advanced');
  let checks = 0;
  const verify = h.deps.accounts.verifyPassword.bind(h.deps.accounts);
  h.deps.accounts.verifyPassword = async (...a) => (checks++, verify(...a));
  // Found by make bench (curl, 8 clients): each parallel check counted as a failure until it ended.
  const statuses = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => (await dav(h, u, 'PUT', `workspace/parallel-${i}.txt`, {}, `file ${i}`)).status),
  );
  assert.deepEqual(statuses, Array(8).fill(201));
  assert.equal(checks, 1, 'the eight requests shared one bcrypt check');
  // A wrong password sent eight times at once is one guess, not eight, and still refused.
  const wrong = await Promise.all(
    Array.from({ length: 8 }, async () => (await dav(h, { ...u, password: 'not-it' }, 'PROPFIND', 'workspace/', { depth: '0' })).status),
  );
  assert.deepEqual(wrong, Array(8).fill(401));
});

test('WebDAV writes are audited with via=dav, and a DELETE lands in the trash', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const adv = await h.user('ada', 'advanced');
  assert.equal((await dav(h, adv, 'PUT', 'workspace/report.txt', {}, 'draft')).status, 201);
  assert.equal((await dav(h, adv, 'PUT', 'workspace/report.txt', {}, 'final')).status, 204);
  assert.equal((await dav(h, adv, 'MKCOL', 'workspace/old')).status, 201);
  assert.equal((await dav(h, adv, 'MOVE', 'workspace/report.txt', { destination: '/dav/workspace/old/report.txt' })).status, 201);
  assert.equal((await dav(h, adv, 'COPY', 'workspace/old/report.txt', { destination: '/dav/workspace/copy.txt' })).status, 201);
  assert.equal((await dav(h, adv, 'DELETE', 'workspace/old')).status, 204);
  const entries = h.deps.audit.page({ limit: 50 }).entries.filter((e) => e.actor === 'ada');
  assert.deepEqual(entries.map((e) => e.action).reverse(), ['upload', 'overwrite', 'mkdir', 'move', 'upload', 'delete']);
  for (const e of entries) assert.equal((e.detail as { via?: string }).via, 'dav', e.action);
  const trash = h.deps.trash.list({ actor: { username: 'ada', role: 'advanced' }, ip: null }).items;
  assert.deepEqual(trash.map((i) => [i.path, i.reason]).sort(), [
    ['/old', 'delete'],
    ['/report.txt', 'overwrite'],
  ]);
  const copy = await dav(h, adv, 'GET', 'workspace/copy.txt');
  assert.equal(await copy.text(), 'final');
  assert.equal(h.deps.drive.files.get('workspace', 'copy.txt')?.owner, 'ada');
});

test("file managers' two-step writes work for a normal user; macOS's ._ files are kept but hidden from the web", async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const user = await h.user('ulla', 'user');
  // macOS Finder: LOCK on an unmapped URL (an empty file), PUT of the bytes with the token, UNLOCK.
  const lock = await dav(
    h,
    user,
    'LOCK',
    'workspace/finder.txt',
    { 'content-type': 'application/xml', timeout: 'Second-600' },
    '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>mac</D:owner></D:lockinfo>',
  );
  assert.equal(lock.status, 201);
  const token = lock.headers.get('lock-token')!;
  assert.equal((await dav(h, user, 'PUT', 'workspace/finder.txt', {}, 'no token')).status, 423);
  assert.equal((await dav(h, user, 'PUT', 'workspace/finder.txt', { if: `(${token})` }, 'from the mac')).status, 204);
  assert.equal((await dav(h, user, 'UNLOCK', 'workspace/finder.txt', { 'lock-token': token })).status, 204);
  // Windows: an empty PUT, then the bytes.
  assert.equal((await dav(h, user, 'PUT', 'workspace/explorer.txt', {}, '')).status, 201);
  assert.equal((await dav(h, user, 'PUT', 'workspace/explorer.txt', {}, 'from windows')).status, 204);
  // Once the file holds bytes, the matrix decides again: a normal user replaces nothing.
  assert.equal((await dav(h, user, 'PUT', 'workspace/explorer.txt', {}, 'again')).status, 403);
  assert.equal(await (await dav(h, user, 'GET', 'workspace/finder.txt')).text(), 'from the mac');
  assert.equal(h.deps.trash.rows.all().length, 0);
  // An empty file of someone else's is not anyone's to fill.
  const other = await h.user('olga', 'user');
  assert.equal((await dav(h, other, 'PUT', 'workspace/empty.txt', {}, '')).status, 201);
  assert.equal((await dav(h, user, 'PUT', 'workspace/empty.txt', {}, 'mine now?')).status, 403);
  // AppleDouble and .DS_Store: stored and listed over WebDAV, absent from the web listing.
  assert.equal((await dav(h, user, 'PUT', 'workspace/._finder.txt', {}, 'resource fork')).status, 201);
  assert.equal((await dav(h, user, 'PUT', 'workspace/.DS_Store', {}, 'view settings')).status, 201);
  const web = (await h.json(h.req('GET', '/api/fs/workspace/', { token: user.token }))) as { entries: { name: string }[] };
  assert.deepEqual(web.entries.map((e) => e.name).sort(), ['empty.txt', 'explorer.txt', 'finder.txt']);
  const davList = await (await dav(h, user, 'PROPFIND', 'workspace/', { depth: '1' })).text();
  assert.match(davList, /\/dav\/workspace\/\._finder\.txt</);
  assert.match(davList, /\/dav\/workspace\/\.DS_Store</);
});

test('app passwords: made for a device, shown once, work over WebDAV without bcrypt, revoked at once', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const adv = await h.user('ada', 'advanced');
  const made = await h.req('POST', '/api/auth/app-passwords', { token: adv.token, body: { label: "Ada's laptop" } });
  assert.equal(made.status, 201);
  const { id, password } = (await made.json()) as { id: number; password: string };
  assert.match(password, /^hcd(-[a-z2-7]{5}){4}$/);
  let checks = 0;
  const verify = h.deps.accounts.verifyPassword.bind(h.deps.accounts);
  h.deps.accounts.verifyPassword = async (...a) => (checks++, verify(...a));
  const device = { username: 'ada', password };
  assert.equal((await h.req('PROPFIND', '/dav/home/', { headers: { authorization: basic(device), depth: '0' } })).status, 207);
  assert.equal(checks, 0);
  const list = (await h.json(h.req('GET', '/api/auth/app-passwords', { token: adv.token }))) as { items: { label: string; lastUsedAt: string | null }[] };
  assert.equal(list.items.length, 1);
  assert.equal(list.items[0]!.label, "Ada's laptop");
  assert.notEqual(list.items[0]!.lastUsedAt, null);
  assert.ok(!JSON.stringify(list).includes(password));
  // Another account cannot revoke it; its owner can, and it stops working at once.
  const other = await h.user('otto', 'advanced');
  assert.equal((await h.req('DELETE', `/api/auth/app-passwords/${id}`, { token: other.token })).status, 404);
  assert.equal((await h.req('DELETE', `/api/auth/app-passwords/${id}`, { token: adv.token })).status, 200);
  assert.equal((await h.req('PROPFIND', '/dav/home/', { headers: { authorization: basic(device), depth: '0' } })).status, 401);
  // It is no password for the web login.
  assert.equal((await h.req('POST', '/api/auth/login', { body: { username: 'ada', password } })).status, 401);
});

const QUOTA_PROPS =
  '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/><D:quota-used-bytes/><D:getcontentlength/></D:prop></D:propfind>';

/** Each response's href → its 200 propstat's quota figures (undefined when absent). */
function quotaFigures(xml: string): Record<string, { available?: number; used?: number }> {
  const out: Record<string, { available?: number; used?: number }> = {};
  for (const [, resp] of xml.matchAll(/<D:response>([\s\S]*?)<\/D:response>/g)) {
    const href = /<D:href>([^<]+)<\/D:href>/.exec(resp!)![1]!;
    const ok = /<D:propstat><D:prop>([\s\S]*?)<\/D:prop><D:status>HTTP\/1.1 200 OK<\/D:status><\/D:propstat>/.exec(resp!)?.[1] ?? '';
    const num = (name: string) => {
      const m = new RegExp(`<D:${name}>(\\d+)</D:${name}>`).exec(ok);
      return m ? Number(m[1]) : undefined;
    };
    out[href] = { available: num('quota-available-bytes'), used: num('quota-used-bytes') };
  }
  return out;
}

test('RFC 4331: quota-used-bytes and quota-available-bytes on collections, the web API’s figures, asked by name only', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const adv = await h.user('ada', 'advanced');
  const free = await h.user('fred', 'advanced');
  await h.deps.accounts.updateUser('ada', { quotaBytes: 1000 });
  // The disk's writable space, fixed here so that the figures do not move with the machine's disk.
  h.deps.store.writableBytes = async () => 5_000_000;
  assert.equal((await h.put(adv, 'workspace/a.txt', 'x'.repeat(300))).status, 201);
  assert.equal((await h.put(adv, 'home/b.txt', 'y'.repeat(100))).status, 201);
  assert.equal((await h.put(free, 'workspace/c.txt', 'z'.repeat(50))).status, 201);
  const me = (await h.json(h.req('GET', '/api/auth/me', { token: adv.token }))) as { user: { usedBytes: number; quotaBytes: number } };
  assert.deepEqual([me.user.usedBytes, me.user.quotaBytes], [400, 1000]);

  const r = await dav(h, adv, 'PROPFIND', 'workspace/', { depth: '1', 'content-type': 'application/xml' }, QUOTA_PROPS);
  assert.equal(r.status, 207);
  const xml = await r.text();
  const figures = quotaFigures(xml);
  // The account's figures on every collection (what the web's quota meter shows); a file has none (404).
  assert.deepEqual(figures['/dav/workspace/'], { available: 600, used: 400 });
  assert.deepEqual(figures['/dav/workspace/a.txt'], { available: undefined, used: undefined });
  assert.match(xml, /<D:prop><D:quota-available-bytes\/><D:quota-used-bytes\/><\/D:prop><D:status>HTTP\/1.1 404 Not Found<\/D:status>/);
  const home = quotaFigures(await (await dav(h, adv, 'PROPFIND', 'home/', { depth: '0' }, QUOTA_PROPS)).text());
  assert.deepEqual(home['/dav/home/'], { available: 600, used: 400 });
  // No quota: what the disk still takes.
  const fred = quotaFigures(await (await dav(h, free, 'PROPFIND', 'workspace/', { depth: '0' }, QUOTA_PROPS)).text());
  assert.deepEqual(fred['/dav/workspace/'], { available: 5_000_000, used: 50 });
  // A quota larger than the disk's free space: the disk is the limit.
  await h.deps.accounts.updateUser('ada', { quotaBytes: 10_000_000 });
  const big = quotaFigures(await (await dav(h, adv, 'PROPFIND', 'workspace/', { depth: '0' }, QUOTA_PROPS)).text());
  assert.deepEqual(big['/dav/workspace/'], { available: 5_000_000, used: 400 });
  // The root list of spaces is a collection too.
  const root = quotaFigures(await (await dav(h, adv, 'PROPFIND', '', { depth: '0' }, QUOTA_PROPS)).text());
  assert.deepEqual(root['/dav/'], { available: 5_000_000, used: 400 });

  // §6: over quota, or the disk full, a write is 507 with the precondition that failed.
  await h.deps.accounts.updateUser('ada', { quotaBytes: 1000 });
  const over = await dav(h, adv, 'PUT', 'workspace/too-big.txt', { 'content-length': '700' }, 'w'.repeat(700));
  assert.equal(over.status, 507);
  assert.equal(await over.text(), '<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"><D:quota-not-exceeded/></D:error>');
  const full = await dav(h, free, 'PUT', 'workspace/too-big.txt', { 'content-length': '5000001' }, 'w'.repeat(5_000_001));
  assert.equal(full.status, 507);
  assert.match(await full.text(), /<D:sufficient-disk-space\/>/);
  assert.equal((await h.req('PUT', '/api/fs/workspace/too-big.txt', { token: adv.token, body: 'w'.repeat(700) })).status, 413, 'the web API keeps its 413');

  // Not in allprop; listed by propname on collections; given by allprop's include.
  const all = await (await dav(h, adv, 'PROPFIND', 'workspace/', { depth: '0' })).text();
  assert.match(all, /<D:getetag>/);
  assert.doesNotMatch(all, /quota/);
  const names = await (
    await dav(h, adv, 'PROPFIND', 'workspace/', { depth: '1' }, '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>')
  ).text();
  const ws = /<D:response><D:href>\/dav\/workspace\/<\/D:href>[\s\S]*?<\/D:response>/.exec(names)![0];
  assert.match(ws, /<D:quota-available-bytes\/><D:quota-used-bytes\/>/);
  const file = /<D:response><D:href>\/dav\/workspace\/a\.txt<\/D:href>[\s\S]*?<\/D:response>/.exec(names)![0];
  assert.doesNotMatch(file, /quota/);
  const included = await (
    await dav(
      h,
      adv,
      'PROPFIND',
      'workspace/',
      { depth: '0' },
      '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/><D:include><D:quota-used-bytes/></D:include></D:propfind>',
    )
  ).text();
  assert.match(included, /<D:quota-used-bytes>400<\/D:quota-used-bytes>/);
  assert.doesNotMatch(included, /quota-available-bytes/);

  // Protected: a PROPPATCH that sets one fails as a whole (403 for it, 424 for the rest).
  const patch = await dav(
    h,
    adv,
    'PROPPATCH',
    'home/',
    {},
    '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x"><D:set><D:prop><D:quota-used-bytes>0</D:quota-used-bytes><Z:note>hi</Z:note></D:prop></D:set></D:propertyupdate>',
  );
  assert.equal(patch.status, 207);
  const patched = await patch.text();
  assert.match(patched, /<D:quota-used-bytes\/><\/D:prop><D:status>HTTP\/1.1 403 Forbidden/);
  assert.match(patched, /<P:note xmlns:P="urn:x"\/><\/D:prop><D:status>HTTP\/1.1 424 Failed Dependency/);
});

test('Overwrite: T — a COPY or MOVE that fails partway (over quota, source gone) leaves the destination as it was', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const ada = await h.user('ada', 'advanced');
  const text = async (p: string) => {
    const r = await dav(h, ada, 'GET', p);
    return r.status === 200 ? await r.text() : r.status;
  };
  const trashed = () =>
    h.deps.trash.rows
      .all()
      .map((r) => [r.path, r.reason])
      .sort();
  const setNote = async (p: string, note: string) =>
    assert.equal(
      (
        await dav(
          h,
          ada,
          'PROPPATCH',
          p,
          {},
          `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x"><D:set><D:prop><Z:note>${note}</Z:note></D:prop></D:set></D:propertyupdate>`,
        )
      ).status,
      207,
    );
  const noteOf = async (p: string) =>
    /<P:note xmlns:P="urn:x">([^<]*)<\/P:note>/.exec(
      await (
        await dav(
          h,
          ada,
          'PROPFIND',
          p,
          { depth: '0' },
          '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><Z:note xmlns:Z="urn:x"/></D:prop></D:propfind>',
        )
      ).text(),
    )?.[1];

  // A folder copied onto a folder: the second file does not fit in the quota (900 bytes).
  for (const [p, body] of [
    ['home/src/a.txt', 'a'.repeat(200)],
    ['home/src/b.txt', 'b'.repeat(300)],
    ['home/dest/old.txt', 'o'.repeat(100)],
  ] as const)
    assert.equal((await h.put(ada, p, body)).status, 201);
  await h.deps.accounts.updateUser('ada', { quotaBytes: 900 });
  await setNote('home/dest/', 'keep me');
  const copied = await dav(h, ada, 'COPY', 'home/src/', { destination: '/dav/home/dest/', overwrite: 'T' });
  assert.equal(copied.status, 507);
  assert.match(await copied.text(), /<D:error xmlns:D="DAV:"><D:quota-not-exceeded\/><\/D:error>/);
  assert.equal(await text('home/dest/old.txt'), 'o'.repeat(100));
  assert.equal(await text('home/dest/a.txt'), 404, 'the part copied before the failure is gone');
  assert.equal(await noteOf('home/dest/'), 'keep me');
  assert.equal(h.deps.drive.files.get('users/ada', 'dest/old.txt')?.owner, 'ada');
  assert.deepEqual(trashed(), [['dest', 'delete']], 'the destination came back from the trash; the partial copy went there instead');
  const me = (await h.json(h.req('GET', '/api/auth/me', { token: ada.token }))) as { user: { usedBytes: number } };
  assert.equal(me.user.usedBytes, 600);

  // A file copied onto a file, over quota: refused before the destination is touched.
  assert.equal((await h.put(ada, 'home/big.txt', 'B'.repeat(250))).status, 201);
  const onFile = await dav(h, ada, 'COPY', 'home/big.txt', { destination: '/dav/home/dest/old.txt', overwrite: 'T' });
  assert.equal(onFile.status, 507);
  assert.equal(await text('home/dest/old.txt'), 'o'.repeat(100));
  assert.equal(trashed().length, 1);
  // One that fits replaces it, the old version kept in the trash as an overwrite.
  await h.deps.accounts.updateUser('ada', { quotaBytes: null });
  assert.equal((await dav(h, ada, 'COPY', 'home/big.txt', { destination: '/dav/home/dest/old.txt', overwrite: 'T' })).status, 204);
  assert.equal(await text('home/dest/old.txt'), 'B'.repeat(250));
  assert.deepEqual(trashed(), [
    ['dest', 'delete'],
    ['dest/old.txt', 'overwrite'],
  ]);

  // A MOVE whose source someone else deletes between the checks and the rename: 404, destination kept.
  assert.equal((await h.put(ada, 'home/moving.txt', 'new')).status, 201);
  assert.equal((await h.put(ada, 'home/target.txt', 'previous')).status, 201);
  await setNote('home/target.txt', 'target note');
  const move = h.deps.drive.move.bind(h.deps.drive);
  h.deps.drive.move = async (ctx, space, from, to) => {
    await h.deps.trash.remove({ actor: { username: 'ada', role: 'advanced' }, ip: null }, space, from);
    return move(ctx, space, from, to);
  };
  const moved = await dav(h, ada, 'MOVE', 'home/moving.txt', { destination: '/dav/home/target.txt', overwrite: 'T' });
  h.deps.drive.move = move;
  assert.equal(moved.status, 404);
  assert.equal(await text('home/target.txt'), 'previous');
  assert.equal(await noteOf('home/target.txt'), 'target note');
  assert.deepEqual(trashed(), [
    ['dest', 'delete'],
    ['dest/old.txt', 'overwrite'],
    ['moving.txt', 'delete'],
  ]);
  // And when nothing fails, the MOVE replaces it (the previous version in the trash).
  assert.equal((await h.put(ada, 'home/moving.txt', 'new')).status, 201);
  assert.equal((await dav(h, ada, 'MOVE', 'home/moving.txt', { destination: '/dav/home/target.txt', overwrite: 'T' })).status, 204);
  assert.equal(await text('home/target.txt'), 'new');
  assert.equal(await noteOf('home/target.txt'), undefined);

  // An overwriting PUT over quota: the upload fails before its commit, which alone touches the file.
  await h.deps.accounts.updateUser('ada', { quotaBytes: 1000 });
  const put = await dav(h, ada, 'PUT', 'home/target.txt', { 'content-length': '2000' }, 'x'.repeat(2000));
  assert.equal(put.status, 507);
  assert.match(await put.text(), /<D:quota-not-exceeded\/>/);
  assert.equal(await text('home/target.txt'), 'new');
});

test('PROPFIND of a folder of 700 entries is streamed in pieces: every member once, sizes and dead properties included', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const ada = await h.user('ada', 'advanced');
  const fs = await import('node:fs');
  const path = await import('node:path');
  const dir = path.join(h.dataDir, 'workspace', 'many');
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 700; i++) if (i !== 650) fs.writeFileSync(path.join(dir, `f${i}.txt`), 'y'.repeat(i % 7));
  // One uploaded, so that ada owns it and may set a property on it.
  assert.equal((await dav(h, ada, 'PUT', 'workspace/many/f650.txt', {}, 'yyyyyy')).status, 201);
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.symlinkSync('/etc/passwd', path.join(dir, 'link'));
  const set = `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:tag>red</Z:tag></D:prop></D:set></D:propertyupdate>`;
  assert.equal((await dav(h, ada, 'PROPPATCH', 'workspace/many/f650.txt', { 'content-type': 'application/xml' }, set)).status, 207);
  const res = await dav(h, ada, 'PROPFIND', 'workspace/many/', { depth: '1' });
  assert.equal(res.status, 207);
  assert.equal(res.headers.get('content-type'), 'application/xml; charset=utf-8');
  let pieces = 0;
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) ((text += decoder.decode(chunk, { stream: true })), pieces++);
  assert.ok(pieces >= 3, `${pieces} pieces`);
  assert.ok(text.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:"><D:response>'), text.slice(0, 100));
  assert.ok(text.endsWith('</D:response></D:multistatus>'));
  const hrefs = [...text.matchAll(/<D:href>([^<]+)<\/D:href>/g)].map((m) => m[1]!);
  assert.equal(hrefs.length, 702, 'the folder itself, 700 files and the subfolder; the symlink is not shown');
  assert.equal(new Set(hrefs).size, 702);
  assert.ok(hrefs.includes('/dav/workspace/many/sub/') && hrefs.includes('/dav/workspace/many/f699.txt'));
  const f650 = text.slice(text.indexOf('<D:href>/dav/workspace/many/f650.txt</D:href>'));
  assert.match(f650.slice(0, f650.indexOf('</D:response>')), /<D:getcontentlength>6<\/D:getcontentlength>.*<P:tag xmlns:P="urn:z">red<\/P:tag>/s);
  assert.equal(text.split('</D:response>\n<D:response>').length, 702, 'responses one per line, as a short answer has them');
});
