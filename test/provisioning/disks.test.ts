// The root helper's disk management without touching a disk: lsblk output as a Pi prints it parsed
// into disks and roles, the path rules, the prepare plan's exact program calls and its refusals (run
// through a recording stand-in for execFile), read-only mounts and eject against a stand-in mount and
// /sys, and copyTree between temporary directories.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  copyTree,
  DiskError,
  eject,
  ejectDiskPath,
  execRun,
  LSBLK_ARGS,
  listDisks,
  mountOptions,
  mountReadOnly,
  numbered,
  parseBlkidExport,
  parseLsblk,
  partitionOf,
  partitionPath,
  prepareDisk,
  preparePlan,
  unmount,
  wholeDiskPath,
  type Disk,
  type PrepareProgress,
  type Run,
  type RunResult,
} from '../../provisioning/helper/disks.js';
import { blankSsd, emptyReader, lsblk, PI, sdCard, ssd, stick, zram } from './helpers/lsblk-fixtures.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-disks-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A stand-in for execFile: records every call, answers from `answer` (default: success). */
function recorder(answer: (file: string, args: string[]) => Partial<RunResult> = () => ({})) {
  const calls: { file: string; args: string[]; input?: string }[] = [];
  const run: Run = async (file, args, options = {}) => {
    calls.push(options.input === undefined ? { file, args } : { file, args, input: options.input });
    return { code: 0, stdout: '', stderr: '', ...answer(file, args) };
  };
  return { run, calls };
}

const byPath = (disks: Disk[], p: string) => disks.find((d) => d.path === p)!;

test('parses a Pi: the SD card is the system, the SSD the storage, the stick other; zram and an empty reader are not listed', () => {
  const disks = parseLsblk(PI, { rootSource: '/dev/mmcblk0p2', storageMount: '/srv/homedrive' });
  assert.deepEqual(
    disks.map((d) => d.path),
    ['/dev/mmcblk0', '/dev/sda', '/dev/sdb'],
  );
  assert.deepEqual(byPath(disks, '/dev/mmcblk0'), {
    path: '/dev/mmcblk0',
    name: 'mmcblk0',
    model: null,
    displayName: '/dev/mmcblk0',
    sizeBytes: 31914983424,
    transport: 'mmc',
    removable: false,
    readOnly: false,
    partitions: [
      { path: '/dev/mmcblk0p1', fsType: 'vfat', label: 'RASPIFIRM', sizeBytes: 268435456, mountpoint: '/boot/firmware' },
      { path: '/dev/mmcblk0p2', fsType: 'ext4', label: 'RASPIROOT', sizeBytes: 31645499392, mountpoint: '/' },
    ],
    role: 'system',
  });
  const sda = byPath(disks, '/dev/sda');
  // The SCSI inquiry's padding is gone from the model, and a USB SSD (rm=0, hotplug=1) is removable.
  assert.equal(sda.model, 'PSSD T7');
  assert.equal(sda.displayName, '/dev/sda PSSD T7');
  assert.equal(sda.transport, 'usb');
  assert.equal(sda.removable, true);
  assert.equal(sda.role, 'storage');
  assert.deepEqual(sda.partitions, [{ path: '/dev/sda1', fsType: 'ext4', label: 'HOMEDRIVE', sizeBytes: 1000203091968, mountpoint: '/srv/homedrive' }]);
  const sdb = byPath(disks, '/dev/sdb');
  assert.equal(sdb.role, 'other');
  assert.equal(sdb.displayName, '/dev/sdb Ultra Fit');
  assert.deepEqual(sdb.partitions, [{ path: '/dev/sdb1', fsType: 'exfat', label: 'CLE USB', sizeBytes: 30764171264, mountpoint: null }]);
});

test('roles without mount points: / found by its source marks the system; an unmounted HOMEDRIVE disk is the storage', () => {
  const disks = parseLsblk(lsblk(sdCard(false), ssd(null), stick()), { rootSource: '/dev/mmcblk0p2' });
  assert.deepEqual(
    disks.map((d) => d.role),
    ['system', 'storage', 'other'],
  );
  // Without the root's source and without mount points, nothing says the SD card holds the system.
  assert.equal(parseLsblk(lsblk(sdCard(false)), {})[0]!.role, 'other');
});

test('a mounted storage disk wins over another disk that merely carries the label', () => {
  const second = ssd(null);
  second.name = 'sdc';
  second.path = '/dev/sdc';
  second.children![0]!.name = 'sdc1';
  second.children![0]!.path = '/dev/sdc1';
  second.children![0]!.pkname = 'sdc';
  const disks = parseLsblk(lsblk(sdCard(), ssd(), second), { storageMount: '/srv/homedrive' });
  assert.equal(byPath(disks, '/dev/sda').role, 'storage');
  assert.equal(byPath(disks, '/dev/sdc').role, 'other');
});

