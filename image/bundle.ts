// Entry point of `make bundle`: Node.js + daemon + web UI + provisioning for arm64 as one archive with its SHA-256.
import { runImageSteps } from './lib/run.js';
import { BUNDLE_STEPS } from './steps/index.js';

// No root needed: nothing is mounted or chrooted.
runImageSteps(BUNDLE_STEPS, { needsRoot: false }).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
