// The disk management on real block devices (root): loop devices over image files in /tmp, never a
// disk of this machine. A 64 MiB "SSD" prepared with the real programs (wipefs, sfdisk, mkfs.ext4)
// and read back with blkid, sfdisk and tune2fs; an exFAT stick and an ext4 stick (exFAT cannot hold a
// symbolic link, ext4 can) mounted read-only, copied out with copyTree, unmounted.
//
// Loop devices are /dev/loopN and /dev/loopNpM, which the production path rules refuse on purpose:
// the tests pass their own rules (devicePath) and list only their own loop device (another test on
// this machine may have a loop device of its own, HOMEDRIVE-labelled even, that is not ours to judge).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { copyTree, DiskError, mountinfoFlags, mountReadOnly, prepareDisk, unmount, type PrepareProgress } from '../../provisioning/helper/disks.js';
import { LoopLab, loopDisk, loopPartition, mountRw, ours, waitForNode } from './helpers/loop-lab.js';

const lab = new LoopLab('hcd-disks-root-');
before(() => lab.setUp());
after(() => lab.tearDown());

function probe(dev: string): Record<string, string> {
  // -p: a low-level probe of the device itself, no cache.
  const out = execFileSync('blkid', ['-p', '-o', 'export', dev], { encoding: 'utf8' });
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** The partition's bytes, hashed: a read-only mount must leave every one of them as it was. */
function digest(dev: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(dev)).digest('hex');
}

function random(bytes: number): Buffer {
  return crypto.randomBytes(bytes);
}

test('prepareDisk on a real 64 MiB loop device: refused without the right name, then GPT, one partition, ext4 HOMEDRIVE', async () => {
  const dev = lab.attach(lab.image('ssd.img', 64));
  try {
    // An old file system on the whole disk, for wipefs to erase.
    execFileSync('mkfs.exfat', ['-L', 'OLD', dev], { stdio: 'ignore' });
    assert.equal(probe(dev).TYPE, 'exfat');
    const deps = { diskPath: loopDisk, listDisks: ours(dev) };
    const [disk] = await deps.listDisks();
    // A loop device reports no model: its displayed name is its path.
    assert.equal(disk?.displayName, dev);
    assert.equal(disk?.sizeBytes, 64 * 1024 * 1024);

    await assert.rejects(prepareDisk({ disk: dev, confirm: 'yes' }, deps), (err: DiskError) => err.code === 'confirm_mismatch');
    assert.equal(probe(dev).TYPE, 'exfat', 'a refused prepare wrote to the disk');

    const steps: PrepareProgress[] = [];
    const result = await prepareDisk({ disk: dev, confirm: dev }, deps, (p) => steps.push(p));
    assert.deepEqual(result, { disk: dev, partition: `${dev}p1`, fsType: 'ext4', label: 'HOMEDRIVE' });
    assert.deepEqual(
      steps.map((s) => s.step),
      ['wipe', 'partition', 'format', 'done'],
    );

    const whole = probe(dev);
    assert.equal(whole.PTTYPE, 'gpt');
    assert.equal(whole.TYPE, undefined, 'the old exFAT signature is still on the disk');
    const part = probe(`${dev}p1`);
    assert.equal(part.TYPE, 'ext4');
    assert.equal(part.LABEL, 'HOMEDRIVE');

    const table = JSON.parse(execFileSync('sfdisk', ['--json', dev], { encoding: 'utf8' })) as {
      partitiontable: { label: string; partitions: { node: string; start: number; size: number; type: string }[] };
    };
    assert.equal(table.partitiontable.label, 'gpt');
    assert.equal(table.partitiontable.partitions.length, 1);
    const [p1] = table.partitiontable.partitions;
    assert.equal(p1!.type, '0FC63DAF-8483-4772-8E79-3D69D8477DE4');
    assert.equal(p1!.start, 2048);
    // To the end: 64 MiB is 131072 sectors, less the first MiB, the backup GPT (33 sectors) and at most a MiB of alignment.
    assert.ok(p1!.start + p1!.size >= 131072 - 33 - 2048, JSON.stringify(p1));

    // -m 0: no blocks reserved for root.
    assert.match(execFileSync('tune2fs', ['-l', `${dev}p1`], { encoding: 'utf8' }), /^Reserved block count:\s+0$/m);

    // Now the real lsblk sees a HOMEDRIVE file system on it: the storage, never erased again from here.
    const [after] = await deps.listDisks();
    assert.equal(after?.role, 'storage');
    assert.deepEqual(
      after?.partitions.map((p) => [p.path, p.fsType, p.label]),
      [[`${dev}p1`, 'ext4', 'HOMEDRIVE']],
    );
    await assert.rejects(prepareDisk({ disk: dev, confirm: dev }, deps), (err: DiskError) => err.code === 'storage_disk' && err.message.includes(dev));
  } finally {
    lab.detach(dev);
  }
});

