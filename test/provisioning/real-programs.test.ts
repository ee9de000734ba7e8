// The generated files checked by the real programs: dnsmasq --test, hostapd's parser, systemd-escape, update-alternatives.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { escapeUnitPath } from '../../provisioning/lib/systemd.js';
import { Target } from '../../provisioning/lib/target.js';
import { FIRMWARE_ALTERNATIVE, step as firmwareStep } from '../../provisioning/steps/25-firmware.js';
import { renderDnsmasqConf } from '../../provisioning/templates/dnsmasq-conf.js';
import { renderHostapdConf } from '../../provisioning/templates/hostapd-conf.js';
import { requireCommand, requireRoot, sampleConfig } from './helpers/fixtures.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hcd-prov-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function run(command: string, args: string[]): { status: number; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

test('dnsmasq --test accepts the generated configuration, and rejects a broken one', (t) => {
  requireCommand('dnsmasq', 'dnsmasq-base');
  const dir = tempDir(t);
  for (const config of [
    sampleConfig(),
    sampleConfig({
      wifi: { interface: 'wlan1' },
      network: { address: '192.168.9.1', prefixLength: 25, dhcpStart: '192.168.9.2', dhcpEnd: '192.168.9.126', leaseTime: '1d' },
    }),
  ]) {
    const file = path.join(dir, 'homedrive.conf');
    writeFileSync(file, renderDnsmasqConf(config));
    const result = run('dnsmasq', ['--test', '-C', file]);
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /syntax check OK/);
  }
  // The check has teeth: a line dnsmasq does not know fails it.
  writeFileSync(path.join(dir, 'bad.conf'), `${renderDnsmasqConf(sampleConfig())}dhcp-rnage=1\n`);
  assert.notEqual(run('dnsmasq', ['--test', '-C', path.join(dir, 'bad.conf')]).status, 0);
});

/**
 * hostapd has no "check only" flag. It parses the whole file (hostapd_config_read, then
 * hostapd_config_check) before touching the driver, and prints "N errors found in configuration
 * file" when parsing fails. With an interface that does not exist, a valid file therefore gets
 * past parsing and fails later at driver/interface set-up: that is the pass condition.
 */
function hostapdParse(dir: string, text: string): { parsedOk: boolean; output: string } {
  const file = path.join(dir, 'hostapd.conf');
  writeFileSync(file, text, { mode: 0o600 });
  const result = run('hostapd', [file]);
  assert.notEqual(result.status, 0, 'hostapd cannot succeed without a radio');
  return { parsedOk: !/errors? found in configuration file|Failed to set up interface with/.test(result.output), output: result.output };
}

test("hostapd's own parser accepts every band, security and interface variant", (t) => {
  requireRoot();
  requireCommand('hostapd', 'hostapd');
  const dir = tempDir(t);
  const variants = [
    sampleConfig({ wifi: { interface: 'hcdnone0' } }),
    sampleConfig({ wifi: { interface: 'hcdnone0', passphrase: null } }),
    sampleConfig({ wifi: { interface: 'hcdnone0', band: '5GHz', channel: 44, ssid: 'École 5 GHz ✓' } }),
    sampleConfig({ wifi: { interface: 'hcdnone0', band: '5GHz', channel: 48, country: 'DE', isolateClients: false } }),
    sampleConfig({ wifi: { interface: 'hcdnone0', channel: 11, country: 'US', passphrase: 'x'.repeat(63) } }),
  ];
  for (const config of variants) {
    const { parsedOk, output } = hostapdParse(dir, renderHostapdConf(config));
    assert.ok(parsedOk, `hostapd refused the generated configuration:\n${output}`);
    assert.match(output, /nl80211|hcdnone0|interface/i, 'expected a failure at driver or interface set-up');
  }
  // The check has teeth: hostapd itself refuses a passphrase that validation would have stopped.
  const bad = renderHostapdConf(sampleConfig({ wifi: { interface: 'hcdnone0' } })).replace(/wpa_passphrase=.*/, 'wpa_passphrase=short');
  const refused = hostapdParse(dir, bad);
  assert.equal(refused.parsedOk, false, refused.output);
  assert.match(refused.output, /invalid WPA passphrase length/);
});

test('unit-name escaping matches systemd-escape --path', () => {
  requireCommand('systemd-escape', 'systemd');
  for (const p of ['/srv/homedrive', '/dev/disk/by-label/HOMEDRIVE', 'wlx-00c0ca.1', '/a b/ü']) {
    const result = spawnSync('systemd-escape', ['--path', p], { encoding: 'utf8' });
    assert.equal(escapeUnitPath(p), result.stdout.trim(), p);
  }
});

test('firmware step selects the minimal Cypress build through update-alternatives (Raspberry Pi OS layout)', async (t) => {
  requireRoot();
  requireCommand('update-alternatives', 'dpkg');
  const root = tempDir(t);
  const fw = '/usr/lib/firmware/cypress';
  mkdirSync(path.join(root, fw), { recursive: true });
  mkdirSync(path.join(root, 'etc/alternatives'), { recursive: true });
  mkdirSync(path.join(root, 'var/lib/dpkg/alternatives'), { recursive: true });
  for (const v of ['standard', 'minimal']) writeFileSync(path.join(root, fw, `cyfmac43455-sdio-${v}.bin`), v);
  // Registered the way Raspberry Pi OS's firmware-brcm80211 postinst does, standard preferred.
  for (const [v, prio] of [
    ['standard', '50'],
    ['minimal', '10'],
  ] as const) {
    const r = run('update-alternatives', [
      '--root',
      root,
      '--install',
      `${fw}/cyfmac43455-sdio.bin`,
      FIRMWARE_ALTERNATIVE,
      `${fw}/cyfmac43455-sdio-${v}.bin`,
      prio,
    ]);
    assert.equal(r.status, 0, r.output);
  }
  const link = () => readlinkSync(path.join(root, 'etc/alternatives', FIRMWARE_ALTERNATIVE));
  assert.equal(link(), `${fw}/cyfmac43455-sdio-standard.bin`);

  const config = sampleConfig();
  const first = new Target(root, false);
  await firmwareStep.run({ config, target: first });
  assert.equal(link(), `${fw}/cyfmac43455-sdio-minimal.bin`);
  assert.deepEqual(
    first.changes.map((c) => c.kind),
    ['updated'],
  );

  const again = new Target(root, false);
  await firmwareStep.run({ config, target: again });
  assert.deepEqual(
    again.changes.map((c) => c.kind),
    ['unchanged'],
  );

  const back = new Target(root, false);
  await firmwareStep.run({ config: sampleConfig({ wifi: { firmware: 'standard' } }), target: back });
  assert.equal(link(), `${fw}/cyfmac43455-sdio-standard.bin`);
});

test('firmware step on plain Debian (no minimal build) leaves a note and changes nothing', async (t) => {
  const root = tempDir(t);
  const target = new Target(root, false);
  await firmwareStep.run({ config: sampleConfig(), target });
  assert.deepEqual(
    target.changes.map((c) => c.kind),
    ['note'],
  );
  assert.match(target.changes[0]!.detail!, /USB Wi-Fi adapter/);
});
