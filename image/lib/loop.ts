// Loop devices for single partitions of a disk image, by offset and size (no partition scan: no udev is needed).
import { execFileSync } from 'node:child_process';

export interface Partition {
  start: number;
  size: number;
}

const SECTOR = 512;

/** The partitions of an image file, from its own table (sfdisk reads MBR and GPT). */
export function partitions(image: string): Partition[] {
  const json = JSON.parse(execFileSync('sfdisk', ['--json', image], { encoding: 'utf8' })) as { partitiontable: { partitions: Partition[] } };
  return json.partitiontable.partitions;
}

/**
 * Attaches partition n (1-based) as its own loop device. Not `losetup --partscan`: its /dev/loopNpM nodes
 * appear only where udev runs, which build sandboxes and CI containers often lack.
 */
export function attachPartition(image: string, n: number, opts: { readOnly?: boolean } = {}): string {
  const p = partitions(image)[n - 1];
  if (!p) throw new Error(`${image} has no partition ${n}`);
  return execFileSync(
    'losetup',
    ['--find', '--show', `--offset=${p.start * SECTOR}`, `--sizelimit=${p.size * SECTOR}`, ...(opts.readOnly ? ['--read-only'] : []), image],
    { encoding: 'utf8' },
  ).trim();
}

export function detach(dev: string): void {
  try {
    execFileSync('losetup', ['-d', dev]);
  } catch {
    // already detached
  }
}

/** Partition n attached for fn, always detached afterwards. */
export async function withPartitionDevice<T>(image: string, n: number, fn: (dev: string) => Promise<T> | T, opts: { readOnly?: boolean } = {}): Promise<T> {
  const dev = attachPartition(image, n, opts);
  try {
    return await fn(dev);
  } finally {
    detach(dev);
  }
}