test('prepareDisk over an old two-partition table: the kernel ends with one partition spanning the disk, not the old /dev/loopNp1', async () => {
  const dev = lab.attach(lab.image('old-ssd.img', 64));
  try {
    execFileSync('sfdisk', ['--quiet', dev], { input: 'label: dos\n,10M,c,\n,,83,\n' });
    execFileSync('partx', ['--update', dev]);
    await waitForNode(`${dev}p2`);
    execFileSync('mkfs.exfat', ['-L', 'OLD', `${dev}p1`], { stdio: 'ignore' });
    execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'ANCIEN', `${dev}p2`]);
    const deps = { diskPath: loopDisk, listDisks: ours(dev) };
    const [disk] = await deps.listDisks();
    assert.deepEqual(
      disk?.partitions.map((p) => [p.path, p.fsType, p.label]),
      [
        [`${dev}p1`, 'exfat', 'OLD'],
        [`${dev}p2`, 'ext4', 'ANCIEN'],
      ],
    );

    await prepareDisk({ disk: dev, confirm: dev }, deps);
    const name = path.basename(dev);
    // The kernel's own view: one partition, of the new table's size (sectors of 512 bytes).
    const table = JSON.parse(execFileSync('sfdisk', ['--json', dev], { encoding: 'utf8' })) as { partitiontable: { partitions: { size: number }[] } };
    assert.equal(Number(fs.readFileSync(`/sys/class/block/${name}p1/size`, 'utf8')), table.partitiontable.partitions[0]!.size);
    assert.equal(fs.existsSync(`/sys/class/block/${name}p2`), false, 'the old second partition is still known to the kernel');
    assert.deepEqual([probe(`${dev}p1`).TYPE, probe(`${dev}p1`).LABEL], ['ext4', 'HOMEDRIVE']);
    const [after] = await deps.listDisks();
    assert.deepEqual(
      after?.partitions.map((p) => [p.path, p.fsType, p.label]),
      [[`${dev}p1`, 'ext4', 'HOMEDRIVE']],
    );
  } finally {
    lab.detach(dev);
  }
});

test('an exFAT stick: mounted read-only and inert, copied out without overwriting, unmounted', async () => {
  const { dev, part } = await lab.stick('exfat-stick.img', 32);
  const fill = path.join(lab.tmp, 'fill-exfat');
  const mountRoot = path.join(lab.tmp, 'usb');
  const dst = path.join(lab.tmp, 'import-exfat');
  let mountpoint: string | null = null;
  try {
    execFileSync('mkfs.exfat', ['-L', 'CLE USB', part], { stdio: 'ignore' });
    const files: Record<string, Buffer> = {
      'lisez-moi.txt': Buffer.from('Bonjour depuis la clé\n'),
      'vide.txt': Buffer.alloc(0),
      'Photos/a.bin': random(3 * 1024 * 1024 + 17),
      'Photos/Été 2024/plage.jpg': random(1536 * 1024),
    };
    mountRw(part, fill, ['exfat', 'exfat-fuse']);
    try {
      for (const [rel, data] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(fill, rel)), { recursive: true });
        fs.writeFileSync(path.join(fill, rel), data);
      }
      // exFAT has no symbolic links: the ext4 stick below carries one.
      assert.throws(() => fs.symlinkSync('/etc/passwd', path.join(fill, 'lien')));
    } finally {
      execFileSync('umount', [fill]);
    }

    const [disk] = await ours(dev)();
    assert.equal(disk?.role, 'other');
    assert.deepEqual(
      disk?.partitions.map((p) => [p.path, p.fsType, p.label, p.mountpoint]),
      [[part, 'exfat', 'CLE USB', null]],
    );

    const before = digest(part);
    const m = await mountReadOnly(part, 'exfat', { partitionPath: loopPartition, listDisks: ours(dev), mountRoot });
    mountpoint = m.mountpoint;
    assert.equal(m.mountpoint, path.join(mountRoot, path.basename(part)));
    assert.ok(['exfat', 'exfat-fuse'].includes(m.driver), m.driver);
    const flags = await mountinfoFlags(m.mountpoint);
    for (const f of ['ro', 'nosuid', 'nodev', 'noexec']) assert.ok(flags?.includes(f), `${f} missing from ${flags}`);
    assert.throws(() => fs.writeFileSync(path.join(m.mountpoint, 'nouveau.txt'), 'x'), /EROFS/);
    // Mounted now: lsblk shows it, and a second mount is refused.
    await assert.rejects(
      mountReadOnly(part, 'exfat', { partitionPath: loopPartition, listDisks: ours(dev), mountRoot }),
      (err: DiskError) => err.code === 'mounted' && err.message === `${part} is already mounted at ${m.mountpoint}`,
    );

    fs.mkdirSync(dst);
    fs.writeFileSync(path.join(dst, 'lisez-moi.txt'), 'déjà là');
    let lastBytes = 0;
    const r = await copyTree(m.mountpoint, dst, (p) => {
      assert.ok(p.bytesCopied >= lastBytes && p.bytesCopied <= p.bytesTotal);
      lastBytes = p.bytesCopied;
    });
    const total = Object.values(files).reduce((n, b) => n + b.length, 0);
    assert.equal(lastBytes, total);
    assert.deepEqual(r, { files: 4, directories: 2, bytes: total, skipped: [], renamed: [{ from: 'lisez-moi.txt', to: 'lisez-moi (2).txt' }] });
    assert.equal(fs.readFileSync(path.join(dst, 'lisez-moi.txt'), 'utf8'), 'déjà là');
    for (const [rel, data] of Object.entries(files)) {
      const target = rel === 'lisez-moi.txt' ? 'lisez-moi (2).txt' : rel;
      assert.ok(fs.readFileSync(path.join(dst, target)).equals(data), `${rel} differs`);
    }

    assert.deepEqual(await unmount(part, { partitionPath: loopPartition, mountRoot }), { partition: part, wasMounted: true });
    mountpoint = null;
    assert.equal(await mountinfoFlags(m.mountpoint), null);
    assert.equal(fs.existsSync(m.mountpoint), false);
    assert.equal(digest(part), before, 'the read-only mount wrote to the stick');
  } finally {
    if (mountpoint) spawnSync('umount', [mountpoint]);
    lab.detach(dev);
  }
});

