// End to end on a Debian trixie root built by mmdebstrap: apply, check with the root's own programs, re-apply.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../provisioning/config.js';
import { applyFirstboot } from '../../provisioning/firstboot.js';
import { applyPending, planChange, revertPending, SettingsState } from '../../provisioning/settings.js';
import { chroot, debianRoot, type DebianRoot } from './helpers/rootfs.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const APPLY = path.join(REPO, 'provisioning', 'apply.ts');

let root: DebianRoot;
let configFile: string;

function apply(...args: string[]): { status: number; output: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', APPLY, ...args], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

function inRoot(p: string): string {
  return path.join(root.dir, p);
}

function read(p: string): string {
  return readFileSync(inRoot(p), 'utf8');
}

function modeOf(p: string): string {
  return (statSync(inRoot(p)).mode & 0o7777).toString(8);
}

before(() => {
  root = debianRoot();
  configFile = inRoot('/tmp/provisioning-config.json');
  writeFileSync(
    configFile,
    JSON.stringify({ hostname: 'classe-b', timezone: 'Europe/Paris', wifi: { country: 'FR', ssid: 'Classe B', passphrase: 'correct horse battery' } }),
  );
  // Stand-ins for the release bundle, so that systemd-analyze finds the programs the units run.
  for (const file of [
    '/opt/homedrive/node/bin/node',
    '/opt/homedrive/app/dist/daemon/src/main.js',
    '/opt/homedrive/app/dist/provisioning/firstboot.js',
    '/opt/homedrive/app/dist/provisioning/helper/main.js',
    '/opt/homedrive/app/dist/provisioning/settings.js',
  ]) {
    mkdirSync(path.dirname(inRoot(file)), { recursive: true });
    writeFileSync(inRoot(file), '#!/bin/sh\nexit 0\n');
    chmodSync(inRoot(file), 0o755);
  }
});

after(() => root?.cleanup());

test('a bad configuration is refused before anything is written', () => {
  const bad = inRoot('/tmp/bad.json');
  writeFileSync(bad, JSON.stringify({ wifi: { ssid: 'x'.repeat(40), passphrase: 'short', firmware: 'turbo' }, network: { address: '1.2.3.4' } }));
  const result = apply('--root', root.dir, '--config', bad);
  assert.equal(result.status, 2, result.output);
  for (const field of ['wifi.country', 'wifi.ssid', 'wifi.passphrase', 'wifi.firmware', 'network.address'])
    assert.match(result.output, new RegExp(`- ${field.replace('.', '\\.')}: `));
  assert.throws(() => lstatSync(inRoot('/etc/hostapd/hostapd.conf')));
});

test('dry run lists the changes with diffs and writes nothing', () => {
  const result = apply('--root', root.dir, '--config', configFile, '--dry-run');
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /\+ \/etc\/dnsmasq\.d\/homedrive\.conf: would be created/);
  assert.match(result.output, /\+ address=\/#\/10\.42\.0\.1/);
  assert.match(result.output, /~ \/etc\/hostname: would be updated/);
  assert.match(result.output, /content not shown: it holds secrets/);
  assert.doesNotMatch(result.output, /correct horse battery/);
  assert.match(result.output, /dry run: \d+ changes would be made/);
  assert.throws(() => lstatSync(inRoot('/etc/dnsmasq.d/homedrive.conf')));
});

test('apply provisions the root', () => {
  const result = apply('--root', root.dir, '--config', configFile);
  assert.equal(result.status, 0, result.output);

  assert.match(read('/etc/passwd'), /^homedrive:x:\d+:\d+:Home Container Drive daemon:\/var\/lib\/homedrive:\/usr\/sbin\/nologin$/m);
  assert.equal(modeOf('/etc/hostapd/hostapd.conf'), '640', 'root:homedrive: the daemon reads the Wi-Fi for login cards');
  assert.match(read('/etc/hostapd/hostapd.conf'), /^ssid2=436c617373652042$/m);
  assert.equal(modeOf('/etc/homedrive/homedrive.env'), '640');
  assert.match(read('/etc/homedrive/homedrive.env'), /^HCD_HOSTNAME=classe-b$/m);
  assert.match(read('/etc/fstab'), /^LABEL=HOMEDRIVE \/srv\/homedrive ext4 .*nofail/m);
  assert.ok(statSync(inRoot('/srv/homedrive')).isDirectory());
  assert.equal(read('/etc/hostname'), 'classe-b\n');
  assert.equal(readlinkSync(inRoot('/etc/localtime')), '/usr/share/zoneinfo/Europe/Paris');
  assert.match(read('/boot/firmware/homedrive.txt'), /^wifi_ssid=Classe B$/m);
  assert.equal(readlinkSync(inRoot('/etc/systemd/system/systemd-networkd-wait-online.service')), '/dev/null');
  assert.equal(modeOf('/etc/polkit-1/rules.d/50-homedrive.rules'), '644');
  assert.match(read('/etc/polkit-1/rules.d/50-homedrive.rules'), /subject\.user === "homedrive"/);

  // Enablement as the root's own systemctl sees it.
  for (const unit of [
    'homedrive.service',
    'homedrive-firstboot.service',
    'homedrive-storage.service',
    'hostapd.service',
    'dnsmasq.service',
    'systemd-networkd.service',
    'avahi-daemon.service',
    'fake-hwclock-save.timer',
    'homedrive-helper.socket',
    'homedrive-settings-boot.service',
  ]) {
    assert.equal(chroot(root.dir, ['systemctl', 'is-enabled', unit]).stdout.trim(), 'enabled', unit);
  }
  assert.equal(chroot(root.dir, ['systemctl', 'is-enabled', 'apt-daily.timer']).stdout.trim(), 'disabled');
});

test("the root's systemd verifies the units, with the fstab generator's mount unit", () => {
  // The generator of the root turns our fstab line into srv-homedrive.mount, as at boot.
  const gen = '/run/hcd-generator';
  mkdirSync(inRoot(gen), { recursive: true });
  const g = chroot(root.dir, ['/usr/lib/systemd/system-generators/systemd-fstab-generator', gen, gen, gen]);
  assert.equal(g.status, 0, g.output);
  const mount = read(`${gen}/srv-homedrive.mount`);
  assert.match(mount, /^What=\/dev\/disk\/by-label\/HOMEDRIVE$/m);
  assert.match(mount, /^Options=.*nofail/m);
  assert.match(read(`${gen}/dev-disk-by\\x2dlabel-HOMEDRIVE.device.d/50-device-timeout.conf`), /JobRunningTimeoutSec=10s/);
  // nofail: the mount is wanted by local-fs.target, never required.
  assert.ok(lstatSync(inRoot(`${gen}/local-fs.target.wants/srv-homedrive.mount`)).isSymbolicLink());
  assert.throws(() => lstatSync(inRoot(`${gen}/local-fs.target.requires/srv-homedrive.mount`)));

  const units = [
    'homedrive.service',
    'homedrive-firstboot.service',
    'homedrive-storage.service',
    'homedrive-helper.socket',
    'homedrive-settings-boot.service',
  ].map((u) => `/etc/systemd/system/${u}`);
  const verify = chroot(root.dir, ['systemd-analyze', 'verify', '--man=no', ...units, `${gen}/srv-homedrive.mount`, 'hostapd.service', 'dnsmasq.service']);
  assert.equal(verify.status, 0, verify.output);
  assert.equal(verify.output.trim(), '', verify.output);

  const security = chroot(root.dir, ['systemd-analyze', 'security', '--offline=yes', '--no-pager', '/etc/systemd/system/homedrive.service']);
  const score = /Overall exposure level for homedrive\.service: ([\d.]+)/.exec(security.output);
  assert.ok(score, security.output);
  console.log(`# systemd-analyze security homedrive.service: ${score[1]}`);
  assert.ok(Number(score[1]) <= 2.0, `exposure ${score[1]} should stay at or below 2.0`);

  // The root helper runs as root, so its sandbox matters more: an instance as the socket makes them.
  mkdirSync(inRoot('/run'), { recursive: true });
  copyFileSync(inRoot('/etc/systemd/system/homedrive-helper@.service'), inRoot('/run/homedrive-helper@0.service'));
  const helper = chroot(root.dir, ['systemd-analyze', 'security', '--offline=yes', '--no-pager', '/run/homedrive-helper@0.service']);
  const helperScore = /Overall exposure level for homedrive-helper@0\.service: ([\d.]+)/.exec(helper.output);
  assert.ok(helperScore, helper.output);
  console.log(`# systemd-analyze security homedrive-helper@.service: ${helperScore[1]}`);
  assert.ok(Number(helperScore[1]) <= 2.0, `exposure ${helperScore[1]} should stay at or below 2.0`);
  const socket = read('/etc/systemd/system/homedrive-helper.socket');
  assert.match(socket, /^SocketGroup=homedrive$/m);
  assert.match(socket, /^SocketMode=0660$/m);
});

test("the root's dnsmasq and hostapd accept the generated files", () => {
  // Exactly what dnsmasq.service runs in ExecStartPre.
  const dnsmasq = chroot(root.dir, ['/usr/share/dnsmasq/systemd-helper', 'checkconfig']);
  assert.equal(dnsmasq.status, 0, dnsmasq.output);
  const hostapd = chroot(root.dir, ['hostapd', '/etc/hostapd/hostapd.conf']);
  assert.notEqual(hostapd.status, 0);
  assert.doesNotMatch(hostapd.output, /errors? found in configuration file/, hostapd.output);
  assert.match(hostapd.output, /nl80211|wlan0/);
});

test('applying again changes nothing', () => {
  const result = apply('--root', root.dir, '--config', configFile);
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /^0 changes, \d+ unchanged$/m);
  const dry = apply('--root', root.dir, '--config', configFile, '--dry-run');
  assert.match(dry.output, /^dry run: 0 changes would be made, \d+ unchanged$/m);
});

