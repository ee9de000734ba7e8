// The device API: an admin restarts or powers off with a warning to everyone first (the public notice), or calls it off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorCode, makeApp } from '../../helpers/app.js';
import type { CommandResult } from '../../../daemon/src/health/commands.js';

async function deviceApp(result: CommandResult = { ok: true, code: 0, output: '' }) {
  const ran: string[] = [];
  const h = await makeApp({
    env: { HCD_SHUTDOWN_WARNING_SECONDS: '45' },
    deps: () => ({ health: { vcgencmd: null, run: async (cmd: string) => (ran.push(cmd), result) } }),
  });
  return { h, ran };
}

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

test('device power: admins only; a restart warns everyone through /api/notice, then runs the restart command', async (t) => {
  const { h, ran } = await deviceApp();
  t.after(async () => (h.deps.health.guard.cancel(), h.close()));
  const admin = await h.user('root1', 'admin');
  for (const role of ['user', 'advanced'] as const) {
    const u = await h.user(`u-${role}`, role);
    assert.equal((await h.req('GET', '/api/admin/device', { token: u.token })).status, 403);
    assert.equal((await h.req('POST', '/api/admin/device/power', { token: u.token, body: { action: 'poweroff' } })).status, 403);
    assert.equal((await h.req('DELETE', '/api/admin/device/power', { token: u.token })).status, 403);
  }
  assert.equal((await h.req('POST', '/api/admin/device/power', { body: { action: 'poweroff' } })).status, 401);
  for (const body of [{}, { action: 'halt' }, { action: 'reboot', inSeconds: -1 }, { action: 'reboot', inSeconds: 99999 }]) {
    const r = await h.req('POST', '/api/admin/device/power', { token: admin.token, body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(await errorCode(r), 'bad_request');
  }
  assert.deepEqual(await h.json(h.req('GET', '/api/notice')), { notice: null });

  // The default warning is HCD_SHUTDOWN_WARNING_SECONDS; everyone sees it, nothing runs before it.
  const planned = await h.req('POST', '/api/admin/device/power', { token: admin.token, body: { action: 'poweroff' } });
  assert.equal(planned.status, 202);
  const { notice } = (await planned.json()) as { notice: { code: string; at: string; shutdownAt: string } };
  assert.equal(notice.code, 'admin_poweroff');
  assert.equal(Date.parse(notice.shutdownAt) - Date.parse(notice.at), 45_000);
  assert.equal(((await h.json(h.req('GET', '/api/notice'))) as { notice: { code: string } }).notice.code, 'admin_poweroff', 'public: no login needed');
  // Called off: the notice goes, nothing runs.
  assert.deepEqual(await h.json(h.req('DELETE', '/api/admin/device/power', { token: admin.token })), { cancelled: true });
  assert.deepEqual(await h.json(h.req('GET', '/api/notice')), { notice: null });
  assert.deepEqual(await h.json(h.req('DELETE', '/api/admin/device/power', { token: admin.token })), { cancelled: false });

  const now = await h.req('POST', '/api/admin/device/power', { token: admin.token, body: { action: 'reboot', inSeconds: 0 } });
  assert.equal(now.status, 202);
  await tick();
  assert.deepEqual(ran, ['systemctl reboot'], 'only the restart ran, once');
  const audit = (await h.json(h.req('GET', '/api/admin/audit?action=shutdown', { token: admin.token }))) as {
    entries: { actor: string; detail: Record<string, unknown> }[];
  };
  assert.deepEqual(
    audit.entries.map((e) => [e.actor, e.detail.action, e.detail.reason ?? null]),
    [
      ['root1', 'reboot', 'admin'],
      ['root1', 'reboot', null],
      ['root1', 'cancel', null],
      ['root1', 'poweroff', null],
    ],
  );
});

test('device power: a failing command clears the notice and says why', async (t) => {
  const { h, ran } = await deviceApp({ ok: false, code: 1, output: 'Access denied' });
  t.after(() => h.close());
  const admin = await h.user('root1', 'admin');
  assert.equal((await h.req('POST', '/api/admin/device/power', { token: admin.token, body: { action: 'poweroff', inSeconds: 0 } })).status, 202);
  await tick();
  assert.deepEqual(ran, ['systemctl poweroff']);
  assert.deepEqual(await h.json(h.req('GET', '/api/admin/device', { token: admin.token })), {
    notice: null,
    powerFailure: 'systemctl poweroff: Access denied',
  });
});
