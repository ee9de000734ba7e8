// What an image build step is, the context every step gets, and the progress lines the build prints.
import { $ } from 'zx';
import { Target } from '../../provisioning/lib/target.js';
import { imageConfig, paths, type ImageConfig } from '../config.js';
import type { InputsLock } from './lock.js';

export interface BuildContext {
  config: ImageConfig;
  paths: typeof paths;
  lock: InputsLock;
  /**
   * The image's root filesystem (paths.root) as provisioning sees it: steps write files, links and removals
   * inside the root through it (paths inside the root, contained, explicit modes, written only when changed).
   */
  target: Target;
  /** --update-lock: record what this build resolved instead of insisting on the lock. */
  updateLock: boolean;
  started: number;
}

export interface ImageStep {
  /** NN-name, as the file name (pi-gen's grammar: the number orders, the name says what it does). */
  id: string;
  title: string;
  run(ctx: BuildContext): Promise<void>;
}

export function progress(ctx: Pick<BuildContext, 'started'>, message: string): void {
  const s = Math.round((Date.now() - ctx.started) / 1000);
  const stamp = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  process.stderr.write(`[image ${stamp}] ${message}\n`);
}

/** Long commands stream their own output (mmdebstrap, npm, xz) so a build never looks stuck. */
export const loud = $({ verbose: true, stdio: ['ignore', 'inherit', 'inherit'] });
/** Short commands whose output is an answer. */
export const quiet = $({ verbose: false });

export function defaultContext(lock: InputsLock, updateLock = false): BuildContext {
  return { config: imageConfig, paths, lock, target: new Target(paths.root, false), updateLock, started: Date.now() };
}
