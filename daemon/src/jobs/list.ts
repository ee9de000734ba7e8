// The declared list of scheduled jobs (after uptime-kuma's server/jobs.js): name, cron schedule, what it does.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { HEALTH_MESSAGES, type Coded, type HealthMessageCode } from '../api-types.js';
import type { Job } from './runner.js';
import { SESSION_IDLE_MS, type Accounts } from '../services/accounts.js';
import type { Backups } from '../services/backups.js';
import type { Clock } from '../services/clock.js';
import type { Reconciler } from '../services/reconcile.js';
import type { Thumbs } from '../services/thumbs.js';
import type { Transfers } from '../services/transfers.js';
import type { Trash } from '../services/trash.js';
import type { FileStore } from '../storage/file-store.js';

/** What the jobs act on. */
export interface JobDeps {
  config: Config;
  clock: Clock;
  store: FileStore;
  accounts: Accounts;
  trash: Trash;
  reconciler: Reconciler;
  transfers: Transfers;
  thumbs: Thumbs;
  backups: Backups;
}

/** One clean-up of stale partial uploads, run by the hourly partial-uploads job. */
export interface PartialUploadCleaner {
  name: string;
  /** Removes what is stale; returns how many uploads it removed. */
  clean(): Promise<number>;
}

/** What the jobs need from the health side (health/service.ts), kept narrow so jobs stay testable. */
export interface JobHealth {
  sample(): Promise<Record<string, unknown>>;
  rollupAndPrune(): Record<string, unknown>;
  evaluateAlerts(): Promise<Record<string, unknown>>;
}

/** Nightly backups kept on the SSD: a week of them. */
export const BACKUPS_KEPT = 7;

