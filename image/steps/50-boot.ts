// Step 50: the Pi 4 boot files through Debian's raspi-firmware hooks, fstab by PARTUUID, and the first-boot root growth.
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { partuuid } from '../lib/artifacts.js';
import { inRoot, withChrootMounts } from '../lib/chroot.js';
import { installFile } from '../lib/files.js';
import { progress, type BuildContext, type ImageStep } from '../lib/step.js';

const BEGIN = '# BEGIN card partitions (managed by the Home Container Drive image builder)';
const END = '# END card partitions';

function kernelVersion(root: string): string {
  const kernels = readdirSync(path.join(root, 'boot'))
    .filter((f) => f.startsWith('vmlinuz-'))
    .sort();
  const latest = kernels.at(-1);
  if (!latest) throw new Error('no /boot/vmlinuz-* in the root: is linux-image-arm64 installed?');
  return latest.slice('vmlinuz-'.length);
}

/** The card's own partitions first, then whatever provisioning keeps in fstab (its SSD block). */
function renderFstab(ctx: BuildContext, current: string): string {
  const kept: string[] = [];
  let inBlock = false;
  for (const line of current.split('\n')) {
    if (line === BEGIN) inBlock = true;
    else if (line === END) inBlock = false;
    else if (!inBlock && line !== '' && !line.startsWith('# UNCONFIGURED FSTAB')) kept.push(line);
  }
  return `${[
    BEGIN,
    // noatime: no write per read on the SD card; fsck pass 1 for / and 2 for the FAT partition.
    `PARTUUID=${partuuid(ctx, 2)}  /               ext4  defaults,noatime,commit=30,errors=remount-ro  0  1`,
    // umask=0077: homedrive.txt holds the admin password until first boot scrubs it; only root reads it.
    `PARTUUID=${partuuid(ctx, 1)}  /boot/firmware  vfat  defaults,noatime,umask=0077  0  2`,
    END,
    ...kept,
  ].join('\n')}\n`;
}

export const step: ImageStep = {
  id: '50-boot',
  title: 'boot partition files (raspi-firmware), fstab, root growth',
  async run(ctx) {
    const { target } = ctx;
    const r = ctx.paths.root;
    const kver = kernelVersion(r);
    // Settings read by raspi-firmware's hooks. Explicit, because in a chroot its auto-detection would
    // describe the build machine: the root found by findmnt, consoles from the host's /dev, and the
    // cma=64M it adds when it cannot see a Pi 4 (which its own comments say can make a Pi 4 unbootable).
    await target.writeFile(
      '/etc/default/raspi-firmware',
      `# Written by the Home Container Drive image builder (image/steps/50-boot.ts); read by raspi-firmware's kernel hooks.
ROOTPART="PARTUUID=${partuuid(ctx, 2)}"
# The Pi 4's serial pins (mini UART, ttyS1) and the HDMI screen, which shows the boot log (last console).
CONSOLES="ttyS1,115200 tty0"
# Headless: no video driver needs a contiguous memory pool.
CMA=0
`,
      { mode: 0o644 },
    );
    await installFile(ctx, step, 'raspi-firmware-custom', '/etc/default/raspi-firmware-custom', { mode: 0o644 });
    await target.remove('/etc/default/raspi-extra-cmdline');
    await target.ensureDir('/boot/firmware', { mode: 0o755 });
    const fw = await target.resolve('/boot/firmware');
    // The GPU firmware (start4.elf, fixup4.dat, ...) as raspi-firmware's postinst copies it: binary files, copied whole.
    cpSync(await target.resolve('/usr/lib/raspi-firmware'), fw, { recursive: true });
    await withChrootMounts(r, () =>
      inRoot(r, ['env', 'DEB_MAINT_PARAMS=configure', '/etc/kernel/postinst.d/z50-raspi-firmware', kver, `/boot/vmlinuz-${kver}`], { loud: true }),
    );
    target.record({ kind: 'ran', subject: 'z50-raspi-firmware', detail: `kernel hook for ${kver}: /boot/firmware` });
    for (const f of ['config.txt', 'cmdline.txt', `vmlinuz-${kver}`, `initrd.img-${kver}`, 'bcm2711-rpi-4-b.dtb', 'start4.elf', 'fixup4.dat']) {
      if (!existsSync(path.join(fw, f))) throw new Error(`raspi-firmware did not produce /boot/firmware/${f}`);
    }
    progress(ctx, `cmdline.txt: ${readFileSync(path.join(fw, 'cmdline.txt'), 'utf8').trim()}`);
    await target.writeFile('/etc/fstab', renderFstab(ctx, (await target.readText('/etc/fstab')) ?? ''), { mode: 0o644 });
    // Root growth: sfdisk then resize2fs, once. Not systemd-repart: it only handles GPT,
    // and the card keeps an MBR for the Pi 4 boot ROM.
    await installFile(ctx, step, 'homedrive-growroot', '/usr/local/sbin/homedrive-growroot', { mode: 0o755 });
    await installFile(ctx, step, 'homedrive-growroot.service', '/etc/systemd/system/homedrive-growroot.service', { mode: 0o644 });
    await target.symlink('/etc/systemd/system/multi-user.target.wants/homedrive-growroot.service', '/etc/systemd/system/homedrive-growroot.service');
    await target.remove('/var/lib/homedrive-growroot.done');
    // No RTC on a Pi: fake-hwclock starts the clock at the last saved time, at least the build's.
    await target.writeFile('/etc/fake-hwclock.data', `${new Date(ctx.started).toISOString().replace('T', ' ').slice(0, 19)}\n`, { mode: 0o644 });
    progress(ctx, `kernel ${kver}; boot files: ${readdirSync(fw).length}`);
  },
};