test('first boot applies good keys, keeps defaults for bad ones, scrubs the password, reports status', async () => {
  writeFileSync(
    inRoot('/boot/firmware/homedrive.txt'),
    '# edited on Windows\r\nwifi_ssid=Atelier\r\nwifi_passphrase=tiny\r\nwifi_country=XX\r\nadmin_username=alice\r\nadmin_password=sup3r-secret\r\nhostname=atelier\r\ntimezone=Europe/Brussels\r\n',
  );
  const admins: [string, string][] = [];
  const status = await applyFirstboot({
    root: root.dir,
    now: () => new Date('2025-01-02T03:04:05Z'),
    createAdmin: async (u, p) => void admins.push([u, p]),
    log: () => {},
  });
  assert.deepEqual(admins, [['alice', 'sup3r-secret']]);
  assert.equal(status.ok, false);
  assert.deepEqual(status.errors.map((e) => e.key).sort(), ['wifi_country', 'wifi_passphrase']);

  const file = read('/boot/firmware/homedrive.txt');
  assert.doesNotMatch(file, /sup3r-secret/);
  assert.match(file, /\r\nadmin_password=\r\n/);
  const hostapd = read('/etc/hostapd/hostapd.conf');
  assert.match(hostapd, new RegExp(`^ssid2=${Buffer.from('Atelier').toString('hex')}$`, 'm'));
  assert.match(hostapd, /^country_code=FR$/m, 'bad country: previous value kept');
  assert.match(hostapd, /^wpa_passphrase=correct horse battery$/m, 'bad passphrase: previous value kept');
  assert.equal(read('/etc/hostname'), 'atelier\n');
  assert.match(read('/etc/homedrive/homedrive.env'), /^HCD_HOSTNAME=atelier$/m);
  assert.equal(readlinkSync(inRoot('/etc/localtime')), '/usr/share/zoneinfo/Europe/Brussels');

  const written = JSON.parse(read('/var/lib/homedrive/firstboot-status.json')) as typeof status;
  assert.deepEqual(written, { appliedAt: '2025-01-02T03:04:05.000Z', ok: false, errors: status.errors });
  assert.equal(modeOf('/var/lib/homedrive/firstboot-status.json'), '640');
  // The base config now holds what first boot applied, so a later re-provisioning keeps it.
  assert.equal((JSON.parse(read('/etc/homedrive/provisioning.json')) as { wifi: { ssid: string } }).wifi.ssid, 'Atelier');
});