test('a Pi booted from its USB SSD: that disk is the system, never the storage', () => {
  const usbBoot = lsblk({
    name: 'sda',
    path: '/dev/sda',
    type: 'disk',
    size: 256060514304,
    model: 'Extreme SSD',
    tran: 'usb',
    hotplug: true,
    children: [
      { name: 'sda1', path: '/dev/sda1', type: 'part', size: 268435456, fstype: 'vfat', mountpoints: ['/boot/firmware'], pkname: 'sda' },
      { name: 'sda2', path: '/dev/sda2', type: 'part', size: 255790000000, fstype: 'ext4', label: 'HOMEDRIVE', mountpoints: ['/'], pkname: 'sda' },
    ],
  });
  assert.equal(parseLsblk(usbBoot, {})[0]!.role, 'system');
});

test('older lsblk output: "0"/"1" flags, MOUNTPOINT only, a flat --list with PKNAME, a file system on the whole stick', () => {
  const flat = {
    blockdevices: [
      { name: 'sdb', path: '/dev/sdb', type: 'disk', size: '8053063680', model: 'Cruzer', tran: 'usb', rm: '1', ro: '0', hotplug: '1', pkname: null },
      { name: 'sdb1', path: '/dev/sdb1', type: 'part', size: '8052015104', fstype: 'vfat', label: 'PHOTOS', mountpoint: '/media/x', pkname: 'sdb' },
      { name: 'sdc', path: '/dev/sdc', type: 'disk', size: '4026531840', tran: 'usb', rm: '1', ro: '1', hotplug: '1', fstype: 'vfat', label: 'OLD' },
    ],
  };
  const [sdb, sdc] = parseLsblk(flat, {});
  assert.equal(sdb!.sizeBytes, 8053063680);
  assert.equal(sdb!.removable, true);
  assert.deepEqual(sdb!.partitions, [{ path: '/dev/sdb1', fsType: 'vfat', label: 'PHOTOS', sizeBytes: 8052015104, mountpoint: '/media/x' }]);
  assert.equal(sdc!.readOnly, true);
  assert.deepEqual(sdc!.partitions, [{ path: '/dev/sdc', fsType: 'vfat', label: 'OLD', sizeBytes: 4026531840, mountpoint: null }]);
  assert.throws(() => parseLsblk({ nothing: [] }, {}), /blockdevices/);
});

test('loop devices are listed only when asked for (the root test), zram and 0-byte readers never', () => {
  const loop = { name: 'loop3', path: '/dev/loop3', type: 'loop', size: 67108864 };
  assert.deepEqual(parseLsblk(lsblk(loop, zram, emptyReader), {}), []);
  assert.deepEqual(
    parseLsblk(lsblk(loop, zram, emptyReader), { types: ['disk', 'loop'] }).map((d) => d.path),
    ['/dev/loop3'],
  );
});

test('listDisks runs lsblk with the columns and findmnt for the root, then parses', async () => {
  const { run, calls } = recorder((file) => (file === 'lsblk' ? { stdout: JSON.stringify(lsblk(sdCard(false), stick())) } : { stdout: '/dev/mmcblk0p2\n' }));
  const disks = await listDisks(run);
  assert.deepEqual(calls, [
    {
      file: 'lsblk',
      args: ['--json', '--bytes', '--output', 'NAME,PATH,TYPE,SIZE,MODEL,VENDOR,SERIAL,TRAN,RM,RO,HOTPLUG,FSTYPE,LABEL,UUID,MOUNTPOINT,MOUNTPOINTS,PKNAME'],
    },
    { file: 'findmnt', args: ['--noheadings', '--output', 'SOURCE', '--mountpoint', '/'] },
  ]);
  assert.deepEqual(LSBLK_ARGS, calls[0]!.args);
  assert.deepEqual(
    disks.map((d) => d.role),
    ['system', 'other'],
  );
  const failing = recorder(() => ({ code: 1, stderr: 'lsblk: unknown column: MOUNTPOINTS' }));
  await assert.rejects(listDisks(failing.run), /lsblk failed: lsblk: unknown column: MOUNTPOINTS/);
});

