// Readers on fixtures: fake sysfs trees, a fake vcgencmd, a fake PiSugar server, a fake systeminformation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeThrottled, parseThrottled, readThrottled, readVoltAlarm } from '../../../daemon/src/health/rpi-power.js';
import { readBattery, readIna219, readPiSugar, readPowerSupply } from '../../../daemon/src/health/battery.js';
import {
  parentDisk,
  procReaders,
  readCpuTemperature,
  readDiskIdentity,
  readDiskIo,
  readFilesystemOf,
  readLoad,
  readMemory,
} from '../../../daemon/src/health/system.js';
import { PI_SYS, fakePiSugar, fakeSi, fakeSys } from './fixtures.js';

test('get_throttled: bits 0-3 now, 16-19 since boot (firmware word in hex)', () => {
  const t = decodeThrottled(0x50005);
  assert.deepEqual(t.now, { underVoltage: true, armFreqCapped: false, throttled: true, softTempLimit: false });
  assert.deepEqual(t.sinceBoot, { underVoltage: true, armFreqCapped: false, throttled: true, softTempLimit: false });
  const t2 = decodeThrottled(0x80008 | 0x20000);
  assert.deepEqual(t2.now, { underVoltage: false, armFreqCapped: false, throttled: false, softTempLimit: true });
  assert.deepEqual(t2.sinceBoot, { underVoltage: false, armFreqCapped: true, throttled: false, softTempLimit: true });
  assert.equal(parseThrottled('50005\n'), 0x50005);
  assert.equal(parseThrottled('throttled=0x0'), 0);
  assert.equal(parseThrottled('0x50000'), 0x50000);
  assert.equal(parseThrottled('garbage'), null);
});

test('rpi power from a fake sysfs: get_throttled and the rpi_volt alarm', async () => {
  const sys = fakeSys(PI_SYS('50000', '1'));
  const r = await readThrottled({ sysRoot: sys, vcgencmd: null });
  assert.equal(r.value?.source, 'sysfs');
  assert.equal(r.value?.now.underVoltage, false);
  assert.equal(r.value?.sinceBoot.underVoltage, true);
  assert.equal(r.value?.sinceBoot.throttled, true);
  assert.deepEqual(await readVoltAlarm({ sysRoot: sys }), { value: true });
  fs.rmSync(sys, { recursive: true });
});

test('rpi power: unknown with a reason off a Pi; vcgencmd as the fallback', async () => {
  const empty = fakeSys({ 'class/hwmon/hwmon0/name': 'acpitz\n' });
  const none = await readThrottled({ sysRoot: empty, vcgencmd: null });
  assert.equal(none.value, null);
  assert.match(none.reason!, /get_throttled/);
  const missing = await readThrottled({ sysRoot: empty, vcgencmd: path.join(empty, 'no-such-vcgencmd') });
  assert.equal(missing.value, null);
  assert.match(missing.reason!, /vcgencmd not available/);
  const alarm = await readVoltAlarm({ sysRoot: empty });
  assert.equal(alarm.value, null);
  assert.match(alarm.reason!, /rpi_volt/);

  const fake = path.join(empty, 'vcgencmd');
  fs.writeFileSync(fake, '#!/bin/sh\n[ "$1" = get_throttled ] && echo "throttled=0x50005"\n', { mode: 0o755 });
  const viaCmd = await readThrottled({ sysRoot: empty, vcgencmd: fake });
  assert.equal(viaCmd.value?.source, 'vcgencmd');
  assert.equal(viaCmd.value?.raw, 0x50005);
  assert.equal(viaCmd.value?.now.underVoltage, true);

  const odd = fakeSys({ 'devices/platform/soc/soc:firmware/get_throttled': 'zzz' });
  const bad = await readThrottled({ sysRoot: odd, vcgencmd: null });
  assert.equal(bad.value, null);
  assert.match(bad.reason!, /unreadable/);
  fs.rmSync(empty, { recursive: true });
  fs.rmSync(odd, { recursive: true });
});

