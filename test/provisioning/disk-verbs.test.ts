// The root helper's disk verbs (issue 17 item 3): requests validated strictly, the refusals answered
// before anything starts, one job at a time, a job whose unit vanished failed. systemd-run and
// systemctl are stand-ins: systemd-run records its arguments and, for the listing unit, prints the
// disks a Pi would show (the SD card, the storage SSD, an exFAT stick, a FAT stick, a blank disk).
import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { diskAnswer, diskEnv, handleDiskVerb, jobUnit, type DiskHelperEnv, type DisksListResult } from '../../provisioning/helper/disk-verbs.js';
import { JobStore, type JobProgress } from '../../provisioning/disks-job.js';
import { helperEnv, HelperError } from '../../provisioning/helper/verbs.js';
import { PI_DISKS, standIns } from './helpers/disk-fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-disk-verbs-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(file, 0o755);
  return file;
}

const calls = path.join(dir, 'calls');
const listing = path.join(dir, 'disks.json');
const unitState = path.join(dir, 'unit-state');
const failStart = path.join(dir, 'fail-start');

let now = new Date('2026-12-04T08:00:00Z');
const env: DiskHelperEnv = {
  ...helperEnv({}),
  ...diskEnv({}),
  ...standIns(dir, script),
  nodeBin: '/opt/homedrive/node/bin/node',
  disksDir: path.join(dir, 'state'),
  now: () => now,
};

function recorded(): string[] {
  const text = fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8') : '';
  fs.rmSync(calls, { force: true });
  return text.split('\n').filter(Boolean);
}

async function refused(verb: Parameters<typeof handleDiskVerb>[0], args: unknown, code: string, words: RegExp): Promise<void> {
  await assert.rejects(handleDiskVerb(verb, args, env), (err: unknown) => {
    assert.ok(err instanceof HelperError, String(err));
    assert.equal(err.code, code, `${verb} ${JSON.stringify(args)}: ${err.message}`);
    assert.match(err.message, words);
    return true;
  });
}

beforeEach(() => {
  fs.writeFileSync(listing, JSON.stringify(PI_DISKS));
  fs.rmSync(path.join(dir, 'state'), { recursive: true, force: true });
  fs.rmSync(unitState, { force: true });
  fs.rmSync(failStart, { force: true });
  recorded();
  now = new Date('2026-12-04T08:00:00Z');
});

test('disks_list runs the listing as a transient unit, waits for it, and answers the disks', async () => {
  const r = (await handleDiskVerb('disks_list', {}, env)) as DisksListResult;
  assert.deepEqual(
    r.disks.map((d) => [d.path, d.role]),
    [
      ['/dev/mmcblk0', 'system'],
      ['/dev/sda', 'storage'],
      ['/dev/sdb', 'other'],
      ['/dev/sdc', 'other'],
      ['/dev/sdd', 'other'],
    ],
  );
  assert.equal(r.job, null);
  const run = recorded();
  assert.equal(run.length, 1);
  assert.match(
    run[0]!,
    /^systemd-run --quiet --collect --wait --pipe --unit=homedrive-disks-list-[0-9a-f]{8} --description=.* \/opt\/homedrive\/node\/bin\/node \/opt\/homedrive\/app\/dist\/provisioning\/disks-job\.js list$/,
  );
  fs.writeFileSync(listing, 'lsblk: failed to access sysfs directory');
  await refused('disks_list', {}, 'list_failed', /not a JSON list/);
  await refused('disks_list', { all: true }, 'bad_request', /all/);
});

