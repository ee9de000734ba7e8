// Loop-mounts partitions of a disk image (boot FAT, root ext4) for the image tests, always detaching afterwards.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { partitions, withPartitionDevice } from '../../../image/lib/loop.js';
export { withPartitionDevice };

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8' });
}

/** Mounts partition n of the image for fn; read-only unless asked. */
export async function withPartition<T>(image: string, n: number, fn: (dir: string) => Promise<T> | T, opts: { readOnly?: boolean } = {}): Promise<T> {
  return withPartitionDevice(
    image,
    n,
    async (dev) => {
      const dir = mkdtempSync(path.join(tmpdir(), 'hcd-img-mnt-'));
      sh('mount', [...(opts.readOnly ? ['-o', 'ro'] : []), dev, dir]);
      try {
        return await fn(dir);
      } finally {
        execFileSync('umount', [dir]);
        rmSync(dir, { recursive: true, force: true });
      }
    },
    opts,
  );
}

export function mkdirp(p: string): void {
  mkdirSync(p, { recursive: true });
}

/** An ext4 file system labelled as the data SSD (the label provisioning mounts at /srv/homedrive). */
export function makeSsd(file: string, label: string, sizeMiB = 256): void {
  sh('truncate', ['-s', `${sizeMiB}M`, file]);
  sh('mkfs.ext4', ['-q', '-F', '-L', label, file]);
}

/**
 * A USB stick as a class brings one: an MBR partition table, one exFAT partition labelled `label`, and the
 * given files (relative path → content) written into it.
 */
export async function makeStick(file: string, label: string, files: Record<string, string | Buffer>, sizeMiB = 64): Promise<void> {
  sh('truncate', ['-s', `${sizeMiB}M`, file]);
  execFileSync('sfdisk', ['--quiet', file], { input: 'label: dos\n,,7\n' });
  await withPartitionDevice(file, 1, (dev) => {
    sh('mkfs.exfat', ['-L', label, dev]);
    // The kernel's exFAT driver where it has one, exfat-fuse where it has not (this machine's kernel has no modules).
    const dir = mkdtempSync(path.join(tmpdir(), 'hcd-stick-mnt-'));
    try {
      if (!['exfat', 'exfat-fuse'].some((t) => spawnSync('mount', ['-t', t, dev, dir]).status === 0))
        throw new Error(`${dev} could not be mounted as exfat or exfat-fuse`);
      try {
        for (const [rel, content] of Object.entries(files)) {
          mkdirp(path.dirname(path.join(dir, rel)));
          writeFileSync(path.join(dir, rel), content);
        }
      } finally {
        execFileSync('umount', [dir]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** Mounts a whole-disk file system image (the SSD has no partition table). */
export async function withFilesystem<T>(file: string, fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hcd-ssd-mnt-'));
  sh('mount', ['-o', 'loop,ro', file, dir]);
  try {
    return await fn(dir);
  } finally {
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

const MTOOLS_ENV = { ...process.env, MTOOLS_SKIP_CHECK: '1' };

/** mtools' "file@@offset" addressing of the FAT boot partition: no mount (and no vfat module) needed. */
function fat(image: string): string {
  const p = partitions(image)[0];
  if (!p) throw new Error(`${image} has no partition table`);
  return `${image}@@${p.start * 512}`;
}

export function bootList(image: string): string[] {
  return execFileSync('mdir', ['-i', fat(image), '-b', '::/'], { encoding: 'utf8', env: MTOOLS_ENV })
    .split('\n')
    .map((l) => l.trim().replace(/^::\//, ''))
    .filter((l) => l !== '');
}

export function bootRead(image: string, name: string): string {
  return execFileSync('mcopy', ['-i', fat(image), `::/${name}`, '-'], { encoding: 'utf8', env: MTOOLS_ENV });
}

export function bootExtract(image: string, name: string, dest: string): void {
  execFileSync('mcopy', ['-n', '-i', fat(image), `::/${name}`, dest], { env: MTOOLS_ENV });
}

export function bootWrite(image: string, name: string, text: string): void {
  const tmp = path.join(mkdtempSync(path.join(tmpdir(), 'hcd-fat-')), name);
  writeFileSync(tmp, text);
  try {
    execFileSync('mcopy', ['-o', '-i', fat(image), tmp, `::/${name}`], { env: MTOOLS_ENV });
  } finally {
    rmSync(path.dirname(tmp), { recursive: true, force: true });
  }
}
