// A Debian trixie root made by mmdebstrap, cached as a tarball under .cache/ keyed by its package list.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REQUIRED_PACKAGES } from '../../../provisioning/steps/00-packages.js';
import { requireCommand, requireRoot } from './fixtures.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SUITE = 'trixie';
const MIRROR = 'http://deb.debian.org/debian';
// e2fsprogs: fstab-generator only adds the fsck of the SSD when fsck.ext4 exists, as on a real image.
// procps: /bin/kill, which dnsmasq.service's ExecReload names (present on every real image).
export const ROOT_PACKAGES = [...REQUIRED_PACKAGES, 'iproute2', 'e2fsprogs', 'procps'].sort();

function cachedTarball(): string {
  const key = createHash('sha256')
    .update(JSON.stringify({ SUITE, MIRROR, ROOT_PACKAGES, variant: 'apt' }))
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(REPO, '.cache', 'provisioning');
  const tarball = path.join(dir, `rootfs-${SUITE}-${key}.tar`);
  if (existsSync(tarball)) return tarball;
  requireRoot();
  requireCommand('mmdebstrap', 'mmdebstrap');
  mkdirSync(dir, { recursive: true });
  const partial = `${tarball}.partial-${process.pid}`;
  execFileSync('mmdebstrap', ['--mode=root', '--variant=apt', '--format=tar', `--include=${ROOT_PACKAGES.join(',')}`, SUITE, partial, MIRROR], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 15 * 60_000,
  });
  // Renamed only once complete: an interrupted build never poisons the cache.
  renameSync(partial, tarball);
  // Tarballs for older package lists are dead weight (~200 MB each).
  for (const old of readdirSync(dir)) if (old.startsWith('rootfs-') && path.join(dir, old) !== tarball) rmSync(path.join(dir, old), { force: true });
  return tarball;
}

export interface DebianRoot {
  dir: string;
  cleanup(): void;
}

export function debianRoot(): DebianRoot {
  requireRoot();
  const tarball = cachedTarball();
  const dir = mkdtempSync(path.join(tmpdir(), 'hcd-rootfs-'));
  execFileSync('tar', ['-C', dir, '--numeric-owner', '-xpf', tarball]);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs a program of the root (its own systemd, dnsmasq, hostapd versions), stdout and stderr together. */
export function chroot(root: string, args: string[]): { status: number; stdout: string; output: string } {
  const result = spawnSync('chroot', [root, ...args], { encoding: 'utf8', timeout: 60_000 });
  // systemd tools warn that /proc is not mounted in a bare chroot; that is expected here.
  const stderr = result.stderr.replace(/^.*\/proc\/ is not mounted[^\n]*\n(^(?!\/).*\n)*?.*Your mileage may vary\.\n?/m, '');
  return { status: result.status ?? -1, stdout: result.stdout, output: `${result.stdout}${stderr}` };
}
