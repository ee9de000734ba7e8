// Accounts over HTTP: login, cookies and tokens, revocation, throttling, cross-site refusal, rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorCode, makeApp, ManualClock } from '../../helpers/app.js';

test('login returns a token and an HttpOnly SameSite=Strict cookie; both authenticate', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  await h.user('alice', 'advanced', 'alice-password');
  const res = await h.req('POST', '/api/auth/login', { body: { username: 'alice', password: 'alice-password' } });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(typeof body.token, 'string');
  assert.deepEqual(body.user, { username: 'alice', role: 'advanced' });
  const cookie = res.headers.get('set-cookie')!;
  assert.match(cookie, /hcd_session=/);
  assert.match(cookie, /HttpOnly/i);
  assert.match(cookie, /SameSite=Strict/i);
  const me1 = await h.json(h.req('GET', '/api/auth/me', { token: body.token }));
  assert.equal(me1.user.username, 'alice');
  const me2 = await h.req('GET', '/api/auth/me', { cookie: cookie.split(';')[0] });
  assert.equal(me2.status, 200);
  // Usernames are case-insensitive at login.
  assert.equal((await h.req('POST', '/api/auth/login', { body: { username: 'Alice', password: 'alice-password' } })).status, 200);
});

test('wrong credentials are 401 with the error shape; unknown user too; missing fields 400', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  await h.user('bob', 'user', 'bob-password');
  const r1 = await h.req('POST', '/api/auth/login', { body: { username: 'bob', password: 'nope-nope' } });
  assert.equal(r1.status, 401);
  assert.equal(await errorCode(r1), 'invalid_credentials');
  const r2 = await h.req('POST', '/api/auth/login', { body: { username: 'ghost', password: 'whatever1' } });
  assert.equal(r2.status, 401);
  const r3 = await h.req('POST', '/api/auth/login', { body: { username: 'bob' } });
  assert.equal(r3.status, 400);
  const r4 = await h.req('POST', '/api/auth/login', { body: '{not json', headers: { 'content-type': 'application/json' } });
  assert.equal(r4.status, 400);
  assert.equal(await errorCode(r4), 'invalid_json');
  assert.equal((await h.req('GET', '/api/auth/me')).status, 401);
  assert.equal((await h.req('GET', '/api/auth/me', { token: 'garbage' })).status, 401);
  assert.equal((await h.req('GET', '/api/fs/workspace/')).status, 401);
});

test('repeated failures are throttled with 429 and Retry-After, even for the right password', async (t) => {
  const clock = new ManualClock();
  const h = await makeApp({ clock });
  t.after(h.close);
  await h.user('carol', 'user', 'carol-password');
  for (let i = 0; i < 5; i++) {
    assert.equal((await h.req('POST', '/api/auth/login', { body: { username: 'carol', password: `wrong-${i}-xx` } })).status, 401);
  }
  const r = await h.req('POST', '/api/auth/login', { body: { username: 'carol', password: 'carol-password' } });
  assert.equal(r.status, 429);
  assert.equal(await errorCode(r), 'too_many_attempts');
  const retry = Number(r.headers.get('retry-after'));
  assert.ok(retry > 0 && retry <= 900, `Retry-After ${retry}`);
  clock.advance(retry * 1000);
  assert.equal((await h.req('POST', '/api/auth/login', { body: { username: 'carol', password: 'carol-password' } })).status, 200);
  const audit = h.deps.audit.page({ limit: 50, action: 'login_failed' });
  assert.equal(audit.entries.length, 5);
});

test('a token stops working on logout, password change, disable and delete', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  const d = await h.user('dave', 'advanced', 'dave-password');
  const second = (await h.json(h.req('POST', '/api/auth/login', { body: { username: 'dave', password: 'dave-password' } }))).token;

  // Logout ends that session only.
  assert.equal((await h.req('POST', '/api/auth/logout', { token: second })).status, 200);
  assert.equal((await h.req('GET', '/api/auth/me', { token: second })).status, 401);
  assert.equal((await h.req('GET', '/api/auth/me', { token: d.token })).status, 200);

  // Password change: every other session ends, the caller gets a new token.
  const other = (await h.json(h.req('POST', '/api/auth/login', { body: { username: 'dave', password: 'dave-password' } }))).token;
  const wrong = await h.req('POST', '/api/auth/password', { token: d.token, body: { currentPassword: 'nope-nope', newPassword: 'dave-new-pass' } });
  assert.equal(wrong.status, 403);
  const weak = await h.req('POST', '/api/auth/password', { token: d.token, body: { currentPassword: 'dave-password', newPassword: 'short' } });
  assert.equal(weak.status, 400);
  assert.equal(await errorCode(weak), 'invalid_password');
  const ch = await h.req('POST', '/api/auth/password', { token: d.token, body: { currentPassword: 'dave-password', newPassword: 'dave-new-pass' } });
  assert.equal(ch.status, 200);
  const fresh = (await ch.json()).token;
  assert.equal((await h.req('GET', '/api/auth/me', { token: other })).status, 401);
  assert.equal((await h.req('GET', '/api/auth/me', { token: d.token })).status, 401);
  assert.equal((await h.req('GET', '/api/auth/me', { token: fresh })).status, 200);
  assert.equal((await h.req('POST', '/api/auth/login', { body: { username: 'dave', password: 'dave-password' } })).status, 401);

  // Disabled: the token dies and login is refused; re-enabled: login works again.
  assert.equal((await h.req('PATCH', '/api/admin/users/dave', { token: admin.token, body: { disabled: true } })).status, 200);
  assert.equal((await h.req('GET', '/api/auth/me', { token: fresh })).status, 401);
  // With the right password the account is told it is disabled (403), never "wrong password", and
  // is not counted as a guesser: ten tries in a row are never throttled.
  for (let i = 0; i < 10; i++) {
    const refused = await h.req('POST', '/api/auth/login', { body: { username: 'dave', password: 'dave-new-pass' } });
    assert.equal(refused.status, 403);
    assert.equal(await errorCode(refused), 'account_disabled');
  }
  // A wrong password for a disabled account stays a plain 401: its state is nobody else's business.
  assert.equal((await h.req('POST', '/api/auth/login', { body: { username: 'dave', password: 'not-daves-pw' } })).status, 401);
  await h.req('PATCH', '/api/admin/users/dave', { token: admin.token, body: { disabled: false } });
  const again = (await h.json(h.req('POST', '/api/auth/login', { body: { username: 'dave', password: 'dave-new-pass' } }))).token;

  // Deleted: the token dies.
  assert.equal((await h.req('DELETE', '/api/admin/users/dave', { token: admin.token })).status, 200);
  assert.equal((await h.req('GET', '/api/auth/me', { token: again })).status, 401);

  // Admin reset of a password ends the user's sessions too.
  const e = await h.user('erin', 'user');
  assert.equal((await h.req('PATCH', '/api/admin/users/erin', { token: admin.token, body: { password: 'erin-reset-pw' } })).status, 200);
  assert.equal((await h.req('GET', '/api/auth/me', { token: e.token })).status, 401);
});

