// Boots a copy of the built SD-card image under qemu-system-aarch64: first boot, login, files on the SSD, no SSD, no radio, scrubbed password.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DATA_LABEL } from '../../provisioning/contract.js';
import { writeBundle } from '../../provisioning/update/bundle-file.js';
import { requireCommand, requireRoot } from '../provisioning/helpers/fixtures.js';
import { partitions } from '../../image/lib/loop.js';
import { bootExtract, bootList, bootRead, bootWrite, makeSsd, makeStick, withFilesystem, withPartition } from './helpers/disk.js';
import { boot, lastReport, StopWaiting, waitFor, type Vm } from './helpers/qemu.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILT = path.join(REPO, '.cache', 'image', 'out', 'homedrive-pi4-arm64.img');
const ADMIN = 'admin';
const PASSWORD = 'qemu-test-Pa55word';
// Software emulation of a 2-core arm64 on a shared 2-core host: generous, and reported, never asserted as a speed.
const BOOT_TIMEOUT = 20 * 60_000;
const GROW_MIB = 512;

let work: string;
let image: string;
let ssd: string;
let bootFiles: { kernel: string; initrd: string; cmdline: string };
let vm: Vm | undefined;
const timings: string[] = [];
// Update bundles signed with make image-test's throwaway key (its public half is in the image): the image's own
// release payload under a new version string, and one whose daemon cannot start.
const NEW_VERSION = '0.1.0+qemu.update';
const BROKEN_VERSION = '0.1.0+qemu.broken';
let goodBundle: string;
let brokenBundle: string;
// Issue 17 item 3: two USB disks for the boot without the SSD: a blank one to prepare as the storage, and a
// class's exFAT stick to import from.
let blankDisk: string;
let stick: string;
const STICK_FILES: Record<string, string> = {
  'Sortie nature/héron.txt': 'un héron cendré, 14 h 05\n',
  'Sortie nature/notes/liste.txt': 'bottes, jumelles, carnet\n',
  'lisez-moi.txt': 'clé USB de la classe\n',
};

// Prints on the console every 5 s what the test cannot see over HTTP (unit states, mounts, sizes).
const REPORT_SCRIPT = `#!/bin/sh
while :; do
  line="HCDREPORT homedrive=$(systemctl is-active homedrive) restarts=$(systemctl show -p NRestarts --value homedrive) hostapd=$(systemctl is-active hostapd) dnsmasq=$(systemctl is-active dnsmasq)"
  line="$line firstboot=$(systemctl is-active homedrive-firstboot) growroot=$(systemctl is-active homedrive-growroot) helper=$(systemctl is-active homedrive-helper.socket)"
  line="$line ssd=$(findmnt -no SOURCE /srv/homedrive || echo none) rootmib=$(df -BM --output=size / | tail -1 | tr -dc 0-9)"
  line="$line state=$(systemctl is-system-running) failed=$(systemctl --failed --no-legend --plain | awk '{print $1}' | paste -sd, -)"
  line="$line fbstatus=$(tr -d ' \\n' < /var/lib/homedrive/firstboot-status.json 2>/dev/null | head -c 300)"
  echo "$line" > /dev/ttyAMA0
  sleep 5
done
`;
const REPORT_UNIT = `[Unit]
Description=image test: report unit states on the serial console
[Service]
ExecStart=/usr/local/sbin/hcd-test-report
[Install]
WantedBy=multi-user.target
`;

function log(line: string): void {
  timings.push(line);
  process.stderr.write(`# ${line}\n`);
}

async function api(path_: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  assert.ok(vm, 'no VM running');
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  return fetch(`http://127.0.0.1:${vm.port}${path_}`, { ...init, headers, signal: AbortSignal.timeout(60_000) });
}

async function health(): Promise<{ status: string; storage: string } | undefined> {
  const res = await api('/api/health');
  return res.ok ? ((await res.json()) as { status: string; storage: string }) : undefined;
}

