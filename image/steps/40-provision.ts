// Step 40: the appliance's provisioning (provisioning/apply.ts) applied to the root with --root.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../config.js';
import { loud, progress, type ImageStep } from '../lib/step.js';

export const step: ImageStep = {
  id: '40-provision',
  title: 'provisioning --root',
  async run(ctx) {
    mkdirSync(ctx.paths.work, { recursive: true });
    const configFile = path.join(ctx.paths.work, 'provisioning.json');
    writeFileSync(configFile, `${JSON.stringify(ctx.config.provisioning, null, 2)}\n`);
    await loud({ cwd: REPO })`node --import tsx provisioning/apply.ts --root ${ctx.paths.root} --config ${configFile}`;
    progress(ctx, 'provisioning applied');
  },
};
