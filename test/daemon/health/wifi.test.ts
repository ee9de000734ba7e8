// Phones on the Wi-Fi through the root helper: the daemon's client against a stand-in helper on a real
// Unix socket (one JSON line each way), the radio's ceiling, the reasons when it cannot know, the cache.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RootHelper } from '../../../daemon/src/services/root-helper.js';
import { WifiReader, wifiClients } from '../../../daemon/src/health/wifi.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-wifi-'));
const sock = path.join(dir, 'helper.sock');
let answer: unknown = null;
const requests: unknown[] = [];
let server: net.Server;

before(async () => {
  server = net.createServer((c) => {
    let got = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      got += d;
      if (!got.includes('\n')) return;
      requests.push(JSON.parse(got.split('\n')[0]!));
      c.end(`${JSON.stringify(answer)}\n`);
    });
  });
  await new Promise<void>((r) => server.listen(sock, r));
});
after(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the ceiling follows the radio: internal minimal 19, standard 8, a USB adapter unknown', () => {
  assert.deepEqual(wifiClients({ interface: 'wlan0', firmware: 'minimal', count: 12 }), {
    interface: 'wlan0',
    connected: 12,
    ceiling: 19,
    radio: 'internal_minimal',
  });
  assert.deepEqual(wifiClients({ interface: 'wlan0', firmware: 'standard', count: 3 }), {
    interface: 'wlan0',
    connected: 3,
    ceiling: 8,
    radio: 'internal_standard',
  });
  assert.deepEqual(wifiClients({ interface: 'wlan1', firmware: 'minimal', count: 30 }), {
    interface: 'wlan1',
    connected: 30,
    ceiling: null,
    radio: 'usb_adapter',
  });
});

test('a reading from the helper, asked once per 15 s however often the dashboard asks', async () => {
  answer = { ok: true, result: { interface: 'wlan0', firmware: 'minimal', count: 17, stations: [] } };
  requests.length = 0;
  let now = 1_000_000;
  const reader = new WifiReader(new RootHelper(sock), () => now);
  assert.deepEqual(await reader.read(), { value: { interface: 'wlan0', connected: 17, ceiling: 19, radio: 'internal_minimal' } });
  now += 10_000;
  assert.equal((await reader.read()).value?.connected, 17);
  assert.equal(requests.length, 1, 'cached');
  assert.deepEqual(requests[0], { verb: 'stations', args: {} });
  answer = { ok: true, result: { interface: 'wlan0', firmware: 'minimal', count: 18, stations: [] } };
  now += 6_000;
  assert.equal((await reader.read()).value?.connected, 18);
  assert.equal(requests.length, 2);
});

test('unknown, with the reason as a code: the access point down, no helper, a helper error', async () => {
  answer = { ok: false, error: { code: 'ap_down', message: 'hostapd does not answer on wlan0: Failed to connect to hostapd' } };
  const down = await new WifiReader(new RootHelper(sock), () => 0).read();
  assert.equal(down.value, null);
  assert.equal(down.reasonCode?.code, 'ap_down');
  assert.match(down.reason!, /the access point does not answer: hostapd does not answer on wlan0/);

  const missing = path.join(dir, 'nobody.sock');
  const none = await new WifiReader(new RootHelper(missing), () => 0).read();
  assert.equal(none.reasonCode?.code, 'no_helper');
  assert.equal(none.reason, `no root helper at ${missing} (not provisioned, or a development machine)`);

  answer = { ok: false, error: { code: 'bad_request', message: 'unknown verb' } };
  const failed = await new WifiReader(new RootHelper(sock), () => 0).read();
  assert.equal(failed.reasonCode?.code, 'helper_failed');
});

test('a helper that never answers is given up after the timeout', async () => {
  const silent = net.createServer(() => {});
  const p = path.join(dir, 'silent.sock');
  await new Promise<void>((r) => silent.listen(p, r));
  try {
    const t0 = Date.now();
    const r = await new WifiReader(new RootHelper(p, 300), () => 0).read();
    assert.equal(r.reasonCode?.code, 'no_helper');
    assert.ok(Date.now() - t0 < 3000);
  } finally {
    silent.close();
  }
});