test('cookie-authenticated writes from another site are refused; same-origin and Bearer pass', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  await h.user('fay', 'advanced', 'fay-password');
  const login = await h.req('POST', '/api/auth/login', { body: { username: 'fay', password: 'fay-password' } });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const token = (await login.json()).token;
  const put = (headers: Record<string, string>, auth: { cookie?: string; token?: string }) =>
    h.req('PUT', `/api/fs/workspace/f-${Math.random()}.txt`, { ...auth, body: 'x', headers });

  const evil = await put({ origin: 'http://evil.example' }, { cookie });
  assert.equal(evil.status, 403);
  assert.equal(await errorCode(evil), 'cross_site_request');
  assert.equal((await put({ 'sec-fetch-site': 'cross-site' }, { cookie })).status, 403);
  assert.equal((await put({ origin: 'null' }, { cookie })).status, 403);
  assert.equal((await put({ origin: 'http://localhost', 'sec-fetch-site': 'same-origin' }, { cookie })).status, 201);
  assert.equal((await put({}, { cookie })).status, 201, 'non-browser clients send neither header');
  assert.equal((await put({ origin: 'http://evil.example' }, { token })).status, 201, 'a Bearer token cannot be sent cross-site');
  // Login itself is protected against login CSRF.
  assert.equal(
    (await h.req('POST', '/api/auth/login', { body: { username: 'fay', password: 'fay-password' }, headers: { origin: 'http://evil.example' } })).status,
    403,
  );
});

test('username and password rules give clear errors', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  const create = (body: unknown) => h.req('POST', '/api/admin/users', { token: admin.token, body });
  for (const [body, code] of [
    [{ username: 'a', password: 'long-enough' }, 'invalid_username'],
    [{ username: 'has space', password: 'long-enough' }, 'invalid_username'],
    [{ username: '../etc', password: 'long-enough' }, 'invalid_username'],
    [{ username: 'x'.repeat(33), password: 'long-enough' }, 'invalid_username'],
    [{ username: 'gina', password: 'short' }, 'invalid_password'],
    [{ username: 'gina', password: 'gina' + 'x'.repeat(0) }, 'invalid_password'],
    [{ username: 'gina', password: 'GINA' }, 'invalid_password'],
    [{ username: 'gina', password: 'é'.repeat(40) }, 'invalid_password'],
    [{ username: 'gina', password: 'long-enough', role: 'superuser' }, 'invalid_role'],
    [{ username: 'gina', password: 'long-enough', quotaBytes: -1 }, 'invalid_quota'],
  ] as const) {
    const r = await create(body);
    assert.equal(r.status, 400, JSON.stringify(body));
    const err = (await r.json()).error;
    assert.equal(err.code, code, JSON.stringify(body));
    assert.ok(err.message.length > 10);
  }
  assert.equal((await create({ username: 'Gina', password: 'long-enough' })).status, 201);
  const dup = await create({ username: 'gina', password: 'long-enough' });
  assert.equal(dup.status, 409);
  assert.equal(await errorCode(dup), 'username_taken');
});

test('the event loop stays free while logins hash: a cheap request sent after 8 logins answers long before the last login', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const users = await Promise.all(Array.from({ length: 8 }, (_, i) => h.user(`pupil${i}`, 'user', `pupil-${i}-password`)));
  const observer = users[0]!;
  const t0 = performance.now();
  let lastLogin = 0;
  const logins = users.map(async (u) => {
    const res = await h.req('POST', '/api/auth/login', { body: { username: u.username, password: u.password } });
    assert.equal(res.status, 200);
    lastLogin = Math.max(lastLogin, performance.now() - t0);
  });
  // A timer, then a cheap request: on the event loop, bcrypt would hold both until the hashes are done.
  await new Promise((r) => setTimeout(r, 0));
  const me = await h.req('GET', '/api/auth/me', { token: observer.token });
  assert.equal(me.status, 200);
  const cheap = performance.now() - t0;
  await Promise.all(logins);
  // Compared with the logins measured here, not with a fixed time: eight hashes take several hash
  // times however fast the machine, the cheap request a small fraction of one.
  assert.ok(cheap < lastLogin / 2, `the cheap request took ${cheap.toFixed(0)} ms, the last login ${lastLogin.toFixed(0)} ms`);
});
