// Enabling, disabling and unmasking systemd units in a root, reported like file changes.
import type { Target } from './target.js';
import { systemctl, unitState } from './systemd.js';

export async function ensureEnabled(target: Target, unit: string): Promise<void> {
  const state = await unitState(target.root, unit);
  if (state === 'masked') {
    target.record({ kind: 'updated', subject: unit, detail: 'unmasked' });
    if (!target.dryRun) await systemctl(target.root, 'unmask', unit);
  }
  if (state === 'enabled' || state === 'static' || state === 'alias') {
    target.record({ kind: 'unchanged', subject: unit, detail: state });
    return;
  }
  if (target.dryRun && state === 'not-found') {
    target.record({ kind: 'updated', subject: unit, detail: 'would be enabled (unit written by this run)' });
    return;
  }
  target.record({ kind: 'updated', subject: unit, detail: `enabled (was ${state})` });
  if (!target.dryRun) await systemctl(target.root, 'enable', unit);
}

export async function ensureDisabled(target: Target, unit: string): Promise<void> {
  const state = await unitState(target.root, unit);
  if (state !== 'enabled') {
    target.record({ kind: 'unchanged', subject: unit, detail: state });
    return;
  }
  target.record({ kind: 'updated', subject: unit, detail: 'disabled' });
  if (!target.dryRun) await systemctl(target.root, 'disable', unit);
}
