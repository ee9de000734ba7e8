// Issue 14 over HTTP: groups, accounts in bulk (preview, then all-or-nothing creation), login cards and
// their revocation, bulk actions with the last-admin protection, and the Wi-Fi printed on cards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { CardsResponse, ImportPreview } from '../../../daemon/src/api-types.js';
import { ManualClock, errorCode, makeApp, type TestApp, type TestUser } from '../../helpers/app.js';

const WINDOW = 16 * 60_000; // past the login throttle's 15-minute window

async function preview(h: TestApp, admin: TestUser, body: unknown): Promise<ImportPreview> {
  const r = await h.req('POST', '/api/admin/users/import/preview', { token: admin.token, body });
  assert.equal(r.status, 200, await r.clone().text());
  return (await r.json()) as ImportPreview;
}

async function create(h: TestApp, admin: TestUser, p: ImportPreview): Promise<CardsResponse> {
  const r = await h.req('POST', '/api/admin/users/import', { token: admin.token, body: { accounts: p.lines } });
  assert.equal(r.status, 201, await r.clone().text());
  assert.equal(r.headers.get('cache-control'), 'no-store');
  return (await r.json()) as CardsResponse;
}

const card = (h: TestApp, secret: string) => h.req('POST', '/api/auth/card', { body: { secret } });
const login = (h: TestApp, username: string, password: string) => h.req('POST', '/api/auth/login', { body: { username, password } });
const usernames = (h: TestApp) => h.deps.accounts.users.all().map((u) => u.username);

test('every new admin route: 401 without a session, 403 for user and advanced', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const user = await h.user('ulla', 'user');
  const adv = await h.user('ada', 'advanced');
  const admin = await h.user('root1', 'admin');
  const g = await h.json(h.req('POST', '/api/admin/groups', { token: admin.token, body: { name: 'CM2 B' } }));
  const routes: [string, string, unknown][] = [
    ['GET', '/api/admin/groups', undefined],
    ['POST', '/api/admin/groups', { name: 'x' }],
    ['PATCH', `/api/admin/groups/${g.id}`, { name: 'y' }],
    ['DELETE', `/api/admin/groups/${g.id}`, undefined],
    ['GET', `/api/admin/users?group=${g.id}`, undefined],
    ['POST', '/api/admin/users/import/preview', { text: 'Zoé' }],
    ['POST', '/api/admin/users/import', { accounts: [{ username: 'zoe' }] }],
    ['POST', '/api/admin/users/bulk', { action: 'disable', usernames: ['ulla'] }],
    ['GET', '/api/admin/cards/network', undefined],
  ];
  for (const [m, url, body] of routes) {
    assert.equal((await h.req(m, url, { body })).status, 401, `${m} ${url}`);
    for (const u of [user, adv]) assert.equal((await h.req(m, url, { token: u.token, body })).status, 403, `${m} ${url} as ${u.role}`);
  }
  assert.deepEqual(usernames(h).sort(), ['ada', 'root1', 'ulla'], 'nothing was created by the refused calls');
  assert.equal(
    (await h.json(h.req('GET', '/api/admin/users', { token: admin.token }))).users.find((u: { username: string }) => u.username === 'ulla').disabled,
    false,
  );
});

