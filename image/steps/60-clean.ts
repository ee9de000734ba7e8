// Step 60: leave nothing a card does not need (caches, package lists, logs, machine identity) and set the boot files aside for the FAT partition.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { progress, quiet, type BuildContext, type ImageStep } from '../lib/step.js';

export function bootDir(ctx: BuildContext): string {
  return path.join(ctx.paths.work, 'bootfs');
}

function emptyDir(dir: string, keep: (name: string) => boolean = () => false): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) if (!keep(name)) rmSync(path.join(dir, name), { recursive: true, force: true });
}

export const step: ImageStep = {
  id: '60-clean',
  title: 'clean-up and boot files',
  async run(ctx) {
    const r = ctx.paths.root;
    // apt can fetch lists again (apt-get update) if anyone ever gives the Pi a network with a mirror.
    emptyDir(path.join(r, 'var/lib/apt/lists'), (n) => n === 'partial');
    emptyDir(path.join(r, 'var/cache/apt'), (n) => n === 'archives');
    emptyDir(path.join(r, 'var/cache/apt/archives'), (n) => n === 'partial');
    emptyDir(path.join(r, 'var/cache/debconf'), (n) => !n.endsWith('-old'));
    for (const n of readdirSync(path.join(r, 'var/cache/debconf'))) if (n.endsWith('-old')) rmSync(path.join(r, 'var/cache/debconf', n));
    emptyDir(path.join(r, 'var/log'), (n) => ['apt', 'journal', 'private'].includes(n));
    emptyDir(path.join(r, 'var/log/apt'));
    emptyDir(path.join(r, 'tmp'));
    emptyDir(path.join(r, 'var/tmp'));
    rmSync(path.join(r, 'root/.bash_history'), { force: true });
    rmSync(path.join(r, 'var/lib/dbus/machine-id'), { force: true });
    // Empty, not "uninitialized": systemd writes a fresh id at first boot, but does not treat it as a
    // ConditionFirstBoot boot, whose `preset-all` would re-enable the apt timers provisioning disabled.
    writeFileSync(path.join(r, 'etc/machine-id'), '');
    // Empty /usr/share/doc/<pkg>/ directories left by the path-exclude of everything but copyright.
    await quiet({ nothrow: true })`find ${path.join(r, 'usr/share/doc')} -mindepth 1 -type d -empty -delete`;
    // The files of the FAT partition move out of the root: /boot/firmware is only its mount point on the card.
    const boot = bootDir(ctx);
    const fw = path.join(r, 'boot/firmware');
    if (readdirSync(fw).length > 0) {
      rmSync(boot, { recursive: true, force: true });
      mkdirSync(boot, { recursive: true });
      cpSync(fw, boot, { recursive: true, dereference: true });
      emptyDir(fw);
    } else if (!existsSync(boot)) throw new Error(`${fw} is empty and no earlier run set the boot files aside: run from step 10`);
    const size = (await quiet`du -sm --apparent-size ${r}`).stdout.split('\t')[0];
    progress(ctx, `root ${size} MiB, boot files: ${readdirSync(boot).length}`);
  },
};