test('power_supply: a battery, its units (µV, µA), and the mains input', async () => {
  const sys = fakeSys({
    'class/power_supply/AC/type': 'Mains\n',
    'class/power_supply/AC/online': '1\n',
    'class/power_supply/BAT0/type': 'Battery\n',
    'class/power_supply/BAT0/present': '1\n',
    'class/power_supply/BAT0/capacity': '57\n',
    'class/power_supply/BAT0/status': 'Charging\n',
    'class/power_supply/BAT0/voltage_now': '3912000\n',
  });
  const r = await readPowerSupply({ sysRoot: sys });
  assert.equal(r.value?.device, 'BAT0');
  assert.deepEqual(r.value?.percent, { value: 57 });
  assert.deepEqual(r.value?.charging, { value: true });
  assert.deepEqual(r.value?.pluggedIn, { value: true });
  assert.deepEqual(r.value?.voltageV, { value: 3.912 });
  assert.equal(r.value?.currentA.value, null);
  assert.match(r.value!.currentA.reason!, /current_now/);
  fs.rmSync(sys, { recursive: true });

  const noBat = fakeSys({ 'class/power_supply/AC/type': 'Mains\n', 'class/power_supply/AC/online': '1\n' });
  const n = await readPowerSupply({ sysRoot: noBat });
  assert.equal(n.value, null);
  assert.match(n.reason!, /no battery/);
  fs.rmSync(noBat, { recursive: true });

  const nothing = await readBattery({ source: 'none' });
  assert.equal(nothing.value, null);
  assert.match(nothing.reason!, /HCD_BATTERY=none/);
});

test('INA219 through its hwmon: volts and amps, the charge stays unknown', async () => {
  const sys = fakeSys({
    'class/hwmon/hwmon2/name': 'ina219\n',
    'class/hwmon/hwmon2/in1_input': '8112\n',
    'class/hwmon/hwmon2/curr1_input': '-640\n',
  });
  const r = await readIna219({ sysRoot: sys });
  assert.deepEqual(r.value?.voltageV, { value: 8.112 });
  assert.deepEqual(r.value?.currentA, { value: -0.64 });
  assert.deepEqual(r.value?.charging, { value: false });
  assert.equal(r.value?.percent.value, null);
  const none = await readIna219({ sysRoot: fakeSys({}) });
  assert.match(none.reason!, /ina219/);
  fs.rmSync(sys, { recursive: true });
});

test('PiSugar over TCP: answers matched by prefix, button events and errors ignored', async () => {
  const srv = await fakePiSugar(
    {
      'get model': 'model: PiSugar 3',
      'get battery': 'battery: 87.5',
      'get battery_v': 'battery_v: 4.05',
      'get battery_i': 'battery_i: I2C bus error',
      'get battery_charging': 'battery_charging: false',
      'get battery_power_plugged': 'battery_power_plugged: true',
    },
    { before: ['single'] },
  );
  const r = await readPiSugar({ address: srv.address });
  assert.equal(r.value?.device, 'PiSugar 3');
  assert.deepEqual(r.value?.percent, { value: 87.5 });
  assert.deepEqual(r.value?.voltageV, { value: 4.05 });
  assert.deepEqual(r.value?.charging, { value: false });
  assert.deepEqual(r.value?.pluggedIn, { value: true });
  assert.equal(r.value?.currentA.value, null);
  assert.match(r.value!.currentA.reason!, /I2C bus error/);
  assert.deepEqual(srv.received.slice(0, 2), ['get model', 'get battery']);
  await srv.close();
});

test('PiSugar: an old server that does not know a command, and no server at all', async () => {
  // Unknown commands get no prefixed answer: each is skipped after its own short deadline.
  const srv = await fakePiSugar({ 'get battery': 'battery: 12', 'get battery_charging': 'battery_charging: true' });
  const t0 = Date.now();
  const r = await readPiSugar({ address: srv.address, timeoutMs: 400 });
  assert.ok(Date.now() - t0 < 3000);
  assert.deepEqual(r.value?.percent, { value: 12 });
  assert.deepEqual(r.value?.charging, { value: true });
  assert.equal(r.value?.pluggedIn.value, null);
  await srv.close();

  const gone = await readPiSugar({ address: srv.address, timeoutMs: 400 });
  assert.equal(gone.value, null);
  assert.match(gone.reason!, /cannot reach|no connection/);
});

