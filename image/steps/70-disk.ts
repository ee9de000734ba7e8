// Step 70: the partitioned disk image: MBR, FAT32 boot partition as the Pi 4 firmware reads it, ext4 root made from the directory.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { bootDir, rawImage } from '../lib/artifacts.js';
import { withPartitionDevice } from '../lib/loop.js';
import { progress, quiet, type ImageStep } from '../lib/step.js';

const MiB = 1024 * 1024;
const SECTOR = 512;

export const step: ImageStep = {
  id: '70-disk',
  title: 'partitioned disk image',
  async run(ctx) {
    const d = ctx.config.disk;
    const usedMiB = Number((await quiet`du -sm ${ctx.paths.root}`).stdout.split('\t')[0]);
    // ext4 metadata (inode tables, journal) takes ~6 %; the slack is free space before first boot grows it.
    const rootMiB = Math.ceil((usedMiB * 1.08 + d.rootSlackMiB) / 4) * 4;
    // Inodes sized from the file count (kernel modules and node_modules are many small files): mke2fs's
    // ratio for a file system this small would leave too few; resize2fs adds more when the root grows.
    const files = Number((await quiet`find ${ctx.paths.root} -xdev -printf .`).stdout.length);
    const inodes = Math.ceil((files * 1.5 + 16384) / 1024) * 1024;
    const bootStart = 4; // MiB: aligned to SD-card erase blocks, as Raspberry Pi OS does
    const totalMiB = bootStart + d.bootMiB + rootMiB;
    const image = rawImage(ctx);
    mkdirSync(ctx.paths.out, { recursive: true });
    rmSync(image, { force: true });
    progress(ctx, `disk image ${totalMiB} MiB: boot ${d.bootMiB} MiB FAT32, root ${rootMiB} MiB ext4 (${usedMiB} MiB used)`);
    await quiet`truncate -s ${totalMiB * MiB} ${image}`;
    const table = [
      'label: dos',
      `label-id: ${d.diskId}`,
      `start=${(bootStart * MiB) / SECTOR}, size=${(d.bootMiB * MiB) / SECTOR}, type=c, bootable`,
      `start=${((bootStart + d.bootMiB) * MiB) / SECTOR}, type=83`,
    ].join('\n');
    await quiet({ input: `${table}\n` })`sfdisk --quiet ${image}`;
    await withPartitionDevice(image, 1, async (bootDev) => {
      // Fixed volume id: the same inputs give the same image identifiers.
      await quiet`mkfs.vfat -F 32 -n ${d.bootLabel} -i ${d.diskId.replace(/^0x/, '')} ${bootDev}`;
      // mtools writes into the FAT without mounting it: no vfat kernel module needed on the build machine.
      const entries = readdirSync(bootDir(ctx)).map((f) => path.join(bootDir(ctx), f));
      await quiet`mcopy -i ${bootDev} -s -Q ${entries} ::/`;
      await quiet`fsck.vfat -n ${bootDev}`;
    });
    await withPartitionDevice(image, 2, async (rootDev) => {
      // -d fills the file system from the root directory without mounting it (owners, modes, links kept).
      progress(ctx, `mkfs.ext4 -d (copying the root, ${inodes} inodes)`);
      await quiet`mkfs.ext4 -q -T default -N ${inodes} -L ${d.rootLabel} -U ${'4843442d-726f-6f74-0000-000000000002'} -E ${'hash_seed=4843442d-726f-6f74-0000-000000000001'} -d ${ctx.paths.root} ${rootDev}`;
      await quiet`e2fsck -fn ${rootDev}`;
    });
    progress(ctx, `${path.basename(image)} written and checked (fsck.vfat, e2fsck)`);
  },
};