test('without udev (lsblk shows no type or label), listDisks asks blkid -p for each blank partition, backslash escapes undone', async () => {
  const loop = { name: 'loop0', path: '/dev/loop0', type: 'loop', size: 67108864 };
  const bare = lsblk(sdCard(), stick(), blankSsd(), zram, emptyReader, loop);
  for (const d of bare.blockdevices) for (const c of d.children ?? []) Object.assign(c, { fstype: null, label: null });
  const { run, calls } = recorder((file, args) => {
    if (file === 'lsblk') return { stdout: JSON.stringify(bare) };
    if (file === 'findmnt') return { stdout: '/dev/mmcblk0p2\n' };
    if (args.at(-1) === '/dev/sdb1') return { stdout: 'UUID=6A3E-91F2\nBLOCK_SIZE=512\nLABEL=CLE\\ USB\nTYPE=exfat\n' };
    if (args.at(-1) === '/dev/mmcblk0p2') return { stdout: 'LABEL=RASPIROOT\nTYPE=ext4\n' };
    // blkid -p finds nothing on the blank SSD (exit 2), nor here, and says so.
    return { code: 2 };
  });
  const disks = await listDisks(run);
  assert.deepEqual(
    calls.filter((c) => c.file === 'blkid').map((c) => c.args.join(' ')),
    ['-p -o export /dev/mmcblk0p1', '-p -o export /dev/mmcblk0p2', '-p -o export /dev/sdb1', '-p -o export /dev/sdc'],
  );
  assert.deepEqual(byPath(disks, '/dev/sdb').partitions[0], { path: '/dev/sdb1', fsType: 'exfat', label: 'CLE USB', sizeBytes: 30764171264, mountpoint: null });
  assert.deepEqual(
    byPath(disks, '/dev/mmcblk0').partitions.map((p) => [p.fsType, p.label]),
    [
      [null, null],
      ['ext4', 'RASPIROOT'],
    ],
  );
  assert.deepEqual(byPath(disks, '/dev/sdc').partitions, []);
  assert.deepEqual(parseBlkidExport('LABEL=Cl\\\\e\\ \\$HOME\nTYPE=vfat\n\n'), { LABEL: 'Cl\\e $HOME', TYPE: 'vfat' });
});

test('execRun: the script on standard input, the exit code, a missing program as -1 with its reason, no shell', async () => {
  assert.deepEqual(await execRun('cat', [], { input: 'label: gpt\n' }), { code: 0, stdout: 'label: gpt\n', stderr: '' });
  const failed = await execRun('sh', ['-c', 'echo busy >&2; exit 3']);
  assert.deepEqual(failed, { code: 3, stdout: '', stderr: 'busy\n' });
  const missing = await execRun('no-such-program-hcd', ['x']);
  assert.equal(missing.code, -1);
  assert.match(missing.stderr, /ENOENT/);
  // An argument is one argument: nothing in it is interpreted.
  assert.equal((await execRun('echo', ['/dev/sda; rm -rf /', '$HOME'])).stdout, '/dev/sda; rm -rf / $HOME\n');
});

