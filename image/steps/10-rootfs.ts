// Step 10: the arm64 Debian trixie root built by mmdebstrap under qemu-user, cached as a tarball keyed by its inputs.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureBinfmt } from '../lib/chroot.js';
import { installedVersions } from '../lib/dpkg.js';
import { writeLock } from '../lib/lock.js';
import { loud, progress, quiet, type BuildContext, type ImageStep } from '../lib/step.js';

/** name=version for every locked package: apt then installs exactly the locked set or fails loudly. */
function includes(ctx: BuildContext): string[] {
  const locked = Object.entries(ctx.lock.debian.packages);
  if (ctx.updateLock || locked.length === 0) return [...ctx.config.packages];
  const names = new Set(locked.map(([name]) => name));
  const missing = ctx.config.packages.filter((p) => !names.has(p));
  if (missing.length > 0) throw new Error(`image/config.ts names packages absent from inputs.lock.json: ${missing.join(', ')}; rebuild with --update-lock`);
  return locked.map(([name, version]) => `${name}=${version}`);
}

async function buildTarball(ctx: BuildContext, tarball: string, packages: string[]): Promise<void> {
  const c = ctx.config;
  const partial = `${tarball}.partial`;
  rmSync(partial, { force: true });
  const dpkgopts = [...c.dpkgExcludes.map((p) => `path-exclude=${p}`), ...c.dpkgIncludes.map((p) => `path-include=${p}`)];
  // mmdebstrap runs the root's arm64 maintainer scripts through qemu-user, found by the kernel via binfmt_misc.
  await ensureBinfmt();
  progress(ctx, `mmdebstrap ${c.suite}/${c.architecture} (${packages.length} packages requested; ~5-10 min under qemu-user)`);
  const args = [
    '--mode=root',
    '--format=tar',
    '--variant=minbase',
    `--architectures=${c.architecture}`,
    `--components=${c.components.join(',')}`,
    `--include=${packages.join(',')}`,
    ...dpkgopts.map((o) => `--dpkgopt=${o}`),
    '--aptopt=Acquire::Languages "none"',
    '--aptopt=APT::Install-Recommends "false"',
    // raspi-firmware's kernel and initramfs hooks write into /boot/firmware and refuse a missing one.
    '--setup-hook=mkdir -p "$1/boot/firmware"',
    c.suite,
    partial,
    c.mirror,
  ];
  await loud`nice -n 10 mmdebstrap ${args}`;
  // Renamed only once complete: an interrupted build never poisons the cache.
  renameSync(partial, tarball);
}

export const step: ImageStep = {
  id: '10-rootfs',
  title: 'Debian arm64 root (mmdebstrap)',
  async run(ctx) {
    const c = ctx.config;
    const packages = includes(ctx);
    const key = createHash('sha256')
      // Keyed by what config.ts asks for; the lock is enforced on the content below, whatever built it.
      .update(JSON.stringify({ s: c.suite, m: c.mirror, a: c.architecture, co: c.components, p: c.packages, x: c.dpkgExcludes, i: c.dpkgIncludes, v: 2 }))
      .digest('hex')
      .slice(0, 16);
    const dir = path.join(ctx.paths.cache, 'rootfs');
    mkdirSync(dir, { recursive: true });
    const tarball = path.join(dir, `rootfs-${c.suite}-${c.architecture}-${key}.tar`);
    if (existsSync(tarball)) progress(ctx, `root tarball cached: ${path.basename(tarball)}`);
    else {
      await buildTarball(ctx, tarball, packages);
      // Each stale tarball is ~600 MB.
      for (const f of readdirSync(dir)) if (path.join(dir, f) !== tarball) rmSync(path.join(dir, f), { force: true });
    }
    rmSync(ctx.paths.root, { recursive: true, force: true });
    mkdirSync(ctx.paths.root, { recursive: true });
    await quiet`tar -C ${ctx.paths.root} --numeric-owner --xattrs --xattrs-include=* -xpf ${tarball}`;
    const versions = await installedVersions(ctx.paths.root);
    if (ctx.updateLock || Object.keys(ctx.lock.debian.packages).length === 0) {
      ctx.lock.debian.packages = versions;
      writeLock(ctx.lock);
      progress(ctx, `inputs.lock.json: recorded ${Object.keys(versions).length} package versions`);
      return;
    }
    const drift = Object.entries(versions)
      .filter(([n, v]) => ctx.lock.debian.packages[n] !== v)
      .map(([n, v]) => `${n} ${ctx.lock.debian.packages[n] ?? '(not locked)'} -> ${v}`);
    if (drift.length > 0) throw new Error(`the root differs from inputs.lock.json:\n  ${drift.join('\n  ')}\nrebuild with --update-lock to accept`);
    progress(ctx, `root matches inputs.lock.json (${Object.keys(versions).length} packages)`);
  },
};