test('an ext4 stick with symbolic links: mounted read-only (noload), not one byte written, links skipped and reported, files owned as asked', async () => {
  const { dev, part } = await lab.stick('ext4-stick.img', 32);
  const fill = path.join(lab.tmp, 'fill-ext4');
  const mountRoot = path.join(lab.tmp, 'usb');
  const dst = path.join(lab.tmp, 'import-ext4');
  let mountpoint: string | null = null;
  try {
    execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'PHOTOS', part]);
    const doc = random(700 * 1024);
    const nested = random(2 * 1024 * 1024);
    mountRw(part, fill, ['ext4']);
    try {
      fs.mkdirSync(path.join(fill, 'Cours', 'Chapitre 1'), { recursive: true });
      fs.writeFileSync(path.join(fill, 'Cours', 'doc.pdf'), doc);
      fs.writeFileSync(path.join(fill, 'Cours', 'Chapitre 1', 'video.mp4'), nested);
      // Links out of the stick (to the drive's own system) and within it: neither is followed.
      fs.symlinkSync('/etc/passwd', path.join(fill, 'Cours', 'passwd'));
      fs.symlinkSync('Chapitre 1', path.join(fill, 'Cours', 'raccourci'));
      fs.rmSync(path.join(fill, 'lost+found'), { recursive: true });
    } finally {
      execFileSync('umount', [fill]);
    }

    const before = digest(part);
    const m = await mountReadOnly(part, 'ext4', { partitionPath: loopPartition, listDisks: ours(dev), mountRoot });
    mountpoint = m.mountpoint;
    assert.equal(m.driver, 'ext4');
    const flags = await mountinfoFlags(m.mountpoint);
    for (const f of ['ro', 'nosuid', 'nodev', 'noexec']) assert.ok(flags?.includes(f), `${f} missing from ${flags}`);

    const r = await copyTree(m.mountpoint, dst, () => {}, { owner: { uid: 4242, gid: 4243 } });
    assert.deepEqual(r, {
      files: 2,
      directories: 2,
      bytes: doc.length + nested.length,
      skipped: [
        { path: 'Cours/passwd', reason: 'symlink' },
        { path: 'Cours/raccourci', reason: 'symlink' },
      ],
      renamed: [],
    });
    assert.ok(fs.readFileSync(path.join(dst, 'Cours', 'doc.pdf')).equals(doc));
    assert.ok(fs.readFileSync(path.join(dst, 'Cours', 'Chapitre 1', 'video.mp4')).equals(nested));
    assert.equal(fs.existsSync(path.join(dst, 'Cours', 'passwd')), false);
    assert.equal(fs.existsSync(path.join(dst, 'Cours', 'raccourci')), false);
    for (const p of ['Cours', 'Cours/doc.pdf', 'Cours/Chapitre 1', 'Cours/Chapitre 1/video.mp4']) {
      const st = fs.lstatSync(path.join(dst, p));
      assert.deepEqual([st.uid, st.gid], [4242, 4243], p);
    }

    assert.deepEqual(await unmount(part, { partitionPath: loopPartition, mountRoot }), { partition: part, wasMounted: true });
    mountpoint = null;
    // Read-only and noload: not one byte of the stick written (no journal replay, no mount time).
    assert.equal(digest(part), before, 'the read-only mount wrote to the stick');
  } finally {
    if (mountpoint) spawnSync('umount', [mountpoint]);
    lab.detach(dev);
  }
});
