// Loop devices over image files in a scratch directory, for the root disk tests (disks.root.test.ts,
// disks-job.root.test.ts): never a disk of this machine. Loop devices are /dev/loopN and /dev/loopNpM,
// which the production path rules refuse on purpose: the tests pass their own rules (loopDisk,
// loopPartition) and list only their own loop device (another test on this machine may have a loop
// device of its own, HOMEDRIVE-labelled even, that is not ours to judge).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { devicePath, execRun, listDisks, type Disk, type Run } from '../../../provisioning/helper/disks.js';
import { requireCommand, requireRoot } from './fixtures.js';

export const loopDisk = devicePath(/^\/dev\/loop\d+$/, 'a loop device', '/dev/loopN');
export const loopPartition = devicePath(/^\/dev\/loop\d+p[1-9]\d*$/, 'a loop device partition', '/dev/loopNpM');

/** The real programs; a blkid probe of anything but a loop device (a disk of this machine) fails the test. */
export const probeOnlyLoops: Run = async (file, args, options) => {
  if (file === 'blkid') assert.match(args.at(-1) ?? '', /^\/dev\/loop\d+(p\d+)?$/, `listDisks probed ${args.at(-1)}`);
  return execRun(file, args, options);
};

/** Only our loop device, as listDisks sees it with the real lsblk. */
export const ours = (dev: string) => async (): Promise<Disk[]> => (await listDisks(probeOnlyLoops, { types: ['loop'] })).filter((d) => d.path === dev);

export async function waitForNode(p: string): Promise<void> {
  for (let i = 0; i < 100 && !fs.existsSync(p); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(fs.existsSync(p), `${p} did not appear`);
}

/** Mounts read-write to fill a stick: the kernel's driver, or the FUSE one where the kernel has none. */
export function mountRw(part: string, dir: string, types: string[]): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const t of types) if (spawnSync('mount', ['-t', t, part, dir]).status === 0) return;
  throw new Error(`${part} could not be mounted read-write as ${types.join(' or ')}`);
}

/** The programs every disk test needs, with the Debian package that has each. */
const COMMANDS: [string, string][] = [
  ['losetup', 'mount'],
  ['lsblk', 'util-linux'],
  ['findmnt', 'util-linux'],
  ['blkid', 'util-linux'],
  ['wipefs', 'util-linux'],
  ['partx', 'util-linux'],
  ['sfdisk', 'fdisk'],
  ['mkfs.ext4', 'e2fsprogs'],
  ['tune2fs', 'e2fsprogs'],
  ['mkfs.exfat', 'exfatprogs'],
];

/** A scratch directory of disk images and the loop devices over them; `setUp` in before(), `tearDown` in after(). */
export class LoopLab {
  tmp = '';
  private readonly attached = new Set<string>();

  constructor(private readonly prefix: string) {}

  setUp(): void {
    requireRoot();
    for (const [cmd, pkg] of COMMANDS) requireCommand(cmd, pkg);
    if (!fs.existsSync('/dev/loop-control')) throw new Error('this test needs loop devices (/dev/loop-control)');
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), this.prefix));
  }

  /** A safety net behind each test's own finally: nothing of ours stays mounted or attached. */
  tearDown(): void {
    if (!this.tmp) return;
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
      const where = line.split(' ')[4];
      if (where?.startsWith(`${this.tmp}/`)) spawnSync('umount', [where]);
    }
    for (const dev of this.attached) this.detach(dev);
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  /** A sparse image file of `mib` MiB in the scratch directory. */
  image(name: string, mib: number): string {
    const file = path.join(this.tmp, name);
    fs.writeFileSync(file, '');
    fs.truncateSync(file, mib * 1024 * 1024);
    return file;
  }

  /** A loop device over the file, its partitions scanned (the kernel then makes /dev/loopNpM itself). */
  attach(file: string): string {
    const dev = execFileSync('losetup', ['--find', '--show', '--partscan', file], { encoding: 'utf8' }).trim();
    assert.match(dev, /^\/dev\/loop\d+$/);
    this.attached.add(dev);
    return dev;
  }

  detach(dev: string): void {
    spawnSync('losetup', ['--detach', dev]);
    this.attached.delete(dev);
  }

  /**
   * A stick: GPT, one "Microsoft basic data" partition (what a stick formatted elsewhere has), attached;
   * formatted with `mkfs` (program and arguments, the partition appended) when given.
   */
  async stick(name: string, mib: number, mkfs?: string[]): Promise<{ dev: string; part: string }> {
    const dev = this.attach(this.image(name, mib));
    execFileSync('sfdisk', ['--quiet', dev], { input: 'label: gpt\n,,EBD0A0A2-B9E5-4433-87C0-68B6B72699C7,\n' });
    // Without udev the kernel may not have taken the new table: partx adds the partition (a no-op otherwise).
    execFileSync('partx', ['--update', dev]);
    const part = `${dev}p1`;
    await waitForNode(part);
    if (mkfs) execFileSync(mkfs[0]!, [...mkfs.slice(1), part], { stdio: 'ignore' });
    return { dev, part };
  }
}