test('systeminformation readers: values rounded, unknowns with reasons', async () => {
  const si = fakeSi('/srv/homedrive');
  assert.deepEqual(await readCpuTemperature(si), { value: 52.3 });
  assert.match((await readCpuTemperature(fakeSi('/x', { cpuTemperature: { main: null } }))).reason!, /no CPU temperature/);
  assert.deepEqual(await readLoad(si), { value: { load1: 0.5, load5: 0.25, load15: 0.13, cores: 4, cpuPercent: 12.3 } });
  assert.equal((await readMemory(si)).value?.usedPercent, 25);
  const data = await readFilesystemOf(si, '/srv/homedrive/workspace');
  assert.equal(data.value?.mount, '/srv/homedrive');
  assert.equal(data.value?.device, '/dev/sda1');
  assert.equal(data.value?.usedPercent, 25);
  assert.equal((await readFilesystemOf(si, '/')).value?.device, '/dev/mmcblk0p2');
  // "/srv/homedrive-old" is not inside "/srv/homedrive": it lives on the root filesystem.
  assert.equal((await readFilesystemOf(si, '/srv/homedrive-old')).value?.mount, '/');
  const id = await readDiskIdentity(si, '/srv/homedrive');
  assert.deepEqual(id.value, { device: '/dev/sda', model: 'PSSD T7', serial: 'S5SXNS0R123456', vendor: 'Samsung', interface: 'USB', sizeBytes: 1e12 });
  const loop = fakeSi('/mnt', {
    blockDevices: [{ name: 'loop0', type: 'loop', mount: '/mnt', model: '', serial: '', removable: false, protocol: '' }],
    diskLayout: [],
  });
  assert.match((await readDiskIdentity(loop, '/mnt')).reason!, /neither model nor serial/);
  assert.match((await readDiskIdentity(si, '/nowhere')).reason!, /no block device/);
  assert.deepEqual((await readDiskIo(si)).value, { readOpsPerSec: 1.23, writeOpsPerSec: 5.68, readOpsTotal: 100, writeOpsTotal: 200 });
  assert.match((await readDiskIo(fakeSi('/', { disksIO: { rIO_sec: null, wIO_sec: null, rIO: 1, wIO: 1 } }))).reason!, /first reading/);
  assert.equal(parentDisk('sda1'), 'sda');
  assert.equal(parentDisk('nvme0n1p2'), 'nvme0n1');
  assert.equal(parentDisk('mmcblk0p2'), 'mmcblk0');
});

test('/proc and /sys readers (no shell started): CPU temperature of the CPU zone, CPU % between readings, block-device mounts', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-proc-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const put = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  const r = procReaders(root);
  assert.deepEqual(await r.cpuTemperature(), { main: null }, 'no thermal zone: unknown');
  put('sys/class/thermal/thermal_zone0/type', 'acpitz\n');
  put('sys/class/thermal/thermal_zone0/temp', '27800\n');
  put('sys/class/thermal/thermal_zone1/type', 'cpu-thermal\n');
  put('sys/class/thermal/thermal_zone1/temp', '48312\n');
  assert.deepEqual(await r.cpuTemperature(), { main: 48.312 }, "the CPU's zone, not the first");
  assert.deepEqual(await readCpuTemperature({ ...fakeSi('/'), ...r }), { value: 48.3 });

  // user nice system idle iowait irq softirq steal
  put('proc/stat', 'cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 50 0 50 350 50 0 0 0 0 0\n');
  assert.deepEqual(await r.currentLoad(), { currentLoad: 20 }, 'since boot: 200 busy of 1000');
  put('proc/stat', 'cpu  160 0 120 720 100 0 0 0 0 0\n');
  assert.deepEqual(await r.currentLoad(), { currentLoad: 80 }, 'since the last reading: 80 busy of 100');
  put('proc/stat', 'intr 1 2 3\n');
  await assert.rejects(r.currentLoad(), /no "cpu" line/);

  const data = path.join(root, 'my data'); // statfs answers for any real folder: these stand for mount points
  fs.mkdirSync(data);
  put(
    'proc/mounts',
    [
      `/dev/sda1 ${data.replace(/ /g, '\\040')} ext4 rw,noatime 0 0`,
      `/dev/mmcblk0p2 ${root} ext4 rw 0 0`,
      'proc /proc proc rw 0 0',
      `tmpfs ${root}/run tmpfs rw 0 0`,
      `/dev/loop0 ${root}/snap squashfs ro 0 0`,
      `/dev/sdb1 ${root}/gone vfat rw 0 0`,
    ].join('\n'),
  );
  const mounts = await r.fsSize();
  assert.deepEqual(
    mounts.map((m) => [m.fs, m.mount, m.type]),
    [
      ['/dev/sda1', data, 'ext4'],
      ['/dev/mmcblk0p2', root, 'ext4'],
    ],
    'block devices only, names unescaped; a mount point that cannot be stat’ed is left out',
  );
  assert.ok(mounts[0]!.size > 0 && mounts[0]!.available > 0 && mounts[0]!.used >= 0);
});
