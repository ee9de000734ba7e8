// The one meaning of a filesystem's figures (statfs), shared by the storage report, the health readings and the upload checks.
import fsp from 'node:fs/promises';

/** The statfs fields the figures come from (node's fs.StatFs has them; tests pass plain objects). */
export interface StatFsLike {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
}

/**
 * A filesystem's figures as df shows them: `sizeBytes` the whole filesystem, `usedBytes` what files
 * take, `availableBytes` what users may still write, `reservedBytes` the blocks ext4 keeps for root
 * (free, yet not for us). So used + available + reserved = size, and the percentage is df's
 * used / (used + available): a disk is "full" when nothing is left for users.
 */
export interface DiskSpace {
  sizeBytes: number;
  usedBytes: number;
  availableBytes: number;
  reservedBytes: number;
  usedPercent: number;
}

export function diskSpaceOf(s: StatFsLike): DiskSpace {
  const sizeBytes = s.blocks * s.bsize;
  const freeBytes = s.bfree * s.bsize;
  const availableBytes = Math.min(freeBytes, s.bavail * s.bsize);
  const usedBytes = sizeBytes - freeBytes;
  return {
    sizeBytes,
    usedBytes,
    availableBytes,
    reservedBytes: freeBytes - availableBytes,
    usedPercent: Math.round((usedBytes / Math.max(1, usedBytes + availableBytes)) * 1000) / 10,
  };
}

/** The figures of the filesystem holding `dir`, now. */
export async function readDiskSpace(dir: string): Promise<DiskSpace> {
  return diskSpaceOf(await fsp.statfs(dir));
}
