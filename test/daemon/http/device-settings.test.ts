// The device settings API (issue 17 item 2): admins only; the daemon relays to the root helper, whose
// verbs run here behind a real Unix socket as systemd would hand them a connection, with stand-ins for
// systemd-run and systemctl that record what would have been started.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorCode, makeApp } from '../../helpers/app.js';
import { standInHelper } from '../../helpers/root-helper.js';
import { SettingsState } from '../../../provisioning/settings.js';
import type { DeviceSettingsApplied, DeviceSettingsResponse } from '../../../daemon/src/api-types.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-device-settings-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const base = { hostname: 'homedrive', timezone: 'Europe/Paris', wifi: { country: 'FR', ssid: 'HomeDrive', passphrase: 'classe-de-cm2' } };

test('device settings: admins only; the values, a refused value in words, a change applied then confirmed, all audited without the passphrase', async (t) => {
  const helper = await standInHelper(dir, base);
  const { env, recorded } = helper;
  const h = await makeApp({ env: { HCD_HELPER_SOCKET: helper.socket } });
  t.after(async () => (helper.close(), await h.close()));
  const admin = await h.user('prof', 'admin');
  for (const role of ['user', 'advanced'] as const) {
    const u = await h.user(`u-${role}`, role);
    assert.equal((await h.req('GET', '/api/admin/device/settings', { token: u.token })).status, 403);
    assert.equal((await h.req('PUT', '/api/admin/device/settings', { token: u.token, body: { wifi: { ssid: 'Pirate' } } })).status, 403);
    assert.equal((await h.req('POST', '/api/admin/device/settings/confirm', { token: u.token })).status, 403);
  }
  assert.equal((await h.req('GET', '/api/admin/device/settings')).status, 401);
  assert.deepEqual(recorded(), [], 'nothing reached the helper for them');

  const got = (await h.json(h.req('GET', '/api/admin/device/settings', { token: admin.token }))) as DeviceSettingsResponse;
  assert.equal(got.current.wifi.ssid, 'HomeDrive');
  assert.equal(got.current.wifi.passphrase, 'classe-de-cm2');
  assert.equal(got.pending, null);

  for (const [body, words] of [
    [{ wifi: { ssid: 'x'.repeat(33) } }, /wifi\.ssid: must be at most 32 bytes/],
    [{ wifi: { passphrase: 'seven77' } }, /wifi\.passphrase: a WPA2 passphrase must have 8 to 63 characters/],
    [{ wifi: { passphrase: 'p'.repeat(64) } }, /8 to 63 characters/],
    [{ wifi: { country: 'ZZ' } }, /wifi\.country: must be an ISO 3166-1 two-letter country code/],
    [{ hostname: 'Salle 12!' }, /hostname: must be 1-63 lowercase letters/],
    [{ wifi: { ssid: 'ok' }, revertAfterSeconds: 5 }, /revertAfterSeconds/],
    [{ network: { address: '8.8.8.8' } }, /network/],
  ] as const) {
    const r = await h.req('PUT', '/api/admin/device/settings', { token: admin.token, body });
    assert.equal(r.status, 400, JSON.stringify(body));
    const e = (await r.json()) as { error: { code: string; message: string } };
    assert.equal(e.error.code, 'invalid_settings');
    assert.match(e.error.message, words);
  }
  assert.deepEqual(recorded(), [], 'a refused value starts nothing');

  const put = await h.req('PUT', '/api/admin/device/settings', { token: admin.token, body: { wifi: { ssid: 'CM2 Bleu', passphrase: 'nouveau-secret' } } });
  assert.equal(put.status, 202);
  const applied = (await put.json()) as DeviceSettingsApplied;
  assert.deepEqual(applied.changed, ['wifi.ssid', 'wifi.passphrase']);
  assert.equal(applied.pending?.secondsLeft, 120);
  assert.equal(applied.pending?.previous.ssid, 'HomeDrive');
  assert.equal(applied.pending?.by, 'prof');
  const run = recorded();
  assert.equal(run.length, 3, run.join('\n'));
  assert.match(run[1]!, /--on-active=120s .* revert$/);
  assert.match(run[2]!, /--no-block .* apply$/);
  // Too early to confirm; no second change while it is applied.
  const early = await h.req('POST', '/api/admin/device/settings/confirm', { token: admin.token });
  assert.equal(early.status, 409);
  assert.equal(await errorCode(early), 'settings_not_applied');
  const busy = await h.req('PUT', '/api/admin/device/settings', { token: admin.token, body: { timezone: 'UTC' } });
  assert.equal(busy.status, 409);
  assert.equal(await errorCode(busy), 'settings_busy');

  // The apply program has done its work (it runs over a real root in rootfs.root.test.ts and on the image).
  const state = new SettingsState(env.settingsDir);
  const pending = (await state.readPending())!;
  await state.writePending({ ...pending, state: 'applied' });
  const waiting = (await h.json(h.req('GET', '/api/admin/device/settings', { token: admin.token }))) as DeviceSettingsResponse;
  assert.equal(waiting.pending?.state, 'applied');
  assert.deepEqual(waiting.pending?.changed, ['wifi.ssid', 'wifi.passphrase']);

  const confirm = await h.req('POST', '/api/admin/device/settings/confirm', { token: admin.token });
  assert.equal(confirm.status, 200);
  assert.deepEqual(await confirm.json(), { confirmed: true, changed: ['wifi.ssid', 'wifi.passphrase'] });
  assert.deepEqual(recorded(), ['systemctl stop homedrive-settings-revert-*.timer']);
  const again = await h.req('POST', '/api/admin/device/settings/confirm', { token: admin.token });
  assert.equal(again.status, 409);
  assert.equal(await errorCode(again), 'nothing_to_confirm');
  const after = (await h.json(h.req('GET', '/api/admin/device/settings', { token: admin.token }))) as DeviceSettingsResponse;
  assert.equal(after.pending, null);
  assert.equal(after.last?.outcome, 'confirmed');

  // Nothing changed: 200, nothing started, nothing audited.
  const same = await h.req('PUT', '/api/admin/device/settings', { token: admin.token, body: { wifi: { ssid: 'HomeDrive' } } });
  assert.equal(same.status, 200);
  assert.deepEqual(recorded(), []);

  const audit = (await h.json(h.req('GET', '/api/admin/audit', { token: admin.token }))) as { entries: { action: string; actor: string; detail: unknown }[] };
  const mine = audit.entries.filter((e) => e.action.startsWith('device_settings'));
  assert.deepEqual(
    mine.map((e) => [e.action, e.actor, (e.detail as { changed: string[] }).changed]),
    [
      ['device_settings_confirm', 'prof', ['wifi.ssid', 'wifi.passphrase']],
      ['device_settings', 'prof', ['wifi.ssid', 'wifi.passphrase']],
    ],
  );
  assert.doesNotMatch(JSON.stringify(audit), /nouveau-secret/);
});

test('device settings without a root helper (a development machine): 503 in words', async (t) => {
  const h = await makeApp({ env: { HCD_HELPER_SOCKET: path.join(dir, 'absent.sock') } });
  t.after(() => h.close());
  const admin = await h.user('prof', 'admin');
  const r = await h.req('GET', '/api/admin/device/settings', { token: admin.token });
  assert.equal(r.status, 503);
  const e = (await r.json()) as { error: { code: string; message: string } };
  assert.equal(e.error.code, 'helper_unavailable');
  assert.match(e.error.message, /no root helper at .*absent\.sock \(ENOENT\)/);
});