test('device paths: the SD card, traversal, shell text and partitions where a disk is asked are refused before anything runs', async () => {
  for (const disk of ['/dev/mmcblk0', '/dev/mmcblk0p2', '/dev/sda/../mmcblk0', '/dev/sdb; rm -rf /', 'sdb', '/dev/sdb1', '/dev/loop0', '']) {
    await refused('disks_prepare', { disk, confirm: disk }, 'bad_disk', /whole USB, SATA or NVMe disk/);
    await refused('disks_eject', { disk }, 'bad_disk', /USB disk that can be ejected/);
  }
  for (const partition of ['/dev/mmcblk0p1', '/dev/sdb1/../../mmcblk0p2', '/dev/sdb1; rm -rf /', '/dev/sdb', '$(reboot)']) {
    await refused('disks_import', { partition, folder: 'Photos' }, 'bad_disk', /partition of a USB, SATA or NVMe disk/);
    await refused('disks_export', { partition, folder: 'Photos' }, 'bad_disk', /partition of a USB, SATA or NVMe disk/);
  }
  assert.deepEqual(recorded(), [], 'nothing listed, nothing started');
});

test('workspace folders: traversal, absolute paths, empty names and control characters are refused', async () => {
  for (const folder of ['../x', 'a/../../etc', '/etc', '', 'a//b', '.', 'a/./b', 'back\\slash', 'tab\there', ' lead', 'a/b/c/d/e/f/g/h/i', 'x'.repeat(256)]) {
    await refused('disks_import', { partition: '/dev/sdb1', folder }, 'bad_folder', /not a folder of the workspace/);
    await refused('disks_export', { partition: '/dev/sdc1', folder }, 'bad_folder', /not a folder of the workspace/);
  }
  assert.deepEqual(recorded(), []);
});

test('unknown keys and wrong types are refused (strict); disks_job wants a job id', async () => {
  await refused('disks_prepare', { disk: '/dev/sdd', confirm: '/dev/sdd WD Elements', force: true }, 'bad_request', /force/);
  await refused('disks_import', { partition: '/dev/sdb1', folder: 'x', fsType: 'ext4' }, 'bad_request', /fsType/);
  await refused('disks_export', { partition: '/dev/sdc1' }, 'bad_request', /folder/);
  await refused('disks_eject', { disk: 42 }, 'bad_request', /disk/);
  await refused('disks_job', { id: '../../etc/passwd' }, 'bad_request', /hexadecimal/);
  await refused('disks_job', { id: 'abcdef0123456789' }, 'no_job', /No disk job abcdef0123456789/);
  const a = await diskAnswer({ verb: 'disks_list', args: {}, sudo: true }, env);
  assert.deepEqual(a?.answer, { ok: false, error: { code: 'bad_request', message: "Unrecognized key(s) in object: 'sudo'" } });
  assert.equal(await diskAnswer({ verb: 'stations', args: {} }, env), null, 'not a disk verb: left to verbs.ts');
  assert.deepEqual(recorded(), []);
});