test('a settings change from the console: the same steps over the root, then the previous settings back when nobody confirms', async () => {
  const base = parseConfig(JSON.parse(read('/etc/homedrive/provisioning.json')));
  const plan = planChange(base, {
    hostname: 'salle-12',
    timezone: 'Africa/Dakar',
    wifi: { ssid: 'CM2 Bleu', passphrase: null, country: 'SN', band: '5GHz', channel: 44 },
  });
  assert.ok(plan.ok, JSON.stringify(plan));
  const state = new SettingsState(inRoot('/var/lib/homedrive-settings'));
  const pending = {
    id: 'rootfs01',
    requestedAt: '2026-12-04T08:00:00.000Z',
    by: 'alice',
    changed: plan.changed,
    revertAfterSeconds: 120,
    deadline: '2026-12-04T08:02:00.000Z',
    state: 'applying' as const,
    previous: base,
    candidate: plan.candidate,
  };
  await state.writePending(pending);
  const deps = { root: root.dir, state, now: () => new Date('2026-12-04T08:00:05Z'), log: () => {} };
  assert.equal(await applyPending({ ...deps, delayMs: 0, cancelRevert: async () => assert.fail('nothing to cancel') }), null, 'awaiting confirmation');
  assert.equal((await state.readPending())?.state, 'applied');
  const conf = read('/etc/hostapd/hostapd.conf');
  assert.match(conf, new RegExp(`^ssid2=${Buffer.from('CM2 Bleu').toString('hex')}$`, 'm'));
  assert.match(conf, /^country_code=SN$/m);
  assert.match(conf, /^hw_mode=a$/m);
  assert.match(conf, /^channel=44$/m);
  assert.doesNotMatch(conf, /^wpa_passphrase=/m, 'an open network');
  assert.equal(modeOf('/etc/hostapd/hostapd.conf'), '640');
  assert.equal(read('/etc/hostname'), 'salle-12\n');
  assert.match(read('/etc/hosts'), /\bsalle-12\b/);
  assert.match(read('/etc/homedrive/homedrive.env'), /^HCD_HOSTNAME=salle-12$/m);
  assert.equal(readlinkSync(inRoot('/etc/localtime')), '/usr/share/zoneinfo/Africa/Dakar');
  assert.equal(modeOf('/etc/homedrive/provisioning.json'), '600');
  assert.equal((JSON.parse(read('/etc/homedrive/provisioning.json')) as { wifi: { ssid: string } }).wifi.ssid, 'CM2 Bleu');
  // The root's own hostapd still accepts the file (it stops at the missing radio, not at the configuration).
  const hostapd = chroot(root.dir, ['hostapd', '/etc/hostapd/hostapd.conf']);
  assert.doesNotMatch(hostapd.output, /errors? found in configuration file/, hostapd.output);

  // Nobody confirmed: the timer's revert.
  const last = await revertPending(deps);
  assert.equal(last?.outcome, 'reverted');
  assert.equal(last?.error, undefined);
  assert.equal(await state.readPending(), null);
  const back = read('/etc/hostapd/hostapd.conf');
  assert.match(back, new RegExp(`^ssid2=${Buffer.from(base.wifi.ssid).toString('hex')}$`, 'm'));
  assert.match(back, /^wpa_passphrase=correct horse battery$/m);
  assert.match(back, /^country_code=FR$/m);
  assert.equal(read('/etc/hostname'), `${base.hostname}\n`);
  assert.equal(readlinkSync(inRoot('/etc/localtime')), `/usr/share/zoneinfo/${base.timezone}`);
  assert.deepEqual(JSON.parse(read('/etc/homedrive/provisioning.json')), JSON.parse(JSON.stringify(base)));
});
