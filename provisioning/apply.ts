// Entry point: validates the config, then applies the numbered steps to --root DIR or to the running system.
import { access } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from './config.js';
import { BASE_CONFIG_FILE } from './contract.js';
import { formatReport, restartChangedUnits, runSteps, StepError } from './lib/run.js';
import { selectSteps, UnknownStepError } from './lib/select.js';
import { Target } from './lib/target.js';
import { STEPS } from './steps/index.js';

const USAGE = `usage: apply.ts [--root DIR] [--config FILE] [--dry-run] [--only NN-name]... [--verbose] [--no-restart]
  --root DIR     provision an offline root filesystem (image build); default: the running system (/)
  --config FILE  JSON configuration (see provisioning/README.md); on a live system the default is ${BASE_CONFIG_FILE}
  --dry-run      print what would change (a diff per file) and change nothing
  --only ID      run only this step (repeatable), e.g. --only 20-wifi
  --no-restart   on a live system, do not reload systemd or restart the services whose files changed`;

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        root: { type: 'string' },
        config: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        only: { type: 'string', multiple: true },
        verbose: { type: 'boolean', default: false },
        'no-restart': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 64;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const root = args.root ?? '/';
  const configFile = args.config ?? (root === '/' ? BASE_CONFIG_FILE : undefined);
  if (!configFile) {
    console.error(`--config FILE is required with --root\n${USAGE}`);
    return 64;
  }
  let config;
  try {
    // Everything is validated before the first write.
    config = await loadConfigFile(configFile);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  try {
    await access(root);
  } catch {
    console.error(`root ${root} does not exist`);
    return 2;
  }
  let steps;
  try {
    steps = selectSteps(STEPS, args.only);
  } catch (error) {
    if (!(error instanceof UnknownStepError)) throw error;
    console.error(error.message);
    return 64;
  }
  const target = new Target(root, args['dry-run']);
  let failure: Error | undefined;
  let reports;
  try {
    reports = await runSteps(config, target, steps);
  } catch (error) {
    failure = error as Error;
    if (error instanceof StepError) reports = error.reports;
  }
  console.log(formatReport(reports ?? [], { dryRun: args['dry-run'], verbose: args.verbose }));
  if (failure) {
    console.error(failure.message);
    return 1;
  }
  if (!args['no-restart']) await restartChangedUnits(target, reports!);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