test('groups: create, rename, members, filter the user list, delete (accounts stay); audited', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  const A = { token: admin.token };
  await h.user('ana', 'user');
  await h.user('bob', 'user');
  const created = await h.req('POST', '/api/admin/groups', { ...A, body: { name: '  CM2   B ' } });
  assert.equal(created.status, 201);
  const g = await created.json();
  assert.deepEqual([g.name, g.members], ['CM2 B', 0]);
  const dup = await h.req('POST', '/api/admin/groups', { ...A, body: { name: 'cm2 b' } });
  assert.deepEqual([dup.status, await errorCode(dup)], [409, 'group_exists']);
  assert.equal(await errorCode(await h.req('POST', '/api/admin/groups', { ...A, body: { name: '' } })), 'invalid_group');

  const p = await h.json(h.req('PATCH', `/api/admin/groups/${g.id}`, { ...A, body: { name: 'CM2 Bleu', add: ['ana', 'BOB'] } }));
  assert.deepEqual([p.name, p.members], ['CM2 Bleu', 2]);
  const nobody = await h.req('PATCH', `/api/admin/groups/${g.id}`, { ...A, body: { add: ['ghost'] } });
  assert.deepEqual([nobody.status, await errorCode(nobody)], [404, 'no_such_user']);
  await h.req('PATCH', `/api/admin/groups/${g.id}`, { ...A, body: { remove: ['bob'] } });
  const inGroup = (await h.json(h.req('GET', `/api/admin/users?group=${g.id}`, A))).users;
  assert.deepEqual(
    inGroup.map((u: { username: string; groups: unknown }) => [u.username, u.groups]),
    [['ana', [{ id: g.id, name: 'CM2 Bleu' }]]],
  );
  assert.equal(await errorCode(await h.req('GET', '/api/admin/users?group=999', A)), 'no_such_group');
  assert.equal(await errorCode(await h.req('PATCH', '/api/admin/groups/999', { ...A, body: { name: 'x' } })), 'no_such_group');

  assert.deepEqual(await h.json(h.req('DELETE', `/api/admin/groups/${g.id}`, A)), { id: g.id, deleted: true });
  assert.deepEqual((await h.json(h.req('GET', '/api/admin/groups', A))).groups, []);
  assert.ok(usernames(h).includes('ana'), 'the members stay');
  const actions = h.deps.audit.page({ limit: 50 }).entries.map((e) => `${e.action} ${e.target}`);
  for (const a of ['group_create group:CM2 B', 'group_update group:CM2 Bleu', 'group_delete group:CM2 Bleu']) assert.ok(actions.includes(a), a);
});

test('CSV import: preview first (nothing created), duplicates resolved against live and deleted names, then created with passwords and cards', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  await h.user('elodie-martin', 'user');
  await h.user('elodie-martin-2', 'user');
  h.deps.accounts.deleteUser('elodie-martin-2'); // deleted: the name stays reserved
  const csv = '\uFEFFNom;Prénom;Classe;Rôle\r\nMARTIN;Élodie;CM2 B;\r\nMartin;Elodie;CM2 B;utilisateur\r\nDUPONT;Léo;CM2 B;avancé\r\n';
  const before = usernames(h).length;
  const p = await preview(h, admin, { text: csv });
  assert.equal(usernames(h).length, before, 'a preview creates nothing');
  assert.deepEqual([p.ok, p.format, p.header, p.count, p.newGroups], [true, 'csv', true, 3, ['CM2 B']]);
  assert.deepEqual(
    p.lines.map((l) => [l.line, l.name, l.username, l.role, l.group, l.error]),
    [
      [2, 'Élodie MARTIN', 'elodie-martin-3', 'user', 'CM2 B', null],
      [3, 'Elodie Martin', 'elodie-martin-4', 'user', 'CM2 B', null],
      [4, 'Léo DUPONT', 'leo-dupont', 'advanced', 'CM2 B', null],
    ],
  );
  assert.equal((await h.json(h.req('GET', '/api/admin/groups', { token: admin.token }))).groups.length, 0, 'nor a group');

  const made = await create(h, admin, p);
  assert.equal(made.count, 3);
  const leo = made.accounts.find((a) => a.username === 'leo-dupont')!;
  assert.deepEqual([leo.displayName, leo.role, leo.groups], ['Léo DUPONT', 'advanced', ['CM2 B']]);
  assert.match(leo.password, /^[a-z]{3,5}-[a-z]{3,5}-[a-z]{3,5}-[2-9]{2}$/);
  assert.match(leo.cardSecret!, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(leo.cardUrl, `http://127.0.0.1:8080/#card=${leo.cardSecret}`);
  // Never stored in clear.
  const row = h.deps.accounts.users.byName('leo-dupont')!;
  assert.notEqual(row.password_hash, leo.password);
  assert.ok(!JSON.stringify(h.deps.db.prepare('SELECT * FROM login_cards').all()).includes(leo.cardSecret!));
  assert.equal((await login(h, 'leo-dupont', leo.password)).status, 200);
  assert.equal((await card(h, leo.cardSecret!)).status, 200);

  const list = (await h.json(h.req('GET', '/api/admin/users', { token: admin.token }))).users;
  const leoListed = list.find((u: { username: string }) => u.username === 'leo-dupont');
  assert.deepEqual([leoListed.displayName, leoListed.card, leoListed.groups.map((g: { name: string }) => g.name)], ['Léo DUPONT', true, ['CM2 B']]);
  const audit = h.deps.audit.page({ limit: 50 }).entries;
  assert.equal(audit.filter((e) => e.action === 'user_create').length, 3);
  const imp = audit.filter((e) => e.action === 'users_import');
  assert.equal(imp.length, 1);
  assert.deepEqual([imp[0]!.target, imp[0]!.detail], ['group:CM2 B', { count: 3, groups: ['CM2 B'] }]);
  assert.ok(!JSON.stringify(audit).includes(leo.password), 'no password in the audit log');
});

