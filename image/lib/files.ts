// A step's own files, beside its source as pi-gen keeps them (image/steps/NN-name/files/), and their installation into the root.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileOptions } from '../../provisioning/lib/target.js';
import type { BuildContext, ImageStep } from './step.js';

export const STEPS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'steps');

/** image/steps/<NN-name>/files/<name>: a file of one step, found by the step's id. */
export function stepFile(step: Pick<ImageStep, 'id'>, name: string): string {
  return path.join(STEPS_DIR, step.id, 'files', name);
}

/**
 * Installs a step's file at an absolute path inside the root with an explicit mode, like pi-gen's
 * `install -m 644 files/NAME "${ROOTFS_DIR}/…"`; written only when its content or mode changes.
 */
export async function installFile(
  ctx: Pick<BuildContext, 'target'>,
  step: Pick<ImageStep, 'id'>,
  name: string,
  inRoot: string,
  opts: FileOptions & { mode: number },
): Promise<boolean> {
  return ctx.target.writeFile(inRoot, readFileSync(stepFile(step, name), 'utf8'), opts);
}
