// Turns an existing Raspberry Pi OS Lite (or Debian) arm64 image file into the appliance: grow, loop-mount, chroot via qemu-user, bundle, provisioning.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { $ } from 'zx';
import { APP_DIR, FIRSTBOOT_FILE, NODE_BIN } from '../provisioning/contract.js';
import { REQUIRED_PACKAGES, installedPackages } from '../provisioning/steps/00-packages.js';
import { REPO, imageConfig } from './config.js';
import { inRoot, withChrootMounts } from './lib/chroot.js';
import { attachPartition, detach, partitions } from './lib/loop.js';
import { loud, quiet } from './lib/step.js';

const USAGE = `usage: node --import tsx image/customize.ts --image FILE.img --bundle FILE.tar.xz [--config hcd.json] [--output OUT.img] [--grow-mib N] [--no-apt]
  --image FILE    a raw Raspberry Pi OS Lite (bookworm or trixie, arm64) or Debian image; not modified unless --in-place
  --bundle FILE   the release bundle from \`make bundle\` (its .sha256 beside it is checked)
  --config FILE   provisioning configuration (JSON, provisioning/README.md); default: image/config.ts's
  --output FILE   where the customised image goes (default: <image>-homedrive.img)
  --in-place      modify --image itself
  --grow-mib N    space added to the root partition first (default 768: Node.js and the daemon take ~200 MB)
  --no-apt        never run apt-get in the image (fail instead when a required package is missing)`;

export interface CustomizeOptions {
  image: string;
  bundle: string;
  config?: string;
  output?: string;
  inPlace?: boolean;
  growMiB?: number;
  apt?: boolean;
  log?: (line: string) => void;
}

const MTOOLS_ENV = { ...process.env, MTOOLS_SKIP_CHECK: '1' };

/** The boot partition's mount point inside the root, from the image's own fstab (bookworm and later: /boot/firmware). */
function bootMountPoint(root: string): string {
  const fstab = readFileSync(path.join(root, 'etc/fstab'), 'utf8');
  const line = fstab.split('\n').find((l) => /^\S+\s+\/boot(\/firmware)?\s+vfat\s/.test(l));
  return line?.split(/\s+/)[1] ?? '/boot/firmware';
}

async function installMissingPackages(root: string, missing: string[], log: (l: string) => void): Promise<void> {
  log(`installing ${missing.join(' ')} with the image's own apt (needs its mirror, e.g. archive.raspberrypi.com)`);
  const policy = path.join(root, 'usr/sbin/policy-rc.d');
  await withChrootMounts(root, async () => {
    // policy-rc.d: packages must not start their services inside the chroot.
    writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    try {
      await inRoot(root, ['apt-get', 'update'], { loud: true });
      await inRoot(root, ['apt-get', 'install', '-y', '--no-install-recommends', ...missing], { loud: true });
      await inRoot(root, ['apt-get', 'clean'], { loud: true });
    } finally {
      rmSync(policy, { force: true });
    }
  });
}

