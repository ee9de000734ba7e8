// Runs programs inside the arm64 root through qemu-user (binfmt_misc), with /proc, /sys and /dev bound while they run.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { $ } from 'zx';
import { quiet } from './step.js';

/** qemu-user is found by the kernel through binfmt_misc; make sure it is on (it is off after a reboot of some hosts). */
export async function ensureBinfmt(): Promise<void> {
  if (!existsSync('/proc/sys/fs/binfmt_misc/status')) await quiet`mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc`;
  if (!existsSync('/proc/sys/fs/binfmt_misc/qemu-aarch64')) {
    const r = await quiet({ nothrow: true })`update-binfmts --enable qemu-aarch64`;
    if (r.exitCode !== 0 || !existsSync('/proc/sys/fs/binfmt_misc/qemu-aarch64'))
      throw new Error('arm64 programs cannot run here: apt-get install qemu-user-static binfmt-support');
  }
}

/** Binds the kernel file systems for the duration of fn; always unmounts, even when fn throws. */
export async function withChrootMounts<T>(root: string, fn: () => Promise<T>): Promise<T> {
  await ensureBinfmt();
  const mounted: string[] = [];
  try {
    for (const [fs, dir, opts] of [
      ['proc', 'proc', []],
      ['sysfs', 'sys', []],
      ['devtmpfs', 'dev', []],
      ['devpts', 'dev/pts', ['-o', 'gid=5,mode=620']],
    ] as const) {
      const target = path.join(root, dir);
      mkdirSync(target, { recursive: true });
      await quiet`mount -t ${fs} ${opts} ${fs} ${target}`;
      mounted.unshift(target);
    }
    return await fn();
  } finally {
    for (const target of mounted) await $({ nothrow: true, quiet: true })`umount -l ${target}`;
  }
}

const chrootEnv = { ...process.env, LC_ALL: 'C.UTF-8', DEBIAN_FRONTEND: 'noninteractive', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

/** Runs a program of the root (its own dpkg, systemctl, kernel hooks) and returns its output. */
export async function inRoot(root: string, args: string[], opts: { nothrow?: boolean; loud?: boolean } = {}) {
  return $({ env: chrootEnv, nothrow: opts.nothrow ?? false, verbose: opts.loud ?? false, quiet: !(opts.loud ?? false) })`chroot ${root} ${args}`;
}
