// Runs steps in order against a target and formats the change report (also the --dry-run output).
import { access } from 'node:fs/promises';
import { $ } from 'zx';
import type { Config } from '../config.js';
import type { Step } from './step.js';
import type { Change, Target } from './target.js';

export interface StepReport {
  step: Step;
  changes: Change[];
}

export class StepError extends Error {
  constructor(
    readonly reports: StepReport[],
    cause: Error,
    step: Step,
  ) {
    super(`step ${step.id} (${step.title}) failed: ${cause.message.trim()}`, { cause });
    this.name = 'StepError';
  }
}

/** Runs the steps in order; stops at the first failure (a StepError carrying the reports so far). */
export async function runSteps(config: Config, target: Target, steps: readonly Step[]): Promise<StepReport[]> {
  const reports: StepReport[] = [];
  for (const step of steps) {
    const from = target.changes.length;
    try {
      await step.run({ config, target });
    } catch (error) {
      reports.push({ step, changes: target.changes.slice(from) });
      throw new StepError(reports, error as Error, step);
    }
    reports.push({ step, changes: target.changes.slice(from) });
  }
  return reports;
}

const SIGNS: Record<Change['kind'], string> = { created: '+', updated: '~', removed: '-', unchanged: '=', ran: '>', note: '!' };

export function formatReport(reports: StepReport[], { dryRun, verbose }: { dryRun: boolean; verbose: boolean }): string {
  const out: string[] = [];
  let changed = 0;
  let unchanged = 0;
  for (const { step, changes } of reports) {
    out.push(`[${step.id}] ${step.title}`);
    for (const c of changes) {
      if (c.kind === 'unchanged') unchanged++;
      else if (c.kind !== 'note') changed++;
      if (c.kind === 'unchanged' && !verbose) continue;
      if (c.kind === 'note') {
        out.push(`  ${SIGNS[c.kind]} ${c.subject}: ${c.detail ?? ''}`);
        continue;
      }
      const verb = c.kind === 'unchanged' ? 'unchanged' : dryRun ? `would be ${c.kind}` : c.kind;
      out.push(`  ${SIGNS[c.kind]} ${c.subject}: ${verb}${c.detail ? ` (${c.detail})` : ''}`);
      for (const line of c.diff ?? []) out.push(`      ${line}`);
    }
  }
  out.push(`${dryRun ? 'dry run: ' : ''}${changed} change${changed === 1 ? '' : 's'}${dryRun ? ' would be made' : ''}, ${unchanged} unchanged`);
  return out.join('\n');
}

export function countChanges(reports: StepReport[]): number {
  return reports.flatMap((r) => r.changes).filter((c) => c.kind !== 'unchanged' && c.kind !== 'note').length;
}

/**
 * On a running system: reloads systemd and restarts the units whose files the steps changed. With
 * `noBlock`, the restart jobs are queued and not waited for (hostapd waits for its radio).
 */
export async function restartChangedUnits(target: Target, reports: StepReport[], opts: { noBlock?: boolean } = {}): Promise<void> {
  if (!target.live || target.dryRun || target.restarts.size === 0 || countChanges(reports) === 0) return;
  const booted = await access('/run/systemd/system').then(
    () => true,
    () => false,
  );
  if (!booted) return;
  await $({ quiet: true })`systemctl daemon-reload`;
  const flags = opts.noBlock ? ['--no-block'] : [];
  for (const unit of target.restarts) await $({ nothrow: true, quiet: true })`systemctl restart ${flags} ${unit}`;
}