test('a bad line: the preview names it and nothing can be created; a bad or taken account in creation: nothing is created', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  const p = await preview(h, admin, { text: 'name,role,group\nZoé Durand,user,A\nLéo,teacher,A\n李小龙,,A\n"Open,user\n' });
  assert.equal(p.ok, false);
  assert.deepEqual(
    p.lines.map((l) => [l.line, l.error === null ? null : l.error.slice(0, 20)]),
    [
      [2, null],
      [3, '"teacher" is not a r'],
      [4, 'no username can be m'],
      [5, 'A quote (") is opene'],
    ],
  );
  const before = usernames(h).length;
  const bad = await h.req('POST', '/api/admin/users/import', { token: admin.token, body: { accounts: p.lines } });
  assert.equal(bad.status, 400);
  const taken = await h.req('POST', '/api/admin/users/import', {
    token: admin.token,
    body: { accounts: [{ username: 'zoe-durand' }, { username: 'root1', line: 7 }] },
  });
  assert.equal(taken.status, 409);
  assert.match((await taken.json()).error.message, /line 7/);
  const twice = await h.req('POST', '/api/admin/users/import', { token: admin.token, body: { accounts: [{ username: 'zoe' }, { username: 'ZOE' }] } });
  assert.equal(await errorCode(twice), 'invalid_import');
  assert.equal(usernames(h).length, before);
  assert.equal(h.deps.groups.list().length, 0);
});

test('a username taken while the passwords were hashed: the whole creation rolls back', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  const p = await preview(h, admin, { text: 'Anna\nBruno\nChloé\n', group: 'CE1' });
  assert.deepEqual(
    p.lines.map((l) => l.username),
    ['anna', 'bruno', 'chloe'],
  );
  // Another admin creates "chloe" between the check and the transaction.
  const accounts = h.deps.accounts;
  const hash = accounts.hash.bind(accounts);
  let raced = false;
  accounts.hash = async (pw: string) => {
    if (!raced) {
      raced = true;
      await accounts.createUser({ username: 'chloe', password: 'chloe-password', role: 'user' });
    }
    return hash(pw);
  };
  const r = await h.req('POST', '/api/admin/users/import', { token: admin.token, body: { accounts: p.lines } });
  assert.deepEqual([r.status, await errorCode(r)], [409, 'username_taken']);
  assert.deepEqual(usernames(h).sort(), ['chloe', 'root1'], 'anna and bruno were rolled back');
  assert.equal(h.deps.groups.list().length, 0, 'the new group too');
  assert.equal(h.deps.audit.page({ limit: 50, action: 'users_import' }).entries.length, 0);
});