test('path rules: whole disks, partitions and ejectable disks; everything else refused with a message naming it', () => {
  for (const ok of ['/dev/sda', '/dev/sdz', '/dev/sdab', '/dev/nvme0n1', '/dev/nvme1n2']) assert.ok(wholeDiskPath.safeParse(ok).success, ok);
  for (const ok of ['/dev/sdb1', '/dev/sdab12', '/dev/nvme0n1p1']) assert.ok(partitionPath.safeParse(ok).success, ok);
  const message = (schema: typeof wholeDiskPath, v: unknown) => {
    const r = schema.safeParse(v);
    assert.equal(r.success, false, `${JSON.stringify(v)} accepted`);
    return r.error!.issues[0]!.message;
  };
  assert.match(message(wholeDiskPath, '/dev/mmcblk0'), /^"\/dev\/mmcblk0" is not a whole USB, SATA or NVMe disk \(an SD card or eMMC holds the system/);
  assert.match(message(wholeDiskPath, '/dev/sda/../mmcblk0'), /^"\/dev\/sda\/\.\.\/mmcblk0" is not a whole .*expected \/dev\/sdX or \/dev\/nvmeXnY$/);
  assert.match(message(wholeDiskPath, '/dev/sda; rm -rf /'), /^"\/dev\/sda; rm -rf \/" is not a whole/);
  for (const bad of [
    '/dev/sda1',
    '/dev/sda\n',
    'sda',
    '/dev/sdA',
    '/dev/sdabc',
    '/dev/loop0',
    '/dev/nvme0n1p1',
    '/dev/disk/by-label/HOMEDRIVE',
    ' /dev/sda',
    '',
    42,
    null,
  ])
    message(wholeDiskPath, bad);
  for (const bad of ['/dev/sdb', '/dev/sdb0', '/dev/mmcblk0p1', '/dev/sdb1/../../mmcblk0p2', '/dev/sdb1 ', '/dev/nvme0n1', '/dev/loop0p1'])
    message(partitionPath, bad);
  assert.ok(ejectDiskPath.safeParse('/dev/sdb').success);
  assert.match(message(ejectDiskPath, '/dev/nvme0n1'), /not a USB disk that can be ejected; expected \/dev\/sdX/);
  // A long value is cut in the message, not echoed whole.
  assert.ok(message(wholeDiskPath, `/dev/${'x'.repeat(500)}`).length < 250);
});

test('partition names: a digit at the end of the disk name takes "p"', () => {
  assert.equal(partitionOf('/dev/sdc', 1), '/dev/sdc1');
  assert.equal(partitionOf('/dev/nvme0n1', 1), '/dev/nvme0n1p1');
  assert.equal(partitionOf('/dev/loop7', 1), '/dev/loop7p1');
});

const PI_WITHOUT_SSD = () => parseLsblk(lsblk(sdCard(), stick(), blankSsd()), { storageMount: '/srv/homedrive' });

test('the prepare plan: the old partitions then the disk wiped, one GPT partition, ext4 HOMEDRIVE', () => {
  const plan = preparePlan(byPath(PI_WITHOUT_SSD(), '/dev/sdb'));
  assert.deepEqual(plan, {
    disk: '/dev/sdb',
    partition: '/dev/sdb1',
    wipe: [
      { file: 'wipefs', args: ['--all', '/dev/sdb1'] },
      { file: 'wipefs', args: ['--all', '/dev/sdb'] },
    ],
    partitionTable: {
      file: 'sfdisk',
      args: ['--wipe', 'always', '--wipe-partitions', 'always', '/dev/sdb'],
      input: 'label: gpt\n,,0FC63DAF-8483-4772-8E79-3D69D8477DE4,\n',
    },
    rescan: { file: 'partx', args: ['--update', '/dev/sdb'] },
    settle: { file: 'udevadm', args: ['settle', '--timeout=10'] },
    format: { file: 'mkfs.ext4', args: ['-F', '-L', 'HOMEDRIVE', '-m', '0', '-E', 'lazy_itable_init=1', '/dev/sdb1'] },
  });
  // A blank disk has nothing but itself to wipe.
  assert.deepEqual(preparePlan(byPath(PI_WITHOUT_SSD(), '/dev/sdc')).wipe, [{ file: 'wipefs', args: ['--all', '/dev/sdc'] }]);
});

test('prepareDisk runs the plan in order with progress, and formats only once the new node is there', async () => {
  const { run, calls } = recorder();
  const steps: PrepareProgress[] = [];
  const seen: string[] = [];
  const result = await prepareDisk(
    { disk: '/dev/sdb', confirm: '/dev/sdb   Ultra Fit ' },
    {
      run,
      listDisks: async () => PI_WITHOUT_SSD(),
      isBlockDevice: async (p) => {
        seen.push(p);
        return true;
      },
    },
    (p) => steps.push(p),
  );
  assert.deepEqual(result, { disk: '/dev/sdb', partition: '/dev/sdb1', fsType: 'ext4', label: 'HOMEDRIVE' });
  assert.deepEqual(
    calls.map((c) => [c.file, ...c.args].join(' ')),
    [
      'wipefs --all /dev/sdb1',
      'wipefs --all /dev/sdb',
      'sfdisk --wipe always --wipe-partitions always /dev/sdb',
      'partx --update /dev/sdb',
      'udevadm settle --timeout=10',
      'mkfs.ext4 -F -L HOMEDRIVE -m 0 -E lazy_itable_init=1 /dev/sdb1',
    ],
  );
  assert.equal(calls[2]!.input, 'label: gpt\n,,0FC63DAF-8483-4772-8E79-3D69D8477DE4,\n');
  assert.deepEqual(seen, ['/dev/sdb1']);
  assert.deepEqual(
    steps.map((s) => s.step),
    ['wipe', 'partition', 'format', 'done'],
  );
  assert.ok(steps.every((s) => s.disk === '/dev/sdb'));
});

test('prepareDisk without udevd: settle fails, the node appears late (after partx), then mkfs; never: an error, no mkfs', async () => {
  const { run, calls } = recorder((file) => (file === 'udevadm' ? { code: -1, stderr: 'spawn udevadm ENOENT' } : {}));
  let asked = 0;
  await prepareDisk(
    { disk: '/dev/sdc', confirm: '/dev/sdc Extreme SSD' },
    // The third look finds it: mkfs waited for it.
    { run, listDisks: async () => PI_WITHOUT_SSD(), isBlockDevice: async () => ++asked >= 3, nodeWaitMs: 2000 },
  );
  assert.equal(asked, 3);
  assert.deepEqual(
    calls.map((c) => c.file),
    ['wipefs', 'sfdisk', 'partx', 'udevadm', 'mkfs.ext4'],
  );
  // Still no node after partx: a clear error, and no mkfs on a path that is not there.
  const never = recorder();
  await assert.rejects(
    prepareDisk(
      { disk: '/dev/sdc', confirm: '/dev/sdc Extreme SSD' },
      { run: never.run, listDisks: async () => PI_WITHOUT_SSD(), isBlockDevice: async () => false, nodeWaitMs: 50 },
    ),
    (err: DiskError) => err.code === 'no_partition' && /preparing \/dev\/sdc Extreme SSD: the new partition \/dev\/sdc1 did not appear/.test(err.message),
  );
  assert.ok(!never.calls.some((c) => c.file === 'mkfs.ext4'));
});

test('prepareDisk: a failing program stops the plan and names the disk and the program', async () => {
  const { run, calls } = recorder((file) => (file === 'sfdisk' ? { code: 1, stderr: 'sfdisk: cannot open /dev/sdc: Device or resource busy' } : {}));
  await assert.rejects(
    prepareDisk({ disk: '/dev/sdc', confirm: '/dev/sdc Extreme SSD' }, { run, listDisks: async () => PI_WITHOUT_SSD(), isBlockDevice: async () => true }),
    (err: DiskError) =>
      err.code === 'command_failed' && err.message === 'preparing /dev/sdc Extreme SSD: sfdisk failed: sfdisk: cannot open /dev/sdc: Device or resource busy',
  );
  assert.deepEqual(
    calls.map((c) => c.file),
    ['wipefs', 'sfdisk'],
  );
});

test('prepareDisk refuses, before running anything: bad paths, unknown, system, storage, mounted, read-only disks, a second HOMEDRIVE, a wrong confirmation', async () => {
  const refusals: [unknown, Disk[], string, RegExp][] = [
    [{ disk: '/dev/mmcblk0', confirm: '/dev/mmcblk0' }, PI_WITHOUT_SSD(), 'bad_request', /SD card or eMMC holds the system/],
    [{ disk: '/dev/sda; rm -rf /', confirm: 'x' }, PI_WITHOUT_SSD(), 'bad_request', /is not a whole USB, SATA or NVMe disk/],
    [{ disk: '/dev/sdc', confirm: '/dev/sdc Extreme SSD', force: true }, PI_WITHOUT_SSD(), 'bad_request', /force/],
    [{ disk: '/dev/sdc' }, PI_WITHOUT_SSD(), 'bad_request', /./],
    [{ disk: '/dev/sde', confirm: '/dev/sde' }, PI_WITHOUT_SSD(), 'not_found', /^No disk \/dev\/sde is connected$/],
    [
      { disk: '/dev/sda', confirm: '/dev/sda Extreme SSD' },
      parseLsblk(
        lsblk({
          name: 'sda',
          path: '/dev/sda',
          type: 'disk',
          size: 256060514304,
          model: 'Extreme SSD',
          children: [{ name: 'sda2', path: '/dev/sda2', type: 'part', size: 1, mountpoints: ['/'], pkname: 'sda' }],
        }),
      ),
      'system_disk',
      /^\/dev\/sda Extreme SSD holds the system/,
    ],
    [
      { disk: '/dev/sda', confirm: '/dev/sda PSSD T7' },
      parseLsblk(PI),
      'storage_disk',
      /^\/dev\/sda PSSD T7 holds the drive's storage \(file system HOMEDRIVE\): it is never erased from here$/,
    ],
    [
      { disk: '/dev/sdb', confirm: '/dev/sdb Ultra Fit' },
      parseLsblk(lsblk(sdCard(), stick('/run/homedrive/usb/sdb1'))),
      'mounted',
      /^\/dev\/sdb Ultra Fit: \/dev\/sdb1 is mounted at \/run\/homedrive\/usb\/sdb1; eject it first$/,
    ],
    [
      { disk: '/dev/sdb', confirm: '/dev/sdb Ultra Fit' },
      parseLsblk(PI),
      'label_in_use',
      /^\/dev\/sda PSSD T7 already has a HOMEDRIVE file system: .*unplug it before preparing \/dev\/sdb Ultra Fit$/,
    ],
    [
      { disk: '/dev/sdb', confirm: '/dev/sdb' },
      PI_WITHOUT_SSD(),
      'confirm_mismatch',
      /^To erase \/dev\/sdb Ultra Fit, type its name exactly: "\/dev\/sdb Ultra Fit"/,
    ],
    [{ disk: '/dev/sdb', confirm: '/dev/sdc Extreme SSD' }, PI_WITHOUT_SSD(), 'confirm_mismatch', /To erase \/dev\/sdb Ultra Fit/],
  ];
  const ro = PI_WITHOUT_SSD();
  byPath(ro, '/dev/sdc').readOnly = true;
  refusals.push([{ disk: '/dev/sdc', confirm: '/dev/sdc Extreme SSD' }, ro, 'read_only', /^\/dev\/sdc Extreme SSD is read-only/]);
  for (const [args, disks, code, message] of refusals) {
    const { run, calls } = recorder();
    await assert.rejects(prepareDisk(args, { run, listDisks: async () => disks, isBlockDevice: async () => true }), (err: DiskError) => {
      assert.ok(err instanceof DiskError, String(err));
      assert.equal(err.code, code, `${JSON.stringify(args)}: ${err.message}`);
      assert.match(err.message, message);
      return true;
    });
    assert.deepEqual(calls, [], `${JSON.stringify(args)} ran ${JSON.stringify(calls)}`);
  }
});

test('read-only mount options: inert everywhere; utf8 names on FAT; no journal replay on ext4', () => {
  assert.equal(mountOptions('vfat'), 'ro,nosuid,nodev,noexec,umask=022,utf8');
  assert.equal(mountOptions('exfat'), 'ro,nosuid,nodev,noexec,umask=022');
  assert.equal(mountOptions('exfat-fuse'), 'ro,nosuid,nodev,noexec,umask=022');
  assert.equal(mountOptions('ntfs3'), 'ro,nosuid,nodev,noexec,umask=022');
  assert.equal(mountOptions('ext4'), 'ro,nosuid,nodev,noexec,noload');
});

test('mountReadOnly: the kernel driver first, the FUSE one on "unknown filesystem type", under the mount root', async () => {
  const root = path.join(tmp, 'usb');
  const { run, calls } = recorder((_f, args) => (args[1] === 'exfat' ? { code: 32, stderr: "mount: /x: unknown filesystem type 'exfat'." } : {}));
  // As exfat-fuse does: noexec dropped, until the bind remount sets it.
  const flags = () =>
    calls.some((c) => c.args[1]?.startsWith('remount')) ? ['ro', 'nosuid', 'nodev', 'noexec', 'relatime'] : ['ro', 'nosuid', 'nodev', 'relatime'];
  const r = await mountReadOnly('/dev/sdb1', 'exfat', { run, listDisks: async () => parseLsblk(PI), mountRoot: root, mountFlags: async () => flags() });
  assert.deepEqual(r, { partition: '/dev/sdb1', mountpoint: path.join(root, 'sdb1'), fsType: 'exfat', driver: 'exfat-fuse' });
  assert.deepEqual(calls, [
    { file: 'mount', args: ['-t', 'exfat', '-o', 'ro,nosuid,nodev,noexec,umask=022', '/dev/sdb1', path.join(root, 'sdb1')] },
    { file: 'mount', args: ['-t', 'exfat-fuse', '-o', 'ro,nosuid,nodev,noexec,umask=022', '/dev/sdb1', path.join(root, 'sdb1')] },
    { file: 'mount', args: ['-o', 'remount,bind,ro,nosuid,nodev,noexec', path.join(root, 'sdb1')] },
  ]);
  assert.ok(fs.statSync(path.join(root, 'sdb1')).isDirectory());
  // Not mounted (the stand-in mounted nothing): unmount only removes the directory.
  const u = recorder();
  assert.deepEqual(await unmount('/dev/sdb1', { run: u.run, mountRoot: root }), { partition: '/dev/sdb1', wasMounted: false });
  assert.deepEqual(u.calls, []);
  assert.equal(fs.existsSync(path.join(root, 'sdb1')), false);

  // All flags there at once: no remount. Still missing after the remount: unmounted, and an error.
  const fine = recorder();
  await mountReadOnly('/dev/sdb1', 'exfat', {
    run: fine.run,
    listDisks: async () => parseLsblk(PI),
    mountRoot: root,
    mountFlags: async () => ['ro', 'nosuid', 'nodev', 'noexec'],
  });
  assert.deepEqual(
    fine.calls.map((c) => c.args[1]),
    ['exfat'],
  );
  fs.rmdirSync(path.join(root, 'sdb1'));
  const stubborn = recorder();
  await assert.rejects(
    mountReadOnly('/dev/sdb1', 'exfat', { run: stubborn.run, listDisks: async () => parseLsblk(PI), mountRoot: root, mountFlags: async () => ['ro', 'nodev'] }),
    /^Error: \/dev\/sdb1 \(\/dev\/sdb Ultra Fit\) was mounted without nosuid, noexec and could not be made so: unmounted$/,
  );
  assert.deepEqual(stubborn.calls.at(-1), { file: 'umount', args: [path.join(root, 'sdb1')] });
  assert.equal(fs.existsSync(path.join(root, 'sdb1')), false);

  // Another failure (a damaged file system) is not retried with another driver; the directory goes.
  const bad = recorder(() => ({ code: 32, stderr: 'mount: /x: wrong fs type, bad option, bad superblock on /dev/sdb1' }));
  await assert.rejects(
    mountReadOnly('/dev/sdb1', 'exfat', { run: bad.run, listDisks: async () => parseLsblk(PI), mountRoot: root }),
    /^Error: \/dev\/sdb1 \(\/dev\/sdb Ultra Fit\) could not be mounted read-only: mount: \/x: wrong fs type/,
  );
  assert.equal(bad.calls.length, 1);
  assert.equal(fs.existsSync(path.join(root, 'sdb1')), false);
});

test('mountReadOnly refuses: the storage or system partition, a mounted one, a wrong or unsupported file system, a bad path', async () => {
  const root = path.join(tmp, 'usb-refusals');
  const cases: [string, string, Disk[], string, RegExp][] = [
    ['/dev/sda1', 'ext4', parseLsblk(PI), 'storage_disk', /^\/dev\/sda1 is on \/dev\/sda PSSD T7, which holds the drive's storage$/],
    ['/dev/sdb1', 'exfat', parseLsblk(lsblk(sdCard(), stick('/media/pi/CLE USB'))), 'mounted', /^\/dev\/sdb1 is already mounted at \/media\/pi\/CLE USB$/],
    ['/dev/sdb1', 'vfat', parseLsblk(PI), 'fs_mismatch', /^\/dev\/sdb1 holds exfat, not vfat$/],
    [
      '/dev/sdb1',
      'btrfs',
      parseLsblk(PI),
      'unsupported_fs',
      /^\/dev\/sdb1: file system "btrfs" is not supported \(supported: vfat, exfat, ntfs, ntfs3, ext4\)$/,
    ],
    ['/dev/sdb2', 'exfat', parseLsblk(PI), 'not_found', /^No partition \/dev\/sdb2 is connected$/],
    ['/dev/mmcblk0p1', 'vfat', parseLsblk(PI), 'bad_request', /SD card or eMMC holds the system/],
  ];
  for (const [part, type, disks, code, message] of cases) {
    const { run, calls } = recorder();
    await assert.rejects(mountReadOnly(part, type, { run, listDisks: async () => disks, mountRoot: root }), (err: DiskError) => {
      assert.equal(err.code, code, err.message);
      assert.match(err.message, message);
      return true;
    });
    assert.deepEqual(calls, []);
  }
});

test('eject: sync, our mounts unmounted, then 1 written to /sys/block/<sdX>/device/delete', async () => {
  const sys = path.join(tmp, 'sys-block');
  fs.mkdirSync(path.join(sys, 'sdb', 'device'), { recursive: true });
  const root = path.join(tmp, 'usb-eject');
  fs.mkdirSync(path.join(root, 'sdb1'), { recursive: true });
  const { run, calls } = recorder();
  const disks = parseLsblk(lsblk(sdCard(), ssd(), stick(path.join(root, 'sdb1'))));
  const r = await eject('/dev/sdb', { run, listDisks: async () => disks, mountRoot: root, sysBlock: sys });
  assert.deepEqual(r, { disk: '/dev/sdb', unmounted: ['/dev/sdb1'] });
  assert.deepEqual(calls, [
    { file: 'sync', args: [] },
    { file: 'umount', args: [path.join(root, 'sdb1')] },
  ]);
  assert.equal(fs.readFileSync(path.join(sys, 'sdb', 'device', 'delete'), 'utf8'), '1');
  assert.equal(fs.existsSync(path.join(root, 'sdb1')), false);

  // Refusals, before anything runs: the storage SSD, a mount the drive did not make, an NVMe disk.
  const refusals: [string, Disk[], RegExp][] = [
    ['/dev/sda', parseLsblk(PI), /^Error: \/dev\/sda PSSD T7 holds the drive's storage: it is not ejected from here$/],
    [
      '/dev/sdb',
      parseLsblk(lsblk(sdCard(), stick('/media/pi/CLE USB'))),
      /^Error: \/dev\/sdb Ultra Fit: \/dev\/sdb1 is mounted at \/media\/pi\/CLE USB, not by the drive; not ejected$/,
    ],
    ['/dev/nvme0n1', parseLsblk(PI), /not a USB disk that can be ejected/],
    ['/dev/sdc', parseLsblk(PI), /^Error: No disk \/dev\/sdc is connected$/],
  ];
  for (const [disk, list, message] of refusals) {
    const rec = recorder();
    await assert.rejects(eject(disk, { run: rec.run, listDisks: async () => list, mountRoot: root, sysBlock: sys }), message);
    assert.deepEqual(rec.calls, []);
  }
  // No delete file (not a SCSI device): unmounted, and the message says it is safe to unplug.
  await assert.rejects(
    eject('/dev/sdb', { run: recorder().run, listDisks: async () => parseLsblk(PI), mountRoot: root, sysBlock: path.join(tmp, 'no-sys') }),
    /^Error: \/dev\/sdb Ultra Fit was unmounted but could not be stopped: .*ENOENT.*; it is safe to unplug$/,
  );
});

test('numbered names: before the extension for files, at the end for dot files and folders', () => {
  assert.equal(numbered('photo.jpg', 2, false), 'photo (2).jpg');
  assert.equal(numbered('archive.tar.gz', 3, false), 'archive.tar (3).gz');
  assert.equal(numbered('.bashrc', 2, false), '.bashrc (2)');
  assert.equal(numbered('README', 2, false), 'README (2)');
  assert.equal(numbered('Vacances 2.0', 2, true), 'Vacances 2.0 (2)');
});

test('copyTree: contents copied, nothing overwritten, links skipped and reported, progress up to the total', async () => {
  const src = path.join(tmp, 'src');
  const dst = path.join(tmp, 'dst');
  fs.mkdirSync(path.join(src, 'Photos', 'Été'), { recursive: true });
  fs.writeFileSync(path.join(src, 'notes.txt'), 'nouvelles notes');
  fs.writeFileSync(path.join(src, 'Photos', 'a.jpg'), Buffer.alloc(300_000, 7));
  fs.writeFileSync(path.join(src, 'Photos', 'Été', 'plage.jpg'), Buffer.alloc(5000, 9));
  fs.symlinkSync('/etc/shadow', path.join(src, 'shadow'));
  fs.symlinkSync('Photos', path.join(src, 'Photos-link'));
  fs.utimesSync(path.join(src, 'Photos', 'a.jpg'), new Date('2024-07-14T12:00:00Z'), new Date('2024-07-14T12:00:00Z'));
  // Already there: a file and a folder of the same names, and notes (2).txt.
  fs.mkdirSync(path.join(dst, 'Photos'), { recursive: true });
  fs.writeFileSync(path.join(dst, 'Photos', 'a.jpg'), 'mine');
  fs.writeFileSync(path.join(dst, 'notes.txt'), 'anciennes notes');
  fs.writeFileSync(path.join(dst, 'notes (2).txt'), 'encore à moi');

  const reports: { bytesCopied: number; bytesTotal: number; filesCopied: number }[] = [];
  const r = await copyTree(src, dst, (p) => reports.push(p));
  assert.deepEqual(r, {
    files: 3,
    directories: 2,
    bytes: 305_015,
    skipped: [
      { path: 'Photos-link', reason: 'symlink' },
      { path: 'shadow', reason: 'symlink' },
    ],
    renamed: [
      { from: 'Photos', to: 'Photos (2)' },
      { from: 'notes.txt', to: 'notes (3).txt' },
    ],
  });
  assert.equal(fs.readFileSync(path.join(dst, 'notes.txt'), 'utf8'), 'anciennes notes');
  assert.equal(fs.readFileSync(path.join(dst, 'notes (2).txt'), 'utf8'), 'encore à moi');
  assert.equal(fs.readFileSync(path.join(dst, 'notes (3).txt'), 'utf8'), 'nouvelles notes');
  assert.equal(fs.readFileSync(path.join(dst, 'Photos', 'a.jpg'), 'utf8'), 'mine');
  assert.ok(fs.readFileSync(path.join(dst, 'Photos (2)', 'a.jpg')).equals(Buffer.alloc(300_000, 7)));
  assert.ok(fs.readFileSync(path.join(dst, 'Photos (2)', 'Été', 'plage.jpg')).equals(Buffer.alloc(5000, 9)));
  assert.equal(fs.statSync(path.join(dst, 'Photos (2)', 'a.jpg')).mtime.toISOString(), '2024-07-14T12:00:00.000Z');
  assert.equal(fs.existsSync(path.join(dst, 'shadow')), false);
  assert.equal(fs.existsSync(path.join(dst, 'Photos-link')), false);
  const last = reports.at(-1)!;
  assert.deepEqual({ ...last }, { bytesCopied: 305_015, bytesTotal: 305_015, filesCopied: 3, filesTotal: 3, current: null });
  for (let i = 1; i < reports.length; i++) assert.ok(reports[i]!.bytesCopied >= reports[i - 1]!.bytesCopied);

  // The destination inside the source would copy itself forever.
  await assert.rejects(copyTree(src, path.join(src, 'Photos')), /is inside/);
  // A link as the source is not followed either.
  await assert.rejects(copyTree(path.join(src, 'Photos-link'), path.join(tmp, 'dst2')), /is not a directory/);
});
