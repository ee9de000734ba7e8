// The declared list of scheduled jobs (after uptime-kuma's server/jobs.js): name, cron schedule, what it does.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Deps } from '../app.js';
import type { Job } from './runner.js';
import { SESSION_IDLE_MS } from '../services/accounts.js';

/** A clean-up of stale partial uploads, registered by the transfers code (tus, plain PUT). */
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

export function declareJobs(deps: Deps, health: JobHealth, cleaners: PartialUploadCleaner[]): Job[] {
  const { config, db, drive, reconciler, clock, accounts } = deps;
  return [
    {
      name: 'sample',
      schedule: '* * * * *',
      description: 'Reads every sensor and stores one sample (history charts).',
      quiet: true,
      run: () => health.sample(),
    },
    {
      name: 'alerts',
      // Offset by 30 s from the sample, so it sees the minute's fresh readings.
      schedule: '30 * * * * *',
      description: 'Evaluates alert thresholds; at critical battery warns users and powers off.',
      quiet: true,
      run: () => health.evaluateAlerts(),
    },
    {
      name: 'rollup',
      schedule: '5 * * * *',
      description: 'Aggregates the last hours into hourly roll-ups and drops data past its retention.',
      run: async () => health.rollupAndPrune(),
    },
    {
      name: 'backup',
      schedule: '15 3 * * *',
      description: `Copies the database onto the SSD (.hcd/backups), keeping the last ${BACKUPS_KEPT}.`,
      run: async () => {
        // Never onto the SD card's empty mount point: without the SSD there is nowhere to back up to.
        if (!drive.store.available()) throw new Error('the storage is not mounted: no backup');
        const dir = path.join(config.dataDir, '.hcd', 'backups');
        await fsp.mkdir(dir, { recursive: true, mode: 0o750 });
        const stamp = new Date(clock.now()).toISOString().replace(/[:.]/g, '-');
        const dest = path.join(dir, `hcd-${stamp}.db`);
        // better-sqlite3's online backup: a consistent copy while the daemon keeps writing.
        await db.backup(`${dest}.part`);
        await fsp.rename(`${dest}.part`, dest);
        const size = fs.statSync(dest).size;
        const removed = await pruneBackups(dir, BACKUPS_KEPT);
        return { file: path.basename(dest), bytes: size, removed };
      },
    },
    {
      name: 'trash',
      schedule: '30 3 * * *',
      description: `Purges trash older than ${config.trashDays} days (HCD_TRASH_DAYS).`,
      run: async () => {
        if (!drive.store.available()) throw new Error('the storage is not mounted: trash left for later');
        return { purged: await drive.purgeOlderThan(config.trashDays * 86400_000), olderThanDays: config.trashDays };
      },
    },
    {
      name: 'partial-uploads',
      schedule: '20 * * * *',
      description: 'Removes stale partial uploads (each registered cleaner).',
      run: async () => {
        if (!drive.store.available()) return { skipped: 'storage not mounted' };
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
      },
    },
    {
      name: 'sessions',
      schedule: '0 4 * * *',
      description: 'Forgets login sessions unused for 30 days.',
      run: async () => ({ removed: accounts.sessions.deleteIdleBefore(clock.now() - SESSION_IDLE_MS) }),
    },
    {
      name: 'reconcile',
      schedule: '45 3 * * *',
      description: 'Re-indexes the disk: files copied onto it, indexed files that vanished.',
      run: async () => {
        // An unplugged SSD must not make every indexed file look deleted.
        if (!drive.store.available()) throw new Error('the storage is not mounted: not reconciled');
        const r = await reconciler.reconcile();
        return { added: r.added, updated: r.updated, missing: r.missing.length, conflicts: r.conflicts.length };
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