async function login(): Promise<string> {
  const res = await api('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: ADMIN, password: PASSWORD }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { token: string }).token;
}

async function bootAndWait(name: string, withSsd: boolean, usbDisks: string[] = []): Promise<{ status: string; storage: string }> {
  // A test that failed before its power-off leaves its QEMU running, holding the card's write lock:
  // stop it, so that this boot gives its own result instead of failing with the other's.
  if (vm) {
    vm.kill();
    await vm.exited;
    vm = undefined;
  }
  vm = await boot({ ...bootFiles, image, ssd: withSsd ? ssd : undefined, usbDisks, workDir: work, name });
  const started = vm.startedAt;
  const h = await waitFor(
    `/api/health on the forwarded port (${name})`,
    BOOT_TIMEOUT,
    async () => {
      if (vm && (await Promise.race([vm.exited.then(() => true), Promise.resolve(false)])))
        throw new StopWaiting(`QEMU exited; serial log:\n${vm.serial().slice(-4000)}`);
      const h = await health().catch(() => undefined);
      // A crash loop never answers: stop waiting and say so (the journal is on the console via the report).
      const restarts = Number((vm && lastReport(vm.serial())?.restarts) ?? 0);
      if (!h && restarts >= 3) throw new StopWaiting(`homedrive.service crash-loops (${restarts} restarts)`);
      return h;
    },
    3000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n--- serial (last 4 KB) ---\n${vm?.serial().slice(-4000)}`);
  });
  log(`${name}: QEMU start to a serving daemon (/api/health 200): ${Math.round((Date.now() - started) / 1000)} s`);
  return h;
}

async function shutdown(name: string): Promise<void> {
  if (!vm) return;
  const t0 = Date.now();
  const how = await vm.shutdown();
  log(`${name}: ${how === 'powerdown' ? 'clean power-off' : 'power-off timed out, QEMU killed'} after ${Math.round((Date.now() - t0) / 1000)} s`);
  vm = undefined;
}

before(async () => {
  requireRoot();
  requireCommand('qemu-system-aarch64', 'qemu-system-arm');
  requireCommand('mkfs.ext4', 'e2fsprogs');
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`make image\` first (make image-test does)`);
  work = mkdtempSync(path.join(tmpdir(), 'hcd-image-test-'));
  image = path.join(work, 'card.img');
  ssd = path.join(work, 'ssd.img');
  // A copy: the built image stays pristine. Larger than the image, like a real card, so the root grows.
  execFileSync('cp', ['--sparse=always', BUILT, image]);
  execFileSync('truncate', ['-s', `+${GROW_MIB}M`, image]);
  makeSsd(ssd, DATA_LABEL);
  requireCommand('mkfs.exfat', 'exfatprogs');
  blankDisk = path.join(work, 'blank-usb.img');
  execFileSync('truncate', ['-s', '256M', blankDisk]);
  stick = path.join(work, 'stick.img');
  await makeStick(stick, 'CLASSE', STICK_FILES);
  const text = bootRead(image, 'homedrive.txt');
  assert.match(text, /^admin_password=$/m, 'the image ships without an admin password');
  bootWrite(
    image,
    'homedrive.txt',
    text
      .replace(/^admin_password=$/m, `admin_password=${PASSWORD}`)
      .replace(/^wifi_country=.*$/m, 'wifi_country=DE')
      .replace(/^wifi_ssid=.*$/m, 'wifi_ssid=QEMU Drive'),
  );
  const keyFile = process.env.HCD_BUNDLE_KEY;
  if (!keyFile || !existsSync(keyFile)) throw new Error('HCD_BUNDLE_KEY must name the key the image was built with (make image-test makes a throwaway one)');
  const privateKeyPem = readFileSync(keyFile, 'utf8');
  const out = path.dirname(BUILT);
  const payloads = readdirSync(out)
    .filter((f) => /^homedrive-.*-linux-arm64-.*\.tar\.xz$/.test(f))
    .map((f) => path.join(out, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  assert.ok(payloads[0], `a release payload in ${out}`);
  goodBundle = path.join(work, 'good.hcdb');
  await writeBundle({ payloadFile: payloads[0], outFile: goodBundle, version: NEW_VERSION, privateKeyPem });
  const broken = path.join(work, 'broken');
  mkdirSync(broken);
  execFileSync('tar', ['-C', broken, '-xJf', payloads[0]]);
  writeFileSync(path.join(broken, 'opt/homedrive/app/dist/daemon/src/main.js'), 'process.exit(3);\n');
  execFileSync('sh', ['-c', `tar -C "$1" --owner=0 --group=0 --numeric-owner -cf - opt | xz -0 -T2 > "$2"`, 'sh', broken, path.join(work, 'broken.tar.xz')]);
  rmSync(broken, { recursive: true, force: true });
  brokenBundle = path.join(work, 'broken.hcdb');
  await writeBundle({ payloadFile: path.join(work, 'broken.tar.xz'), outFile: brokenBundle, version: BROKEN_VERSION, privateKeyPem });
  const names = bootList(image);
  const kernel = names.find((f) => f.startsWith('vmlinuz-'));
  const initrd = names.find((f) => f.startsWith('initrd.img-'));
  assert.ok(kernel && initrd, `kernel and initrd on the boot partition: ${names.join(' ')}`);
  bootFiles = { kernel: path.join(work, 'vmlinuz'), initrd: path.join(work, 'initrd.img'), cmdline: bootRead(image, 'cmdline.txt') };
  bootExtract(image, kernel, bootFiles.kernel);
  bootExtract(image, initrd, bootFiles.initrd);
  assert.match(bootFiles.cmdline, /root=PARTUUID=[0-9a-f]{8}-02 /);
  await withPartition(image, 2, (root) => {
    writeFileSync(path.join(root, 'usr/local/sbin/hcd-test-report'), REPORT_SCRIPT, { mode: 0o755 });
    writeFileSync(path.join(root, 'etc/systemd/system/hcd-test-report.service'), REPORT_UNIT);
    symlinkSync('/etc/systemd/system/hcd-test-report.service', path.join(root, 'etc/systemd/system/multi-user.target.wants/hcd-test-report.service'));
  });
});

after(async () => {
  vm?.kill();
  if (timings.length > 0) process.stderr.write(`# image boot timings:\n${timings.map((t) => `#   ${t}`).join('\n')}\n`);
  if (work && !process.env.HCD_KEEP_IMAGE_TEST) rmSync(work, { recursive: true, force: true });
});

test('first boot with the SSD: serving, admin from homedrive.txt, upload and download on the SSD, no radio tolerated', async () => {
  const h = await bootAndWait('boot1-ssd', true);
  // The SSD may be mounted a moment after the daemon starts answering (device timeout, chown unit).
  const mounted = await waitFor('storage mounted', 120_000, async () => ((await health())?.storage === 'mounted' ? true : undefined)).catch(() => false);
  assert.ok(mounted, `health says ${JSON.stringify(h)} and never "mounted"`);
  const token = await login();
  const body = `hello from the QEMU image test ${Date.now()}\n`;
  const put = await api('/api/fs/workspace/qemu/hello.txt', { method: 'PUT', token, body });
  assert.equal(put.status, 201, await put.clone().text());
  const get = await api('/api/fs/workspace/qemu/hello.txt', { token });
  assert.equal(get.status, 200);
  assert.equal(await get.text(), body);
  // Big enough to stream through several chunks inside the VM.
  const big = Buffer.alloc(8 * 1024 * 1024, 7);
  assert.equal((await api('/api/fs/workspace/qemu/big.bin', { method: 'PUT', token, body: big })).status, 201);
  assert.equal(Buffer.from(await (await api('/api/fs/workspace/qemu/big.bin', { token })).arrayBuffer()).equals(big), true);
  // The root helper on the image's real systemd (issue 17 items 1 and 6): the sandboxed daemon asks it on its
  // socket, systemd starts it as root, it runs hostapd_cli. QEMU has no radio, so hostapd is down and
  // hostapd_cli finds no control socket: "ap_down" with ENOENT proves the whole chain (a sandbox that
  // blocked the helper would give no_helper or helper_failed, or another errno).
  const t0 = Date.now();
  const wifi = await waitFor('the Wi-Fi reading through the root helper', 120_000, async () => {
    const w = (await (await api('/api/admin/health', { token })).json()).wifi;
    return w?.reasonCode?.code === 'ap_down' ? w : undefined;
  }).catch(async () => (await (await api('/api/admin/health', { token })).json()).wifi);
  log(`wifi reading through the root helper after ${Date.now() - t0} ms: ${JSON.stringify(wifi)}`);
  assert.equal(wifi.value, null);
  assert.equal(wifi.reasonCode?.code, 'ap_down', JSON.stringify(wifi));
  assert.match(wifi.reason, /No such file or directory/, JSON.stringify(wifi));
  // A backup restored through the API on the image's real systemd: the daemon stops with 75, Restart= brings it
  // back with the backup's accounts (issue 17 item 4).
  const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), token });
  assert.equal((await api('/api/admin/users', json({ username: 'ulla', password: 'ulla-password', role: 'user' }))).status, 201);
  const made = await api('/api/admin/backups', json({}));
  assert.equal(made.status, 201, await made.clone().text());
  const { name } = (await made.json()) as { name: string };
  assert.equal((await api('/api/admin/users', json({ username: 'late', password: 'late-password', role: 'user' }))).status, 201);
  const restoreAt = Date.now();
  const restore = await api(`/api/admin/backups/${name}/restore`, json({ confirm: name }));
  assert.equal(restore.status, 202, await restore.clone().text());
  await waitFor('the daemon to stop for the restore', 60_000, async () => ((await health().catch(() => undefined)) ? undefined : true), 250);
  await waitFor('the daemon back after the restore', 120_000, async () => health().catch(() => undefined), 1000);
  log(`restore: 202 to serving again under systemd: ${Math.round((Date.now() - restoreAt) / 1000)} s`);
  const loginAs = (username: string, password: string) =>
    api('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  assert.equal((await loginAs('ulla', 'ulla-password')).status, 200, 'an account in the backup');
  assert.equal((await loginAs('late', 'late-password')).status, 401, 'an account made after the backup is gone');
  // Device settings through the API on the image's real systemd (issue 17 item 2): the helper records the
  // change and starts the apply and the revert timer as transient units; the apply re-runs the provisioning
  // steps over /, hostapd's file and the daemon's environment follow (the portal names the new host once
  // the daemon restarted on it); nobody confirms, so the timer puts everything back.
  const settingsAt = Date.now();
  const adminToken = await login();
  const settings = async () => {
    const r = await api('/api/admin/device/settings', { token: adminToken });
    return r.ok
      ? ((await r.json()) as {
          current: { hostname: string; wifi: { ssid: string } };
          pending: { state: string } | null;
          last: { outcome: string; error?: string } | null;
        })
      : undefined;
  };
  const cardSsid = async () => ((await (await api('/api/admin/cards/network', { token: adminToken })).json()) as { wifi: { ssid: string } | null }).wifi?.ssid;
  const portalHost = async () => ((await (await api('/api/portal')).json()) as { hostname: string }).hostname;
  const was = (await settings())!;
  assert.equal(was.current.wifi.ssid, 'QEMU Drive', 'from homedrive.txt at first boot');
  assert.equal(await cardSsid(), 'QEMU Drive');
  const change = await api('/api/admin/device/settings', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ wifi: { ssid: 'QEMU Bleu' }, hostname: 'salle-qemu', revertAfterSeconds: 150 }),
    token: adminToken,
  });
  assert.equal(change.status, 202, await change.clone().text());
  await waitFor('the settings applied', 150_000, async () => ((await settings())?.pending?.state === 'applied' ? true : undefined), 3000);
  await waitFor('the login cards on the new network', 60_000, async () => ((await cardSsid()) === 'QEMU Bleu' ? true : undefined));
  await waitFor('the portal on the new name', 120_000, async () => ((await portalHost()) === 'salle-qemu' ? true : undefined), 3000);
  log(`settings: 202 to applied, cards and portal following: ${Math.round((Date.now() - settingsAt) / 1000)} s`);
  const revertFrom = Date.now();
  const reverted = await waitFor(
    'the automatic revert',
    300_000,
    async () => {
      const s = await settings();
      return s?.last?.outcome === 'reverted' ? s : undefined;
    },
    3000,
  );
  assert.equal(reverted.last?.error, undefined, JSON.stringify(reverted.last));
  assert.equal(reverted.pending, null);
  assert.equal(reverted.current.wifi.ssid, 'QEMU Drive');
  assert.equal(reverted.current.hostname, was.current.hostname);
  await waitFor('the login cards back on the old network', 60_000, async () => ((await cardSsid()) === 'QEMU Drive' ? true : undefined));
  await waitFor('the portal back on the old name', 120_000, async () => ((await portalHost()) === was.current.hostname ? true : undefined), 3000);
  log(
    `settings: not confirmed, previous settings back ${Math.round((Date.now() - revertFrom) / 1000)} s after being applied; ${Math.round((Date.now() - settingsAt) / 1000)} s in all`,
  );
  // Updates from the console on the image's real systemd (issue 17 item 5): upload a signed bundle, the helper
  // checks a root-only copy against the image's key; install it beside the running version, see the new version
  // serve; then a bundle whose daemon cannot start, and the automatic rollback.
  const updateAt = Date.now();
  const version = async () => ((await (await api('/api/health')).json()) as { version: string }).version;
  const updateStatus = async () =>
    (await (await api('/api/admin/update', { token: adminToken })).json()) as {
      running: { version: string | null };
      previous: { version: string | null } | null;
      last: { id: string; outcome: string; version: string | null; error?: string } | null;
    };
  const upload = async (file: string) => {
    const r = await fetch(`http://127.0.0.1:${vm!.port}/api/admin/update`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/octet-stream' },
      body: readFileSync(file),
      signal: AbortSignal.timeout(600_000),
    });
    assert.equal(r.status, 201, await r.clone().text());
    return (await r.json()) as { id: string; manifest: { version: string }; running: { version: string | null } };
  };
  const install = async (id: string) => {
    const r = await api('/api/admin/update/install', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id }),
      token: adminToken,
    });
    assert.equal(r.status, 202, await r.clone().text());
  };
  const before = await version();
  const good = await upload(goodBundle);
  assert.equal(good.manifest.version, NEW_VERSION);
  assert.equal(good.running.version, before, 'the running version, shown before installing');
  log(`update: upload and signature check of ${Math.round(statSync(goodBundle).size / 1e6)} MB: ${Math.round((Date.now() - updateAt) / 1000)} s`);
  const installAt = Date.now();
  await install(good.id);
  await waitFor('the new version serving', 600_000, async () => ((await version()) === NEW_VERSION ? true : undefined), 5000);
  const installed = await waitFor('the install recorded', 120_000, async () => {
    const st = await updateStatus();
    return st.last?.id === good.id ? st : undefined;
  });
  assert.equal(installed.last?.outcome, 'installed', JSON.stringify(installed.last));
  assert.equal(installed.previous?.version, before, 'the previous version kept for a manual rollback');
  log(`update: installed and serving ${Math.round((Date.now() - installAt) / 1000)} s after the install request`);
  const bad = await upload(brokenBundle);
  const rollbackAt = Date.now();
  await install(bad.id);
  const rolled = await waitFor(
    'the automatic rollback',
    900_000,
    async () => {
      const st = await updateStatus();
      return st.last?.id === bad.id ? st : undefined;
    },
    5000,
  );
  assert.equal(rolled.last?.outcome, 'rolled_back', JSON.stringify(rolled.last));
  assert.equal(await version(), NEW_VERSION, 'back on the version that served');
  log(
    `update: a version that cannot start rolled back in ${Math.round((Date.now() - rollbackAt) / 1000)} s; updates took ${Math.round((Date.now() - updateAt) / 1000)} s in all`,
  );
  // Units, as the report on the console tells them once no start job is left waiting (hostapd waits for wlan0 up to 90 s).
  const report = await waitFor('a settled report on the serial console', 240_000, async () => {
    const r = vm ? lastReport(vm.serial()) : undefined;
    return r && r.state !== 'starting' && r.hostapd !== 'activating' ? r : undefined;
  });
  log(`boot1-ssd report: ${JSON.stringify(report)}`);
  assert.equal(report.homedrive, 'active');
  assert.equal(report.firstboot, 'active');
  assert.equal(report.helper, 'active', 'homedrive-helper.socket listens');
  assert.match(report.ssd ?? '', /^\/dev\/vd[a-z]$/, 'the HOMEDRIVE disk is mounted at /srv/homedrive');
  // No radio in QEMU: hostapd must not be running, and must not take anything else down with it.
  assert.notEqual(report.hostapd, 'active');
  assert.match(report.fbstatus ?? '', /"ok":true/);
  assert.equal(report.growroot, 'active');
  // The root file system grew into the larger card (df's size is a little under the partition's).
  const builtRootMiB = ((partitions(BUILT)[1]?.size ?? 0) * 512) / 2 ** 20;
  assert.ok(Number(report.rootmib) >= builtRootMiB + GROW_MIB - 64, `root ${report.rootmib} MiB after growth, partition was ${builtRootMiB} MiB`);
  // Still serving after the radio's units gave up.
  assert.equal((await health())?.storage, 'mounted');
  await shutdown('boot1-ssd');
  await withFilesystem(ssd, (dir) => {
    assert.equal(readFileSync(path.join(dir, 'workspace/qemu/hello.txt'), 'utf8'), body, 'the upload landed on the SSD');
  });
});