test('"generate 30 accounts" with a prefix; time to create them', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  await h.user('cm2b-03', 'user');
  const p = await preview(h, admin, { generate: { count: 30, prefix: 'CM2B' }, group: 'CM2 B' });
  assert.equal(p.ok, true);
  assert.equal(p.lines.length, 30);
  assert.equal(p.lines[0]!.username, 'cm2b-01');
  assert.ok(!p.lines.some((l) => l.username === 'cm2b-03'));
  assert.equal(p.lines[29]!.username, 'cm2b-31');
  const t0 = performance.now();
  const made = await create(h, admin, p);
  const ms = performance.now() - t0;
  t.diagnostic(`creating 30 accounts (bcrypt cost 10, passwords and cards) took ${Math.round(ms)} ms`);
  assert.equal(made.count, 30);
  assert.equal(new Set(made.accounts.map((a) => a.password)).size, 30);
  const bad = await h.req('POST', '/api/admin/users/import/preview', { token: admin.token, body: { generate: { count: 201, prefix: 'x' } } });
  assert.equal(bad.status, 400);
});

test('login cards: a session like a login; revoked by password reset, own password change, disable, delete, promotion, new cards', async (t) => {
  const clock = new ManualClock();
  const h = await makeApp({ clock });
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  const A = { token: admin.token };
  const made = await create(h, admin, await preview(h, admin, { text: 'Ana\nBen\nCléo\nDan\nEva\nFay\n' }));
  const secret = (name: string) => made.accounts.find((a) => a.username === name)!.cardSecret!;
  const refused = async (s: string, code: string) => {
    const r = await card(h, s);
    assert.deepEqual([r.status, await errorCode(r)], [401, code]);
    clock.advance(WINDOW); // each refusal counts as a guess; let the throttle forget it
  };

  const ok = await card(h, secret('ana'));
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('cache-control'), 'no-store');
  assert.match(ok.headers.get('set-cookie') ?? '', /hcd_session=.*HttpOnly.*SameSite=Strict/i);
  const session = await ok.json();
  assert.deepEqual(session.user, { username: 'ana', role: 'user' });
  assert.equal((await h.json(h.req('GET', '/api/auth/me', { token: session.token }))).user.username, 'ana');
  assert.equal((await card(h, secret('ana'))).status, 200, 'a card works again and again');
  assert.ok(h.deps.portal.remaining('local') > 0, 'the captive portal now lets this phone be online');
  await refused('A'.repeat(22), 'invalid_card');
  await refused('short', 'invalid_card');

  await h.req('PATCH', '/api/admin/users/ana', { ...A, body: { password: 'new-password-1' } });
  await refused(secret('ana'), 'card_revoked');
  await h.req('PATCH', '/api/admin/users/ben', { ...A, body: { disabled: true } });
  await refused(secret('ben'), 'card_revoked');
  await h.req('PATCH', '/api/admin/users/ben', { ...A, body: { disabled: false } });
  await refused(secret('ben'), 'card_revoked');
  await h.req('DELETE', '/api/admin/users/cleo', A);
  await refused(secret('cleo'), 'card_revoked');
  await h.req('PATCH', '/api/admin/users/dan', { ...A, body: { role: 'admin' } });
  await refused(secret('dan'), 'card_revoked');
  const eva = await h.json(card(h, secret('eva')));
  await h.req('POST', '/api/auth/password', { token: eva.token, body: { currentPassword: made.accounts[4]!.password, newPassword: 'eva-chose-this' } });
  await refused(secret('eva'), 'card_revoked');

  // New cards: a new secret and a new password; the old ones and the sessions stop working.
  const fay = made.accounts.find((a) => a.username === 'fay')!;
  const faySession = (await h.json(card(h, fay.cardSecret!))).token;
  const renewed = await h.req('POST', '/api/admin/users/bulk', { ...A, body: { action: 'new_cards', usernames: ['fay'] } });
  assert.equal(renewed.status, 200);
  const fresh = ((await renewed.json()) as CardsResponse).accounts[0]!;
  assert.notEqual(fresh.password, fay.password);
  await refused(fay.cardSecret!, 'card_revoked');
  assert.equal((await h.req('GET', '/api/auth/me', { token: faySession })).status, 401);
  assert.equal((await login(h, 'fay', fay.password)).status, 401);
  clock.advance(WINDOW);
  assert.equal((await login(h, 'fay', fresh.password)).status, 200);
  assert.equal((await card(h, fresh.cardSecret!)).status, 200);
  const refusals = h.deps.audit.page({ limit: 100, action: 'login_failed' }).entries.map((e) => e.detail as { reason: string; revoked?: string });
  assert.deepEqual(
    refusals.filter((d) => d.revoked).map((d) => d.revoked),
    ['replaced', 'password', 'promoted', 'deleted', 'disabled', 'disabled', 'password'],
  );
  const bad = await h.req('POST', '/api/admin/users/bulk', { ...A, body: { action: 'new_cards', usernames: ['root1'] } });
  assert.equal(bad.status, 400, 'no card for an administrator');
});

