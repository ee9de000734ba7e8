// Step 60: leave nothing a card does not need (caches, package lists, logs, machine identity) and set the boot files aside for the FAT partition.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Target } from '../../provisioning/lib/target.js';
import { bootDir } from '../lib/artifacts.js';
import { progress, quiet, type ImageStep } from '../lib/step.js';

/** Removes what a directory of the root holds, except the names kept; a missing directory is already empty. */
async function emptyDir(target: Target, dir: string, keep: (name: string) => boolean = () => false): Promise<void> {
  const host = await target.resolve(dir);
  if (!existsSync(host)) return;
  for (const name of readdirSync(host)) if (!keep(name)) await target.remove(path.posix.join(dir, name), { recursive: true });
}

export const step: ImageStep = {
  id: '60-clean',
  title: 'clean-up and boot files',
  async run(ctx) {
    const { target } = ctx;
    // apt can fetch lists again (apt-get update) if anyone ever gives the Pi a network with a mirror.
    await emptyDir(target, '/var/lib/apt/lists', (n) => n === 'partial');
    await emptyDir(target, '/var/cache/apt', (n) => n === 'archives');
    await emptyDir(target, '/var/cache/apt/archives', (n) => n === 'partial');
    // debconf's answers stay (config.dat, templates.dat); only its backups (*-old) go.
    await emptyDir(target, '/var/cache/debconf', (n) => !n.endsWith('-old'));
    await emptyDir(target, '/var/log', (n) => ['apt', 'journal', 'private'].includes(n));
    await emptyDir(target, '/var/log/apt');
    await emptyDir(target, '/tmp');
    await emptyDir(target, '/var/tmp');
    await target.remove('/root/.bash_history');
    await target.remove('/var/lib/dbus/machine-id');
    // Empty, not "uninitialized": systemd writes a fresh id at first boot, but does not treat it as a
    // ConditionFirstBoot boot, whose `preset-all` would re-enable the apt timers provisioning disabled.
    await target.writeFile('/etc/machine-id', '', { mode: 0o644 });
    // Empty /usr/share/doc/<pkg>/ directories left by the path-exclude of everything but copyright.
    await quiet({ nothrow: true })`find ${await target.resolve('/usr/share/doc')} -mindepth 1 -type d -empty -delete`;
    // The files of the FAT partition move out of the root: /boot/firmware is only its mount point on the card.
    const boot = bootDir(ctx);
    const fw = await target.resolve('/boot/firmware');
    if (readdirSync(fw).length > 0) {
      rmSync(boot, { recursive: true, force: true });
      mkdirSync(boot, { recursive: true });
      cpSync(fw, boot, { recursive: true, dereference: true });
      await emptyDir(target, '/boot/firmware');
    } else if (!existsSync(boot)) throw new Error(`${fw} is empty and no earlier run set the boot files aside: run from step 10-rootfs`);
    const size = (await quiet`du -sm --apparent-size ${ctx.paths.root}`).stdout.split('\t')[0];
    progress(ctx, `root ${size} MiB, boot files: ${readdirSync(boot).length}`);
  },
};
