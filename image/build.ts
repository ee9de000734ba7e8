// Entry point of `make image`: runs the numbered steps in order (pi-gen's grammar), printing progress and step times.
import { parseArgs } from 'node:util';
import { selectSteps, stepIndex, UnknownStepError } from '../provisioning/lib/select.js';
import { runImageSteps } from './lib/run.js';
import { IMAGE_STEPS } from './steps/index.js';

const USAGE = `usage: node --import tsx image/build.ts [--from NN-name] [--only NN-name]... [--update-lock]
  --from ID        start at step ID, e.g. --from 30-app (earlier steps' outputs must exist in .cache/image/work)
  --only ID        run only this step (repeatable), e.g. --only 50-boot; the same rule as provisioning/apply.ts --only
  --update-lock    record the versions this build resolves in image/inputs.lock.json instead of requiring them
steps: STEPS`;

async function main(argv: string[]): Promise<number> {
  const usage = USAGE.replace('STEPS', IMAGE_STEPS.map((s) => s.id).join(' '));
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        from: { type: 'string' },
        only: { type: 'string', multiple: true },
        'update-lock': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 64;
  }
  if (args.help) {
    console.log(usage);
    return 0;
  }
  let steps;
  try {
    // --only names steps exactly as provisioning's does (and wins over --from, as it always has).
    if (args.only) steps = selectSteps(IMAGE_STEPS, args.only);
    else steps = IMAGE_STEPS.slice(args.from === undefined ? 0 : stepIndex(IMAGE_STEPS, args.from));
  } catch (error) {
    if (!(error instanceof UnknownStepError)) throw error;
    console.error(`${error.message}\n${usage}`);
    return 64;
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