test('wrong card secrets are throttled like login guesses: 429 with Retry-After', async (t) => {
  const clock = new ManualClock();
  const h = await makeApp({ clock });
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  const made = await create(h, admin, await preview(h, admin, { text: 'Ana\n' }));
  for (let i = 0; i < 5; i++) assert.equal((await card(h, `${'x'.repeat(20)}${10 + i}`)).status, 401);
  const r = await card(h, made.accounts[0]!.cardSecret!);
  assert.equal(r.status, 429, 'even the right card waits');
  assert.equal(await errorCode(r), 'too_many_attempts');
  const retry = Number(r.headers.get('retry-after'));
  assert.ok(retry > 0 && retry <= 900);
  clock.advance(retry * 1000);
  assert.equal((await card(h, made.accounts[0]!.cardSecret!)).status, 200);
});

test('bulk actions on a group or a selection: one audit entry plus one per user; the last admin is protected', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  const A = { token: admin.token };
  const made = await create(h, admin, await preview(h, admin, { text: 'Ana\nBen\nCléo\n', group: 'CE2' }));
  const gid = h.deps.groups.list()[0]!.id;
  const bulk = (body: unknown) => h.req('POST', '/api/admin/users/bulk', { ...A, body });

  const d = await h.json(bulk({ action: 'disable', group: gid }));
  assert.deepEqual(d, { action: 'disable', group: { id: gid, name: 'CE2' }, count: 3, usernames: ['ana', 'ben', 'cleo'] });
  assert.equal((await login(h, 'ana', made.accounts[0]!.password)).status, 403);
  const entries = h.deps.audit.page({ limit: 100 }).entries;
  const summary = entries.filter((e) => e.action === 'users_bulk');
  assert.deepEqual([summary.length, summary[0]!.target, summary[0]!.detail], [1, 'group:CE2', { action: 'disable', count: 3, group: 'CE2' }]);
  assert.equal(entries.filter((e) => e.action === 'user_update').length, 3);

  await bulk({ action: 'enable', usernames: ['ana', 'ben'] });
  assert.equal((await login(h, 'ana', made.accounts[0]!.password)).status, 200);
  const role = await h.json(bulk({ action: 'set_role', usernames: ['ana'], role: 'advanced' }));
  assert.equal(role.count, 1);
  assert.equal(h.deps.accounts.users.byName('ana')!.role, 'advanced');
  assert.equal(await errorCode(await bulk({ action: 'set_role', usernames: ['ana'] })), 'invalid_role');
  assert.equal(await errorCode(await bulk({ action: 'disable' })), 'bad_request');
  assert.equal(await errorCode(await bulk({ action: 'disable', usernames: ['ana', 'ghost'] })), 'no_such_user');
  assert.equal(await errorCode(await bulk({ action: 'disable', group: 999 })), 'no_such_group');

  // The only active admin, in a selection: nothing happens to anybody.
  for (const body of [
    { action: 'disable', usernames: ['ben', 'root1'] },
    { action: 'delete', usernames: ['ben', 'root1'] },
    { action: 'set_role', usernames: ['ben', 'root1'], role: 'user' },
  ]) {
    const r = await bulk(body);
    assert.deepEqual([r.status, await errorCode(r)], [409, 'last_admin'], body.action);
  }
  assert.deepEqual([h.deps.accounts.users.byName('ben')!.disabled, h.deps.accounts.users.byName('ben')!.deleted_at], [0, null]);

  await h.put({ ...made.accounts[1]!, token: (await h.json(login(h, 'ben', made.accounts[1]!.password))).token } as TestUser, 'workspace/ben.txt', 'by ben');
  const del = await h.json(bulk({ action: 'delete', group: gid }));
  assert.equal(del.count, 3);
  assert.deepEqual(
    (await h.json(h.req('GET', '/api/admin/users', A))).users.map((u: { username: string }) => u.username),
    ['root1'],
  );
  assert.equal(await (await h.req('GET', '/api/fs/workspace/ben.txt', A)).text(), 'by ben', 'files stay');
  assert.equal(h.deps.audit.page({ limit: 100, action: 'user_delete' }).entries.length, 3);
  const again = await create(h, admin, await preview(h, admin, { text: 'Ana\n' }));
  assert.equal(again.accounts[0]!.username, 'ana-2', 'deleted names stay reserved');
});

