// Runs image steps in order with progress lines and per-step times.
import { readLock } from './lock.js';
import { defaultContext, progress, type ImageStep } from './step.js';

export async function runImageSteps(steps: readonly ImageStep[], opts: { updateLock?: boolean; needsRoot?: boolean } = {}): Promise<void> {
  if ((opts.needsRoot ?? true) && process.getuid?.() !== 0) throw new Error('the image build needs root (mmdebstrap --mode=root, loop devices, chroot)');
  const ctx = defaultContext(readLock(), opts.updateLock ?? false);
  for (const step of steps) {
    const t0 = Date.now();
    progress(ctx, `step ${step.id}: ${step.title}`);
    await step.run(ctx);
    progress(ctx, `step ${step.id} done in ${Math.round((Date.now() - t0) / 1000)} s`);
  }
  progress(ctx, `finished in ${Math.round((Date.now() - ctx.started) / 1000)} s`);
}

