// What a provisioning step is: a named, idempotent action on a Target driven by the validated config.
import type { Config } from '../config.js';
import type { Target } from './target.js';

export interface StepContext {
  config: Config;
  target: Target;
}

export interface Step {
  /** NN-name, as the file name. */
  id: string;
  title: string;
  run(ctx: StepContext): Promise<void>;
}
