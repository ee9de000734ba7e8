// Step 85: the staged bundle as one archive with its SHA-256 (`make bundle`; also what image/customize.ts installs).
import { rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleArchive } from '../lib/artifacts.js';
import { loud, progress, quiet, type ImageStep } from '../lib/step.js';

export const step: ImageStep = {
  id: '85-bundle-archive',
  title: 'release bundle archive',
  async run(ctx) {
    const file = bundleArchive(ctx);
    rmSync(file, { force: true });
    await quiet`mkdir -p ${ctx.paths.out}`;
    // Paths inside start at opt/homedrive/: `tar -C / -xJf` installs it on a Pi; root owns everything.
    await loud`tar -C ${ctx.paths.bundleDir} --owner=0 --group=0 --numeric-owner --sort=name -cf - opt | nice -n 10 xz -6 -T0 > ${file}`;
    const sum = (await quiet({ cwd: path.dirname(file) })`sha256sum ${path.basename(file)}`).stdout;
    writeFileSync(`${file}.sha256`, sum);
    progress(ctx, `${path.basename(file)} ${(statSync(file).size / 1e6).toFixed(1)} MB, sha256 ${sum.split(' ')[0]}`);
  },
};