/** Runs every cleaner (a failing one does not stop the others) and fails if any failed. */
export async function runCleaners(cleaners: readonly PartialUploadCleaner[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const errors: string[] = [];
  for (const c of cleaners) {
    try {
      out[c.name] = await c.clean();
    } catch (err) {
      errors.push(`${c.name}: ${(err as Error).message}`);
    }
  }
  if (errors.length > 0) throw new Error(errors.join('; '));
  return { cleaners: cleaners.length, removed: out };
}

/** A count phrase of a summary: `code` with `n` (0 when the summary lacks it). */
const count = (code: HealthMessageCode, v: unknown, params: Record<string, string | number> = {}): Coded => ({
  code,
  params: { n: typeof v === 'number' ? v : 0, ...params },
});

export function declareJobs(deps: JobDeps, health: JobHealth): Job[] {
  const { config, store, trash, reconciler, transfers, clock, accounts, thumbs, backups } = deps;
  // PUT's temp files need no cleaner: recovery removes them at start, and a live PUT removes its own.
  const cleaners: PartialUploadCleaner[] = [{ name: 'tus-expired', clean: () => transfers.expire() }];
  return [
    {
      name: 'sample',
      schedule: '* * * * *',
      description: 'Reads every sensor and stores one sample (history charts).',
      quiet: true,
      run: () => health.sample(),
      describe: (s) => [count('sample_stored', s.unknown)],
    },
    {
      name: 'alerts',
      // Offset by 30 s from the sample, so it sees the minute's fresh readings.
      schedule: '30 * * * * *',
      description: 'Evaluates alert thresholds; at critical battery warns users and powers off.',
      quiet: true,
      run: () => health.evaluateAlerts(),
      describe: (s) => [
        count('alerts_active', s.active),
        count('alerts_raised', s.raised),
        count('alerts_cleared', s.cleared),
        ...(typeof s.power === 'string' && s.power !== 'none' ? [{ code: 'power_state', params: { state: s.power } } satisfies Coded] : []),
      ],
    },
    {
      name: 'rollup',
      schedule: '5 * * * *',
      description: 'Aggregates the last hours into hourly roll-ups and drops data past its retention.',
      run: async () => health.rollupAndPrune(),
      describe: (s) => [
        count('hours_averaged', s.hours),
        count('samples_pruned', s.prunedSamples),
        count('hourly_pruned', s.prunedHourly),
        count('job_runs_pruned', s.prunedJobRuns),
      ],
    },
    {
      name: 'backup',
      schedule: '15 3 * * *',
      description: `Copies the database onto the SSD (.hcd/backups), keeping the last ${BACKUPS_KEPT}.`,
      run: async () => {
        // Never onto the SD card's empty mount point: without the SSD there is nowhere to back up to.
        if (!store.available()) throw new Error(HEALTH_MESSAGES.backup_no_storage);
        const made = await backups.make();
        const removed = await pruneBackups(backups.dir, BACKUPS_KEPT);
        return { file: made.name, bytes: made.bytes, removed };
      },
      describe: (s) => [
        { code: 'backup_written', params: { file: String(s.file), bytes: typeof s.bytes === 'number' ? s.bytes : 0 } },
        count('backups_removed', s.removed),
      ],
    },
    {
      name: 'trash',
      schedule: '30 3 * * *',
      description: `Purges trash older than ${config.trashDays} days (HCD_TRASH_DAYS).`,
      run: async () => {
        if (!store.available()) throw new Error(HEALTH_MESSAGES.trash_no_storage);
        return { purged: await trash.purgeOlderThan(config.trashDays * 86400_000), olderThanDays: config.trashDays };
      },
      describe: (s) => [count('trash_purged', s.purged, { days: typeof s.olderThanDays === 'number' ? s.olderThanDays : config.trashDays })],
    },
    {
      name: 'partial-uploads',
      schedule: '20 * * * *',
      description: 'Removes stale partial uploads (resumable uploads unfinished 24 h after they began).',
      run: async () => {
        if (!store.available()) return { skipped: 'storage not mounted' };
        return runCleaners(cleaners);
      },
      describe: (s) =>
        'skipped' in s
          ? [{ code: 'uploads_skipped', params: {} }]
          : [
              count(
                'uploads_removed',
                Object.values((s.removed ?? {}) as Record<string, unknown>).reduce<number>((a, v) => a + (typeof v === 'number' ? v : 0), 0),
              ),
            ],
    },
    {
      name: 'sessions',
      schedule: '0 4 * * *',
      description: 'Forgets login sessions unused for 30 days.',
      run: async () => ({ removed: accounts.sessions.deleteIdleBefore(clock.now() - SESSION_IDLE_MS) }),
      describe: (s) => [count('sessions_removed', s.removed)],
    },
    {
      name: 'reconcile',
      schedule: '45 3 * * *',
      description: 'Re-indexes the disk: files copied onto it, indexed files that vanished.',
      run: async () => {
        // An unplugged SSD must not make every indexed file look deleted.
        if (!store.available()) throw new Error(HEALTH_MESSAGES.reconcile_no_storage);
        const r = await reconciler.reconcile();
        return { added: r.added, updated: r.updated, missing: r.missing.length, conflicts: r.conflicts.length };
      },
      describe: (s) => [
        count('reconcile_added', s.added),
        count('reconcile_updated', s.updated),
        count('reconcile_missing', s.missing),
        count('reconcile_conflicts', s.conflicts),
      ],
    },
    {
      name: 'thumbnails',
      // After the reconcile, so that a photo it found again keeps its thumbnail.
      schedule: '55 3 * * *',
      description: 'Removes the thumbnails of photos that are no longer on the drive.',
      run: async () => {
        if (!store.available()) return { skipped: 'storage not mounted' };
        return thumbs.prune();
      },
    },
  ];
}

/** Keeps the newest `keep` hcd-*.db files (their names sort by time) and removes the rest. */
export async function pruneBackups(dir: string, keep: number): Promise<number> {
  const names = (await fsp.readdir(dir)).filter((n) => /^hcd-.*\.db$/.test(n)).sort();
  const doomed = names.slice(0, Math.max(0, names.length - keep));
  for (const n of doomed) await fsp.rm(path.join(dir, n), { force: true });
  return doomed.length;
}
