// Entry point of `make image`: runs the numbered steps in order (pi-gen's grammar), printing progress and step times.
import { parseArgs } from 'node:util';
import { runImageSteps } from './lib/run.js';
import type { ImageStep } from './lib/step.js';
import { IMAGE_STEPS } from './steps/index.js';

const USAGE = `usage: node --import tsx image/build.ts [--from NN] [--only NN]... [--update-lock]
  --from NN        start at step NN (earlier steps' outputs must exist in .cache/image/work)
  --only NN        run only step NN (repeatable)
  --update-lock    record the versions this build resolves in image/inputs.lock.json instead of requiring them
steps: STEPS`;

async function main(argv: string[]): Promise<number> {
  const usage = USAGE.replace('STEPS', IMAGE_STEPS.map((s) => s.id).join(' '));
  let args;
  try {
    args = parseArgs({ args: argv, options: { from: { type: 'string' }, only: { type: 'string', multiple: true }, 'update-lock': { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 64;
  }
  if (args.help) {
    console.log(usage);
    return 0;
  }
  const byPrefix = (id: string) => IMAGE_STEPS.findIndex((s) => s.id === id || s.id.startsWith(`${id}-`));
  let steps: ImageStep[] = [...IMAGE_STEPS];
  if (args.from !== undefined) {
    const i = byPrefix(args.from);
    if (i < 0) return (console.error(`unknown step ${args.from}\n${usage}`), 64);
    steps = steps.slice(i);
  }
  if (args.only) {
    const idx = args.only.map(byPrefix);
    if (idx.some((i) => i < 0)) return (console.error(`unknown step in ${args.only.join(', ')}\n${usage}`), 64);
    steps = IMAGE_STEPS.filter((_, i) => idx.includes(i));
  }
  await runImageSteps(steps, { updateLock: args['update-lock'] });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
