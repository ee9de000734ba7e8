// Runs image steps in order with progress lines, per-step times and what each changed in the root.
import type { Change } from '../../provisioning/lib/target.js';
import { readLock } from './lock.js';
import { defaultContext, progress, type ImageStep } from './step.js';

/** "2 created, 1 removed": the step's writes into the root through the Target (unchanged files not counted). */
function summary(changes: readonly Change[]): string {
  const counts = new Map<string, number>();
  for (const c of changes) if (c.kind !== 'unchanged' && c.kind !== 'note') counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => `${n} ${kind}`).join(', ');
}

export async function runImageSteps(steps: readonly ImageStep[], opts: { updateLock?: boolean; needsRoot?: boolean } = {}): Promise<void> {
  if ((opts.needsRoot ?? true) && process.getuid?.() !== 0) throw new Error('the image build needs root (mmdebstrap --mode=root, loop devices, chroot)');
  const ctx = defaultContext(readLock(), opts.updateLock ?? false);
  for (const step of steps) {
    const t0 = Date.now();
    const from = ctx.target.changes.length;
    progress(ctx, `step ${step.id}: ${step.title}`);
    await step.run(ctx);
    for (const c of ctx.target.changes.slice(from)) if (c.kind === 'note') progress(ctx, `note: ${c.subject}: ${c.detail ?? ''}`);
    const changed = summary(ctx.target.changes.slice(from));
    progress(ctx, `step ${step.id} done in ${Math.round((Date.now() - t0) / 1000)} s${changed ? ` (root: ${changed})` : ''}`);
  }
  progress(ctx, `finished in ${Math.round((Date.now() - ctx.started) / 1000)} s`);
}