test('the first-boot password was scrubbed from the boot partition, the rest kept', async () => {
  const text = bootRead(image, 'homedrive.txt');
  assert.doesNotMatch(text, new RegExp(PASSWORD));
  assert.match(text, /^admin_password=$/m);
  assert.match(text, /^wifi_country=DE$/m);
  assert.match(text, /^wifi_ssid=QEMU Drive$/m);
});

// Guards isMountPoint() against the bind mount that homedrive.service's ReadWritePaths=-/srv/homedrive
// (ProtectSystem=strict) puts on the empty mount point: that is still the SD card, not the SSD.
test('boot without the SSD: storage missing, writes refused with 503, still serving; a blank USB disk prepared as the storage; a stick imported', async () => {
  const h = await bootAndWait('boot2-no-ssd', false, [blankDisk, stick]);
  assert.equal(h.storage, 'missing');
  assert.equal(h.status, 'degraded');
  const token = await login();
  const put = await api('/api/fs/workspace/nope.txt', { method: 'PUT', token, body: 'x' });
  assert.equal(put.status, 503);
  assert.equal(((await put.json()) as { error: { code: string } }).error.code, 'storage_unavailable');
  const report = await waitFor('a report on the serial console', 120_000, async () => (vm ? lastReport(vm.serial()) : undefined));
  log(`boot2-no-ssd report: ${JSON.stringify(report)}`);
  assert.equal(report.homedrive, 'active');
  assert.equal(report.ssd, 'none');
  // Disks from the admin console on the image's real systemd and kernel (issue 17 item 3): the two USB disks are
  // listed as the guest's kernel sees them (/dev/sdX over xHCI); the blank one is erased and made the storage,
  // which mounts without a reboot and takes uploads; then the stick's files are copied into the workspace.
  type DiskJob = {
    id: string;
    state: string;
    step: string;
    error: { code: string; message: string } | null;
    filesDone: number;
    reconciled: { added: number } | null;
  };
  type Listed = {
    disks: {
      path: string;
      displayName: string;
      sizeBytes: number;
      transport: string | null;
      role: string;
      partitions: { path: string; fsType: string | null; label: string | null }[];
    }[];
  };
  const post = (url: string, body: unknown) => api(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), token });
  const job = async (id: string, what: string, timeoutMs: number) =>
    waitFor(what, timeoutMs, async () => {
      const j = (await (await api(`/api/admin/disks/jobs/${id}`, { token })).json()) as DiskJob;
      return j.state === 'done' || j.state === 'failed' ? j : undefined;
    });
  const disksAt = Date.now();
  const listed = await waitFor('both USB disks listed', 120_000, async () => {
    const r = await api('/api/admin/disks', { token });
    const l = r.ok ? ((await r.json()) as Listed) : undefined;
    return l && l.disks.filter((d) => d.transport === 'usb').length === 2 ? l : undefined;
  });
  log(`disks: ${JSON.stringify(listed.disks.map((d) => [d.displayName, d.sizeBytes, d.transport, d.role, d.partitions.map((p) => p.fsType)]))}`);
  const blank = listed.disks.find((d) => d.transport === 'usb' && d.partitions.length === 0);
  const usbStick = listed.disks.find((d) => d.transport === 'usb' && d.partitions.some((p) => p.fsType === 'exfat' && p.label === 'CLASSE'));
  assert.ok(blank && usbStick, JSON.stringify(listed));
  assert.match(blank.path, /^\/dev\/sd[a-z]$/);
  assert.equal(blank.sizeBytes, 256 * 2 ** 20);
  assert.equal(blank.role, 'other');
  const wrong = await post('/api/admin/disks/prepare', { disk: blank.path, confirm: 'oui' });
  assert.equal(wrong.status, 409, await wrong.clone().text());
  assert.match(((await wrong.json()) as { error: { code: string; message: string } }).error.message, /type its name exactly/);
  const prep = await post('/api/admin/disks/prepare', { disk: blank.path, confirm: blank.displayName });
  assert.equal(prep.status, 202, await prep.clone().text());
  const prepared = await job(((await prep.json()) as { id: string }).id, 'the prepare job', 300_000);
  assert.equal(prepared.state, 'done', JSON.stringify(prepared));
  await waitFor('the new storage mounted', 120_000, async () => ((await health())?.storage === 'mounted' ? true : undefined));
  log(`disks: blank USB disk prepared and mounted as the storage in ${Math.round((Date.now() - disksAt) / 1000)} s`);
  const note = 'sur le disque préparé depuis la console\n';
  const put2 = await api('/api/fs/workspace/qemu/prepared.txt', { method: 'PUT', token, body: note });
  assert.equal(put2.status, 201, await put2.clone().text());
  const after = (await (await api('/api/admin/disks', { token })).json()) as Listed;
  assert.equal(after.disks.find((d) => d.path === blank.path)?.role, 'storage');
  const importAt = Date.now();
  const partition = usbStick.partitions.find((p) => p.fsType === 'exfat')!.path;
  const imp = await post('/api/admin/disks/import', { partition, folder: 'Clé CLASSE' });
  assert.equal(imp.status, 202, await imp.clone().text());
  const imported = await job(((await imp.json()) as { id: string }).id, 'the import job', 300_000);
  assert.equal(imported.state, 'done', JSON.stringify(imported));
  assert.equal(imported.filesDone, Object.keys(STICK_FILES).length);
  assert.ok((imported.reconciled?.added ?? 0) >= Object.keys(STICK_FILES).length, JSON.stringify(imported));
  for (const [rel, content] of Object.entries(STICK_FILES)) {
    const url = `/api/fs/workspace/${['Clé CLASSE', ...rel.split('/')].map(encodeURIComponent).join('/')}`;
    const got = await api(url, { token });
    assert.equal(got.status, 200, `${url}: ${got.status}`);
    assert.equal(await got.text(), content);
  }
  log(`disks: ${Object.keys(STICK_FILES).length} files imported from the exFAT stick in ${Math.round((Date.now() - importAt) / 1000)} s`);
  // Switched off from the admin console (issue 17 item 7): the daemon asks logind through polkit, and QEMU ends.
  const t0 = Date.now();
  const off = await api('/api/admin/device/power', {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'poweroff', inSeconds: 0 }),
  });
  assert.equal(off.status, 202, await off.clone().text());
  const code = await Promise.race([vm!.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 120_000))]);
  assert.notEqual(code, 'timeout', `the VM did not power off; serial:\n${vm?.serial().slice(-3000)}`);
  log(`boot2-no-ssd: powered off through the API in ${Math.round((Date.now() - t0) / 1000)} s`);
  vm = undefined;
  // On the disk itself: one partition, ext4 labelled as the storage, holding the upload and the import.
  assert.equal(partitions(blankDisk).length, 1);
  assert.equal(
    execFileSync('blkid', ['-p', '-o', 'value', '-s', 'LABEL', '-O', String(partitions(blankDisk)[0]!.start * 512), blankDisk], { encoding: 'utf8' }).trim(),
    DATA_LABEL,
  );
  await withPartition(
    blankDisk,
    1,
    (dir) => {
      assert.equal(readFileSync(path.join(dir, 'workspace/qemu/prepared.txt'), 'utf8'), note);
      assert.equal(readFileSync(path.join(dir, 'workspace/Clé CLASSE/Sortie nature/héron.txt'), 'utf8'), STICK_FILES['Sortie nature/héron.txt']);
    },
    { readOnly: true },
  );
});