test('prepare: never the SD card, never the storage, only after typing the displayed name; then the job starts', async () => {
  // Paths the rule accepts, but the list says what the disks are.
  fs.writeFileSync(listing, JSON.stringify(PI_DISKS.map((d) => (d.path === '/dev/mmcblk0' ? { ...d, path: '/dev/sde', displayName: '/dev/sde' } : d))));
  await refused('disks_prepare', { disk: '/dev/sde', confirm: '/dev/sde' }, 'system_disk', /\/dev\/sde holds the system/);
  fs.writeFileSync(listing, JSON.stringify(PI_DISKS));
  await refused('disks_prepare', { disk: '/dev/sda', confirm: '/dev/sda Samsung SSD 870' }, 'storage_disk', /Samsung SSD 870 holds the drive's storage/);
  await refused('disks_prepare', { disk: '/dev/sdf', confirm: '/dev/sdf' }, 'bad_disk', /No disk \/dev\/sdf is connected/);
  // While the storage SSD is connected, a second HOMEDRIVE disk would make its mount ambiguous.
  await refused('disks_prepare', { disk: '/dev/sdd', confirm: '/dev/sdd WD Elements' }, 'label_in_use', /unplug it before preparing \/dev\/sdd WD Elements/);
  // A Pi whose storage is not there yet (or was unplugged): the blank disk may be prepared.
  const noStorage = PI_DISKS.filter((d) => d.path !== '/dev/sda');
  fs.writeFileSync(listing, JSON.stringify(noStorage));
  await refused('disks_prepare', { disk: '/dev/sdd', confirm: '/dev/sdd' }, 'wrong_confirmation', /type its name exactly: "\/dev\/sdd WD Elements"/);
  await refused('disks_prepare', { disk: '/dev/sdd', confirm: 'yes' }, 'wrong_confirmation', /WD Elements/);
  const mounted = noStorage.map((d) =>
    d.path === '/dev/sdd' ? { ...d, partitions: [{ path: '/dev/sdd1', fsType: 'ntfs', label: 'Old', sizeBytes: 1, mountpoint: '/media/old' }] } : d,
  );
  fs.writeFileSync(listing, JSON.stringify(mounted));
  await refused('disks_prepare', { disk: '/dev/sdd', confirm: '/dev/sdd WD Elements' }, 'mounted', /\/dev\/sdd1 is mounted at \/media\/old/);
  fs.writeFileSync(listing, JSON.stringify(noStorage));
  assert.ok(
    recorded().every((l) => / list$/.test(l)),
    'only listings so far',
  );

  // Whitespace runs count as one space.
  const { id } = (await handleDiskVerb('disks_prepare', { disk: '/dev/sdd', confirm: '  /dev/sdd   WD Elements ', by: 'prof' }, env)) as { id: string };
  assert.match(id, /^[0-9a-f]{16}$/);
  const run = recorded();
  assert.equal(run.length, 2);
  assert.equal(
    run[1],
    `systemd-run --quiet --collect --no-block --unit=homedrive-disks-prepare-${id} --description=Home Container Drive: prepare /dev/sdd /opt/homedrive/node/bin/node /opt/homedrive/app/dist/provisioning/disks-job.js prepare ${id}`,
  );
  const store = new JobStore(env.disksDir);
  const job = await store.readJob(id);
  assert.deepEqual({ ...job, createdAt: '' }, { id, command: 'prepare', by: 'prof', createdAt: '', disk: '/dev/sdd', confirm: '  /dev/sdd   WD Elements ' });
  assert.equal((fs.statSync(store.jobPath(id)).mode & 0o777).toString(8), '600');
  const p = (await handleDiskVerb('disks_job', { id }, env)) as JobProgress;
  assert.equal(p.state, 'queued');
  assert.equal(p.target, '/dev/sdd');
});

test('import and export: the stick must be neither the system nor the storage, of a file system the drive reads (import) or writes (export)', async () => {
  await refused('disks_import', { partition: '/dev/sda1', folder: 'Photos' }, 'storage_disk', /Samsung SSD 870, which holds the drive's storage/);
  await refused(
    'disks_import',
    { partition: '/dev/sdc2', folder: 'Photos' },
    'unsupported_fs',
    /holds iso9660: an import reads only vfat, exfat, ntfs, ntfs3, ext4/,
  );
  await refused('disks_import', { partition: '/dev/sdb9', folder: 'Photos' }, 'bad_disk', /No partition \/dev\/sdb9 is connected/);
  const ext4Stick = PI_DISKS.map((d) => (d.path === '/dev/sdb' ? { ...d, partitions: [{ ...d.partitions[0]!, fsType: 'ext4' }] } : d));
  fs.writeFileSync(listing, JSON.stringify(ext4Stick));
  await refused('disks_export', { partition: '/dev/sdb1', folder: 'Photos' }, 'unsupported_fs', /an export writes only vfat, exfat/);
  fs.writeFileSync(listing, JSON.stringify(PI_DISKS));
  recorded();

  const imp = (await handleDiskVerb('disks_import', { partition: '/dev/sdb1', folder: 'Sortie/Photos 2026' }, env)) as { id: string };
  const run = recorded();
  assert.match(run[1]!, new RegExp(`--unit=homedrive-disks-import-${imp.id} .*disks-job\\.js import ${imp.id}$`));
  assert.deepEqual(
    { ...(await new JobStore(env.disksDir).readJob(imp.id)), createdAt: '' },
    { id: imp.id, command: 'import', by: 'admin', createdAt: '', partition: '/dev/sdb1', folder: 'Sortie/Photos 2026' },
  );
});

test('one job at a time: busy while its unit runs; a job whose unit vanished is failed and frees the drive', async () => {
  const { id } = (await handleDiskVerb('disks_import', { partition: '/dev/sdb1', folder: 'Photos' }, env)) as { id: string };
  recorded();
  // Queued a moment ago, systemd not yet aware of it: still counts.
  await refused('disks_export', { partition: '/dev/sdc1', folder: 'Photos' }, 'busy', /Another disk job is running \(import of \/dev\/sdb1, queued\)/);
  recorded();
  fs.writeFileSync(unitState, 'active\n');
  now = new Date('2026-12-04T08:05:00Z');
  await refused('disks_eject', { disk: '/dev/sdb' }, 'busy', /import of \/dev\/sdb1/);
  assert.deepEqual(recorded(), [`systemctl is-active ${jobUnit('import', id)}`], 'refused before listing or starting anything');

  fs.writeFileSync(unitState, 'inactive\n');
  const p = (await handleDiskVerb('disks_job', { id }, env)) as JobProgress;
  assert.equal(p.state, 'failed');
  assert.equal(p.error?.code, 'interrupted');
  assert.match(p.error!.message, /The import of \/dev\/sdb1 stopped before it finished/);
  recorded();
  const next = (await handleDiskVerb('disks_eject', { disk: '/dev/sdb' }, env)) as { id: string };
  assert.notEqual(next.id, id);
  assert.match(recorded().at(-1)!, new RegExp(`--unit=homedrive-disks-eject-${next.id} .* eject ${next.id}$`));
  // The last job shows in the listing.
  fs.writeFileSync(unitState, 'active\n');
  const list = (await handleDiskVerb('disks_list', {}, env)) as DisksListResult;
  assert.equal(list.job?.id, next.id);
});

test('two requests at once (the helper runs one process per connection): one job starts, the other is told busy', async () => {
  // The listing (a transient unit, a stand-in script here) takes a while: both requests are between the check and
  // the record together unless the lock serialises them.
  const results = await Promise.allSettled([
    handleDiskVerb('disks_import', { partition: '/dev/sdb1', folder: 'Photos' }, env),
    handleDiskVerb('disks_export', { partition: '/dev/sdc1', folder: 'Photos' }, env),
    handleDiskVerb('disks_eject', { disk: '/dev/sdd' }, env),
  ]);
  const started = results.filter((r) => r.status === 'fulfilled');
  assert.equal(started.length, 1, JSON.stringify(results.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason)))));
  for (const r of results)
    if (r.status === 'rejected') {
      assert.ok(r.reason instanceof HelperError);
      assert.equal(r.reason.code, 'busy');
    }
  assert.equal(recorded().filter((c) => /--unit=homedrive-disks-(import|export|eject)-/.test(c)).length, 1, 'one job unit started');
  assert.equal(fs.readdirSync(path.join(dir, 'state')).filter((f) => f.endsWith('.lock')).length, 0, 'the lock is gone');
});

test('a job systemd refuses to start is failed in its progress file, and answered in words', async () => {
  fs.writeFileSync(failStart, '');
  await assert.rejects(handleDiskVerb('disks_eject', { disk: '/dev/sdc' }, env), (err: unknown) => {
    assert.ok(err instanceof HelperError);
    assert.equal(err.code, 'start_failed');
    assert.match(err.message, /systemd-run could not start the eject: Failed to start transient service unit: Access denied/);
    return true;
  });
  const [p] = await new JobStore(env.disksDir).all();
  assert.equal(p?.state, 'failed');
  assert.equal(p?.error?.code, 'start_failed');
  // Not busy afterwards.
  fs.rmSync(failStart);
  await handleDiskVerb('disks_eject', { disk: '/dev/sdc' }, env);
});