test('the Wi-Fi on cards: read from hostapd.conf, escaped for the QR code; absent in development, with the reason', async (t) => {
  const absent = await makeApp({ env: { HCD_HOSTAPD_CONF: '/nonexistent/hostapd.conf', HCD_PORTAL_ADDRESS: '10.42.0.1', HCD_PORT: '80' } });
  t.after(absent.close);
  const a = await absent.user('root1', 'admin');
  const none = await absent.json(absent.req('GET', '/api/admin/cards/network', { token: a.token }));
  assert.equal(none.address, 'http://10.42.0.1');
  assert.equal(none.wifi, null);
  assert.match(none.wifiReason, /\/nonexistent\/hostapd\.conf does not exist/);

  const h = await makeApp({ env: { HCD_PORTAL_ADDRESS: '10.42.0.1', HCD_PORT: '80' } });
  t.after(h.close);
  const conf = path.join(h.dir, 'hostapd.conf');
  fs.writeFileSync(
    conf,
    `interface=wlan0\nssid2=${Buffer.from('Classe "B"; CM2', 'utf8').toString('hex')}\nutf8_ssid=1\nwpa=2\nwpa_passphrase=pomme;poire:"kiwi"\n`,
  );
  const w = await makeApp({ env: { HCD_HOSTAPD_CONF: conf, HCD_PORTAL_ADDRESS: '10.42.0.1', HCD_PORT: '80' } });
  t.after(w.close);
  const admin = await w.user('root1', 'admin');
  const net = await w.json(w.req('GET', '/api/admin/cards/network', { token: admin.token }));
  assert.deepEqual(net, {
    address: 'http://10.42.0.1',
    wifi: {
      ssid: 'Classe "B"; CM2',
      passphrase: 'pomme;poire:"kiwi"',
      security: 'WPA',
      qr: 'WIFI:T:WPA;S:Classe \\"B\\"\\; CM2;P:pomme\\;poire\\:\\"kiwi\\";;',
    },
    wifiReason: null,
  });
  const made = await create(w, admin, await preview(w, admin, { text: 'Ana\n' }));
  assert.deepEqual(made.network, net);
  assert.equal(made.accounts[0]!.cardUrl, `http://10.42.0.1/#card=${made.accounts[0]!.cardSecret}`);
});