export async function customize(opts: CustomizeOptions): Promise<string> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`[customize] ${l}\n`));
  if (process.getuid?.() !== 0) throw new Error('customising an image needs root (loop devices, mount, chroot)');
  for (const f of [opts.image, opts.bundle]) if (!existsSync(f)) throw new Error(`${f} does not exist`);
  // The bundle's checksum file, when present, must match: a truncated download would half-install.
  if (existsSync(`${opts.bundle}.sha256`)) await quiet({ cwd: path.dirname(opts.bundle) })`sha256sum --check --quiet ${`${path.basename(opts.bundle)}.sha256`}`;
  let image = opts.image;
  if (!opts.inPlace) {
    image = opts.output ?? opts.image.replace(/(\.img)?$/, '-homedrive.img');
    log(`copying ${opts.image} -> ${image}`);
    await quiet`cp --sparse=always ${opts.image} ${image}`;
  }
  const growMiB = opts.growMiB ?? 768;
  if (growMiB > 0) {
    // Raspberry Pi OS images ship with a nearly full root (their own first boot grows it into the card later).
    await quiet`truncate -s ${`+${growMiB}M`} ${image}`;
    await quiet({ input: ', +\n' })`sfdisk --quiet --no-reread -N 2 ${image}`;
  }
  // Attached after the resize, so the loop device has the partition's new size.
  const rootDev = attachPartition(image, 2);
  const work = mkdtempSync(path.join(tmpdir(), 'hcd-customize-'));
  const root = path.join(work, 'root');
  let mounted = false;
  try {
    if (growMiB > 0) {
      await quiet({ nothrow: true })`e2fsck -fy ${rootDev}`;
      await quiet`resize2fs ${rootDev}`;
    }
    mkdirSync(root);
    await quiet`mount ${rootDev} ${root}`;
    mounted = true;
    // The FAT partition is reached with mtools, never mounted: build machines may lack the vfat module.
    const bootMount = bootMountPoint(root);
    if (bootMount !== path.dirname(FIRSTBOOT_FILE))
      throw new Error(
        `the image mounts its boot partition at ${bootMount}; provisioning expects ${path.dirname(FIRSTBOOT_FILE)} (Raspberry Pi OS bookworm or later)`,
      );
    const bootDir = path.join(root, bootMount);
    mkdirSync(bootDir, { recursive: true });
    if (readdirSync(bootDir).length > 0) throw new Error(`${bootMount} on the root partition is not empty: the first-boot file would land in the wrong place`);
    const arch = (await inRoot(root, ['dpkg', '--print-architecture'])).stdout.trim();
    if (arch !== 'arm64') throw new Error(`the image is ${arch}; the bundle is for arm64 (use Raspberry Pi OS Lite 64-bit)`);
    const installed = installedPackages(readFileSync(path.join(root, 'var/lib/dpkg/status'), 'utf8'));
    const missing = REQUIRED_PACKAGES.filter((p) => !installed.has(p));
    if (missing.length > 0) {
      if (opts.apt === false) throw new Error(`the image lacks ${missing.join(', ')} and --no-apt was given`);
      await installMissingPackages(root, missing, log);
    } else log(`required packages present (${REQUIRED_PACKAGES.join(' ')})`);
    log(`installing ${path.basename(opts.bundle)} into ${APP_DIR}`);
    rmSync(path.join(root, APP_DIR), { recursive: true, force: true });
    await quiet`tar -C ${root} --numeric-owner -xJf ${opts.bundle}`;
    const smoke = await withChrootMounts(root, () =>
      inRoot(root, [
        NODE_BIN,
        '-e',
        `const D=require('${APP_DIR}/app/node_modules/better-sqlite3');new D(':memory:');console.log(process.version,process.arch)`,
      ]),
    );
    log(`Node.js in the image: ${smoke.stdout.trim()}`);
    let config = opts.config;
    if (!config) {
      config = path.join(work, 'provisioning.json');
      writeFileSync(config, `${JSON.stringify(imageConfig.provisioning, null, 2)}\n`);
    }
    await loud({ cwd: REPO })`node --import tsx provisioning/apply.ts --root ${root} --config ${config}`;
    // Provisioning wrote the first-boot file under the unmounted mount point: move it onto the FAT
    // partition, unless the card already has one (provisioning's own rule: never overwrite it).
    const written = path.join(root, FIRSTBOOT_FILE);
    if (existsSync(written)) {
      const first = partitions(image)[0];
      if (!first) throw new Error(`${image} has no boot partition`);
      const fat = `${image}@@${first.start * 512}`;
      const name = `::/${path.basename(FIRSTBOOT_FILE)}`;
      const present = (await $({ nothrow: true, quiet: true, env: MTOOLS_ENV })`mdir -i ${fat} -b ${name}`).exitCode === 0;
      if (!present) await $({ quiet: true, env: MTOOLS_ENV })`mcopy -i ${fat} ${written} ${name}`;
      rmSync(written);
      log(present ? 'kept the first-boot file already on the boot partition' : `${path.basename(FIRSTBOOT_FILE)} written to the boot partition`);
    }
    log('provisioning applied');
  } finally {
    if (mounted) await $({ nothrow: true, quiet: true })`umount ${root}`;
    detach(rootDev);
    rmSync(work, { recursive: true, force: true });
  }
  log(`${image} ready (${(statSync(image).size / 2 ** 20).toFixed(0)} MiB); flash it as described in image/README.md`);
  return image;
}

async function main(argv: string[]): Promise<number> {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        image: { type: 'string' },
        bundle: { type: 'string' },
        config: { type: 'string' },
        output: { type: 'string' },
        'in-place': { type: 'boolean', default: false },
        'grow-mib': { type: 'string' },
        'no-apt': { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 64;
  }
  if (!a.image || !a.bundle) return (console.error(USAGE), 64);
  await customize({
    image: a.image,
    bundle: a.bundle,
    config: a.config,
    output: a.output,
    inPlace: a['in-place'],
    growMiB: a['grow-mib'] === undefined ? undefined : Number(a['grow-mib']),
    apt: !a['no-apt'],
  });
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
