// The root helper: hostapd_cli's station list parsed, requests validated, and the program itself run
// the way systemd runs it (systemd-socket-activate --accept --inetd: the connection on stdin/stdout),
// asked over a Unix socket as the daemon asks it, with a stand-in hostapd_cli.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseAllSta } from '../../provisioning/helper/hostapd.js';
import { handle, helperEnv, MAX_REQUEST_BYTES, type HelperEnv } from '../../provisioning/helper/verbs.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-helper-'));

// Two phones as hostapd 2.10 prints them (fields trimmed to a realistic subset).
const ALL_STA = `02:00:00:00:01:00
flags=[AUTH][ASSOC][AUTHORIZED][WMM][HT]
aid=1
capability=0x0
listen_interval=5
supported_rates=82 84 8b 96 0c 12 18 24 30 48 60 6c
timeout_next=NULLFUNC POLL
dot11RSNAStatsSTAAddress=02:00:00:00:01:00
rx_packets=1532
tx_packets=1220
rx_bytes=204811
tx_bytes=9314452
inactive_msec=120
signal=-47
rx_rate_info=650 vhtmcs 7 vhtnss 2
tx_rate_info=780 vhtmcs 8 vhtnss 2
ht_mcs_bitmask=ffff0000000000000000
connected_time=312
02:00:00:00:02:00
flags=[AUTH][ASSOC][WMM]
aid=2
rx_bytes=1200
tx_bytes=800
signal=-71
connected_time=3
`;

test('parses every station, keeps no MAC address, and reads the handshake flag', () => {
  const s = parseAllSta(ALL_STA);
  assert.equal(s.length, 2);
  assert.deepEqual(s[0], { connectedSeconds: 312, signal: -47, rxBytes: 204811, txBytes: 9314452, authorized: true });
  assert.deepEqual(s[1], { connectedSeconds: 3, signal: -71, rxBytes: 1200, txBytes: 800, authorized: false });
  assert.doesNotMatch(JSON.stringify(s), /02:00:00/);
  assert.deepEqual(parseAllSta(''), []);
  // A field missing or garbled is null, never NaN.
  assert.deepEqual(parseAllSta('aa:bb:cc:dd:ee:ff\nsignal=strong\n'), [
    { connectedSeconds: null, signal: null, rxBytes: null, txBytes: null, authorized: false },
  ]);
});

function fakeCli(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(file, 0o755);
  return file;
}

const config = path.join(dir, 'provisioning.json');
let env: HelperEnv;
before(() => {
  fs.writeFileSync(config, JSON.stringify({ wifi: { country: 'FR', interface: 'wlan1', firmware: 'standard' } }));
  // Records its arguments, then prints the two stations.
  const cli = fakeCli('hostapd_cli', `echo "$@" > ${dir}/args\ncat <<'EOF'\n${ALL_STA}EOF`);
  env = { ...helperEnv({}), hostapdCli: cli, configFile: config, settingsDir: path.join(dir, 'settings') };
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('stations: the interface and firmware from the provisioning configuration, hostapd_cli asked with an argument array', async () => {
  const { verb, answer } = await handle('{"verb":"stations"}', env);
  assert.equal(verb, 'stations');
  assert.ok(answer.ok, JSON.stringify(answer));
  const r = answer.result as { interface: string; firmware: string; count: number };
  assert.equal(r.interface, 'wlan1');
  assert.equal(r.firmware, 'standard');
  assert.equal(r.count, 2);
  assert.equal(fs.readFileSync(path.join(dir, 'args'), 'utf8').trim(), '-p /run/hostapd -i wlan1 all_sta');
});

test('stations without hostapd: ap_down, in words', async () => {
  const down = fakeCli('hostapd_cli_down', `echo "Failed to connect to hostapd - wpa_ctrl_open: No such file or directory"\nexit 255`);
  const { answer } = await handle('{"verb":"stations","args":{}}', { ...env, hostapdCli: down });
  assert.deepEqual(answer.ok, false);
  assert.equal(!answer.ok && answer.error.code, 'ap_down');
  assert.match(!answer.ok ? answer.error.message : '', /hostapd does not answer on wlan1: Failed to connect/);
});

test('bad requests are refused before anything runs: not JSON, an unknown verb, unknown keys, arguments a verb does not take', async () => {
  fs.rmSync(path.join(dir, 'args'), { force: true });
  for (const line of [
    'not json',
    '{"verb":"reboot"}',
    '{"verb":"stations","sudo":true}',
    '{"verb":"stations","args":{"interface":"wlan0; rm -rf /"}}',
    '[]',
    '{}',
  ]) {
    const { answer } = await handle(line, env);
    assert.equal(answer.ok, false, line);
    assert.equal(!answer.ok && answer.error.code, 'bad_request', line);
  }
  assert.equal(fs.existsSync(path.join(dir, 'args')), false, 'hostapd_cli never ran');
});

// ---- the program under socket activation, as homedrive-helper.socket (Accept=yes) runs it ----

let activator: ChildProcess | null = null;
const sock = path.join(dir, 'helper.sock');
after(() => activator?.kill());

async function ask(payload: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    let out = '';
    c.on('data', (d) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
    c.end(payload);
  });
}

test('the program behind a real accept socket: one answer a connection, the journal line on stderr', async () => {
  let log = '';
  activator = spawn(
    'systemd-socket-activate',
    [
      '--accept',
      '--inetd',
      '-l',
      sock,
      `--setenv=HCD_HELPER_HOSTAPD_CLI=${env.hostapdCli}`,
      `--setenv=HCD_HELPER_CONFIG=${config}`,
      process.execPath,
      '--import',
      'tsx',
      path.join(ROOT, 'provisioning/helper/main.ts'),
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  activator.stderr!.on('data', (d) => (log += d));
  const deadline = Date.now() + 10_000;
  while (!fs.existsSync(sock) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

  const one = JSON.parse(await ask('{"verb":"stations"}\n'));
  assert.equal(one.ok, true, JSON.stringify(one));
  assert.equal(one.result.count, 2);
  const bad = JSON.parse(await ask('{"verb":"format_disk","args":{"path":"/dev/mmcblk0"}}\n'));
  assert.equal(bad.ok, false);
  assert.equal(bad.error.code, 'bad_request');
  // A line longer than the limit is refused without being read to its end.
  const huge = JSON.parse(await ask(Buffer.alloc(MAX_REQUEST_BYTES + 10, 'a')));
  assert.equal(huge.error.code, 'too_large');
  assert.match(log, /hcd-helper: verb=stations ok/);
  assert.match(log, /hcd-helper: verb=\? error=bad_request/);
});
