// The disk jobs (provisioning/disks-job.ts) on real block devices (root): loop devices over image files
// in /tmp, never a disk of this machine. A job file written as the helper writes it, the job run as the
// transient unit would run it, its progress file read back: an import from an exFAT stick into a
// scratch data root (owned by the drive's user), an export to an exFAT stick, a prepare of a blank disk,
// an eject. Loop devices are /dev/loopN and /dev/loopNpM, which the production path rules refuse on
// purpose: the jobs are given the test's own rules, and list only the test's own loop device.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { initialProgress, JobStore, runJob, type JobDeps, type JobFile, type JobProgress } from '../../provisioning/disks-job.js';
import { LoopLab, loopDisk, loopPartition, mountRw, ours } from './helpers/loop-lab.js';

const lab = new LoopLab('hcd-disks-job-root-');
before(() => lab.setUp());
after(() => lab.tearDown());

function isMounted(dir: string): boolean {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === dir);
}

/** A job store that also keeps every progress it was given, to see the steps go by. */
class RecordingStore extends JobStore {
  seen: JobProgress[] = [];
  override writeProgress(p: JobProgress): Promise<void> {
    this.seen.push(p);
    return super.writeProgress(p);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

let n = 0;
async function job(store: JobStore, fields: DistributiveOmit<JobFile, 'id' | 'by' | 'createdAt'>): Promise<string> {
  const id = `${(++n).toString(16).padStart(8, '0')}cafe`;
  const j = { id, by: 'prof', createdAt: new Date().toISOString(), ...fields } as JobFile;
  await store.writeJob(j);
  await store.writeProgress(initialProgress(j, new Date()));
  return id;
}

function dataRoot(name: string): string {
  const root = path.join(lab.tmp, name);
  fs.mkdirSync(path.join(root, 'workspace'), { recursive: true });
  return root;
}

const OWNER = { uid: 4321, gid: 4322 };

test('import: an exFAT stick mounted read-only, copied into a workspace folder owned by the drive’s user, unmounted; progress to done with the bytes', async () => {
  const { dev, part } = await lab.stick('exfat-stick.img', 48, ['mkfs.exfat', '-L', 'CLE USB']);
  try {
    const fill = path.join(lab.tmp, 'fill-exfat');
    const big = crypto.randomBytes(3 * 1024 * 1024 + 17);
    mountRw(part, fill, ['exfat', 'exfat-fuse']);
    try {
      fs.mkdirSync(path.join(fill, 'Sortie au musée'));
      fs.writeFileSync(path.join(fill, 'Sortie au musée', 'vidéo.bin'), big);
      fs.writeFileSync(path.join(fill, 'liste.txt'), 'Alice\nBob\n');
    } finally {
      execFileSync('umount', [fill]);
    }
    const root = dataRoot('data-import');
    const store = new RecordingStore(path.join(lab.tmp, 'state-import'));
    const mountRoot = path.join(lab.tmp, 'usb');
    const deps: JobDeps = {
      store,
      dataRoot: root,
      requireMount: false,
      owner: OWNER,
      usb: { partitionPath: loopPartition, diskPath: loopDisk, listDisks: ours(dev), mountRoot },
    };
    const id = await job(store, { command: 'import', partition: part, folder: 'CM2/Sortie' });
    const p = await runJob('import', id, deps);
    assert.equal(p.state, 'done', JSON.stringify(p.error));
    const file = (await store.readProgress(id))!;
    assert.deepEqual(file, p, 'the progress file holds the outcome');
    assert.equal(file.bytesTotal, big.length + 10);
    assert.equal(file.bytesDone, big.length + 10);
    assert.equal(file.filesDone, 2);
    assert.equal(file.filesTotal, 2);
    assert.equal(file.destination, 'CM2/Sortie');
    assert.ok(file.finishedAt);
    assert.deepEqual([...new Set(store.seen.map((s) => s.step))], ['queued', 'start', 'mount', 'copy', 'unmount', 'done']);
    const dest = path.join(root, 'workspace', 'CM2', 'Sortie');
    assert.ok(crypto.timingSafeEqual(fs.readFileSync(path.join(dest, 'Sortie au musée', 'vidéo.bin')), big));
    assert.equal(fs.readFileSync(path.join(dest, 'liste.txt'), 'utf8'), 'Alice\nBob\n');
    for (const p of ['CM2', 'CM2/Sortie', 'CM2/Sortie/Sortie au musée', 'CM2/Sortie/Sortie au musée/vidéo.bin', 'CM2/Sortie/liste.txt']) {
      const st = fs.statSync(path.join(root, 'workspace', p));
      assert.deepEqual([st.uid, st.gid], [OWNER.uid, OWNER.gid], p);
    }
    assert.equal(isMounted(path.join(mountRoot, path.basename(part))), false, 'unmounted');
    assert.equal(fs.existsSync(path.join(mountRoot, path.basename(part))), false);

    // Again into the same folder: nothing overwritten, the clashing names numbered.
    const id2 = await job(store, { command: 'import', partition: part, folder: 'CM2/Sortie' });
    const p2 = await runJob('import', id2, deps);
    assert.equal(p2.state, 'done');
    assert.equal(p2.renamedCount, 2);
    assert.ok(fs.existsSync(path.join(dest, 'liste (2).txt')));
    assert.ok(fs.existsSync(path.join(dest, 'Sortie au musée (2)', 'vidéo.bin')));

    // A workspace folder that is a symbolic link leading out: refused, nothing mounted, nothing written outside.
    const outside = path.join(lab.tmp, 'outside');
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, path.join(root, 'workspace', 'Lien'));
    const id3 = await job(store, { command: 'import', partition: part, folder: 'Lien/x' });
    const p3 = await runJob('import', id3, deps);
    assert.equal(p3.state, 'failed');
    assert.equal(p3.error?.code, 'bad_folder');
    assert.match(p3.error!.message, /Lien\/x leads out of the workspace|Lien exists in the workspace and is not a folder/);
    assert.deepEqual(fs.readdirSync(outside), []);
    assert.equal(isMounted(path.join(mountRoot, path.basename(part))), false);

    // A job file with a traversal (never written by the helper): refused as a whole.
    const bad = path.join(store.jobsDir, '0badf00d.json');
    fs.writeFileSync(bad, JSON.stringify({ id: '0badf00d', command: 'import', by: 'x', createdAt: '', partition: part, folder: '../../etc' }));
    const p4 = await runJob('import', '0badf00d', deps);
    assert.equal(p4.state, 'failed');
    assert.equal(p4.error?.code, 'bad_job');

    // The storage not mounted (production's rule): nothing imported onto the SD card.
    const id5 = await job(store, { command: 'import', partition: part, folder: 'Autre' });
    const p5 = await runJob('import', id5, { ...deps, requireMount: true });
    assert.equal(p5.state, 'failed');
    assert.equal(p5.error?.code, 'no_storage');
    assert.equal(fs.existsSync(path.join(root, 'workspace', 'Autre')), false);
  } finally {
    lab.detach(dev);
  }
});

// This machine's kernel has no vfat driver (and no modules to load): the export is tested on an exFAT
// stick (the kernel's exfat or exfat-fuse); FAT (mountWritable's vfat options) only on the Pi.
test('export: a workspace folder copied onto an exFAT stick mounted read-write (nosuid, nodev, noexec), synced, unmounted; never overwriting', async () => {
  const { dev, part } = await lab.stick('exfat-export-stick.img', 48, ['mkfs.exfat', '-L', 'KINGSTON']);
  try {
    const root = dataRoot('data-export');
    const src = path.join(root, 'workspace', 'Classe', 'Devoirs');
    fs.mkdirSync(path.join(src, 'Maths'), { recursive: true });
    const pdf = crypto.randomBytes(1024 * 1024 + 5);
    fs.writeFileSync(path.join(src, 'Maths', 'fiche.pdf'), pdf);
    fs.writeFileSync(path.join(src, 'lisez-moi.txt'), 'Bonne année');
    const store = new RecordingStore(path.join(lab.tmp, 'state-export'));
    const mountRoot = path.join(lab.tmp, 'usb');
    const flagsSeen: string[][] = [];
    const deps: JobDeps = {
      store,
      dataRoot: root,
      usb: {
        partitionPath: loopPartition,
        listDisks: ours(dev),
        mountRoot,
        mountFlags: async (dir) => {
          const { mountinfoFlags } = await import('../../provisioning/helper/disks.js');
          const f = await mountinfoFlags(dir);
          if (f) flagsSeen.push(f);
          return f;
        },
      },
    };
    const id = await job(store, { command: 'export', partition: part, folder: 'Classe/Devoirs' });
    const p = await runJob('export', id, deps);
    assert.equal(p.state, 'done', JSON.stringify(p.error));
    assert.equal(p.bytesDone, pdf.length + Buffer.byteLength('Bonne année'));
    assert.equal(p.bytesTotal, p.bytesDone);
    assert.equal(p.filesDone, 2);
    assert.equal(p.destination, 'Devoirs');
    assert.deepEqual([...new Set(store.seen.map((s) => s.step))], ['queued', 'start', 'mount', 'copy', 'sync', 'unmount', 'done']);
    for (const f of ['rw', 'nosuid', 'nodev', 'noexec'])
      assert.ok(flagsSeen.at(-1)?.includes(f), `${f} in ${flagsSeen.at(-1)} (the flags the job checked last)`);
    assert.equal(isMounted(path.join(mountRoot, path.basename(part))), false, 'unmounted');

    // Again: the first copy stays, the second is numbered.
    const id2 = await job(store, { command: 'export', partition: part, folder: 'Classe/Devoirs' });
    assert.equal((await runJob('export', id2, deps)).renamedCount, 2);

    const check = path.join(lab.tmp, 'check-fat');
    fs.mkdirSync(check, { recursive: true });
    mountRw(part, check, ['exfat', 'exfat-fuse']);
    try {
      assert.ok(crypto.timingSafeEqual(fs.readFileSync(path.join(check, 'Devoirs', 'Maths', 'fiche.pdf')), pdf));
      assert.equal(fs.readFileSync(path.join(check, 'Devoirs', 'lisez-moi.txt'), 'utf8'), 'Bonne année');
      assert.ok(fs.existsSync(path.join(check, 'Devoirs', 'lisez-moi (2).txt')));
      assert.ok(fs.existsSync(path.join(check, 'Devoirs', 'Maths (2)', 'fiche.pdf')));
    } finally {
      execFileSync('umount', [check]);
    }

    // A folder the workspace does not have: refused before anything is mounted.
    const id3 = await job(store, { command: 'export', partition: part, folder: 'Absent' });
    const p3 = await runJob('export', id3, deps);
    assert.equal(p3.state, 'failed');
    assert.equal(p3.error?.code, 'bad_folder');
  } finally {
    lab.detach(dev);
  }
});

test('export refuses an ext4 stick (only FAT and exFAT are written), naming the partition', async () => {
  const { dev, part } = await lab.stick('ext4-stick.img', 48, ['mkfs.ext4', '-q', '-L', 'LINUX']);
  try {
    const root = dataRoot('data-export-ext4');
    fs.mkdirSync(path.join(root, 'workspace', 'A'));
    const store = new JobStore(path.join(lab.tmp, 'state-export-ext4'));
    const id = await job(store, { command: 'export', partition: part, folder: 'A' });
    const p = await runJob('export', id, {
      store,
      dataRoot: root,
      usb: { partitionPath: loopPartition, listDisks: ours(dev), mountRoot: path.join(lab.tmp, 'usb') },
    });
    assert.equal(p.state, 'failed');
    assert.equal(p.error?.code, 'unsupported_fs');
    assert.match(p.error!.message, new RegExp(`${part}: an export is written only to vfat or exfat, not "ext4"`));
  } finally {
    lab.detach(dev);
  }
});

test('prepare: a blank loop device erased, partitioned and formatted HOMEDRIVE by the job, the storage mount started; the wrong name refused', async () => {
  const dev = lab.attach(lab.image('blank-ssd.img', 64));
  try {
    const store = new RecordingStore(path.join(lab.tmp, 'state-prepare'));
    const mounts: string[] = [];
    const deps: JobDeps = {
      store,
      disk: { diskPath: loopDisk, listDisks: ours(dev) },
      startStorageMount: async () => (mounts.push('start'), null),
    };
    const wrong = await job(store, { command: 'prepare', disk: dev, confirm: 'oui' });
    const w = await runJob('prepare', wrong, deps);
    assert.equal(w.state, 'failed');
    assert.equal(w.error?.code, 'confirm_mismatch');
    assert.match(w.error!.message, new RegExp(`To erase ${dev}, type its name exactly`));
    assert.deepEqual(mounts, []);

    const id = await job(store, { command: 'prepare', disk: dev, confirm: dev });
    store.seen = [];
    const p = await runJob('prepare', id, deps);
    assert.equal(p.state, 'done', JSON.stringify(p.error));
    assert.deepEqual([...new Set(store.seen.map((s) => s.step))], ['start', 'wipe', 'partition', 'format', 'mount', 'done']);
    assert.deepEqual(mounts, ['start']);
    const out = execFileSync('blkid', ['-p', '-o', 'export', `${dev}p1`], { encoding: 'utf8' });
    assert.match(out, /^TYPE=ext4$/m);
    assert.match(out, /^LABEL=HOMEDRIVE$/m);
  } finally {
    lab.detach(dev);
  }
});

test('eject: the stick’s partitions mounted by the drive unmounted, then the device stopped (its delete file written)', async () => {
  const { dev, part } = await lab.stick('eject-stick.img', 48, ['mkfs.exfat', '-L', 'EJECT']);
  try {
    const mountRoot = path.join(lab.tmp, 'usb');
    const where = path.join(mountRoot, path.basename(part));
    mountRw(part, where, ['exfat', 'exfat-fuse']);
    // A loop device has no SCSI delete file: a stand-in /sys/block for it.
    const sysBlock = path.join(lab.tmp, 'sys-block');
    fs.mkdirSync(path.join(sysBlock, path.basename(dev), 'device'), { recursive: true });
    const store = new JobStore(path.join(lab.tmp, 'state-eject'));
    const id = await job(store, { command: 'eject', disk: dev });
    const p = await runJob('eject', id, { store, usb: { diskPath: loopDisk, listDisks: ours(dev), mountRoot, sysBlock } });
    assert.equal(p.state, 'done', JSON.stringify(p.error));
    assert.equal(isMounted(where), false);
    assert.equal(fs.readFileSync(path.join(sysBlock, path.basename(dev), 'device', 'delete'), 'utf8'), '1');
  } finally {
    lab.detach(dev);
  }
});
