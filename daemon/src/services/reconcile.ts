// Keeps the index and the disk in agreement: crash recovery at start, and reconciliation of files
// put on the disk outside the API (indexed) or vanished from it (reported and flagged, never dropped).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { ReconcileReport } from '../api-types.js';
import type { Db } from '../db/connection.js';
import { userQueries, type UserQueries } from '../db/queries/users.js';
import type { Logger } from '../log.js';
import { USERNAME_RULE } from './accounts.js';
import type { Audit } from './audit.js';
import type { Clock } from './clock.js';
import type { Drive } from './drive.js';
import type { Trash, TrashRecovery } from './trash.js';
import type { UploadRecovery, Uploads } from './uploads.js';

export type RecoveryReport = UploadRecovery & TrashRecovery & { movesCompleted: number };

export class Reconciler {
  private readonly users: UserQueries;
  constructor(
    private readonly db: Db,
    private readonly drive: Drive,
    private readonly uploads: Uploads,
    private readonly trash: Trash,
    private readonly audit: Audit,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.users = userQueries(db);
  }

  /** Repairs what a crash or power cut may have left half-done. Runs before the server listens. */
  async recover(): Promise<RecoveryReport> {
    await this.drive.store.ensureLayout();
    const rep: RecoveryReport = { ...(await this.uploads.recover()), ...(await this.trash.recover()), movesCompleted: this.drive.recoverMoves() };
    if (rep.trashMissing.length || rep.trashOrphans.length) this.log.warn('trash and index disagree', { missing: rep.trashMissing, orphans: rep.trashOrphans });
    return rep;
  }

  /** Walks every space on disk and brings the index in line with it. */
  async reconcile(actor: string | null = null, ip: string | null = null): Promise<ReconcileReport> {
    const { store } = this.drive;
    await store.ensureLayout();
    const rep: ReconcileReport = { added: 0, updated: 0, foundAgain: 0, missing: [], renamed: [], conflicts: [], skipped: [] };
    const spaces = ['workspace'];
    for (const d of await fsp.readdir(path.join(store.dataDir, 'users'), { withFileTypes: true })) {
      if (d.isDirectory() && USERNAME_RULE.test(d.name)) spaces.push(`users/${d.name}`);
      else rep.skipped.push({ space: 'users', path: d.name, reason: d.isSymbolicLink() ? 'symlink' : 'not a container name' });
    }
    for (const key of new Set([...spaces, ...this.drive.files.spaces()])) await this.reconcileSpace(key, rep);
    const changed = rep.added + rep.updated + rep.foundAgain + rep.missing.length + rep.renamed.length;
    if (changed > 0 || actor) {
      this.audit.record({
        actor,
        ip,
        action: 'reconcile',
        detail: {
          added: rep.added,
          updated: rep.updated,
          foundAgain: rep.foundAgain,
          missing: rep.missing.length,
          renamed: rep.renamed.length,
          conflicts: rep.conflicts.length,
        },
      });
    }
    if (rep.missing.length) this.log.warn('indexed files missing from disk', { count: rep.missing.length, first: rep.missing[0] });
    return rep;
  }

  /**
   * Indexes one space from the disk. Written for a 100,000-file SSD on a Pi while the drive serves:
   * the walk stats up to STAT_BATCH entries at once (the thread pool does the waiting), and the index
   * is read and written in slices of SLICE rows, one short transaction each, with the event loop
   * free between them; no step holds it for longer than a slice. Each found entry is compared with
   * its row as it is now (an upload during the walk is not mistaken for a new, ownerless file), and a
   * row the walk did not see is marked missing only if its path is still absent when its slice runs.
   */
  private async reconcileSpace(key: string, rep: ReconcileReport): Promise<void> {
    const { files, store } = this.drive;
    const root = store.spaceRoot(key);
    const seen = new Set<string>();
    const found: { rel: string; st: fs.Stats }[] = [];
    if (fs.existsSync(root)) {
      const stack: string[] = [''];
      while (stack.length) {
        const dir = stack.pop()!;
        const abs = path.join(root, ...(dir ? dir.split('/') : []));
        let names: string[];
        try {
          names = await fsp.readdir(abs);
        } catch {
          continue;
        }
        const here = new Set(names);
        const keep: string[] = [];
        for (const name of names) {
          const nfc = name.normalize('NFC');
          if (nfc === name) {
            keep.push(name);
            continue;
          }
          // Names arrive through the API in NFC; a copied-in NFD name is renamed to match, unless taken.
          const rel0 = dir ? `${dir}/${name}` : name;
          if (here.has(nfc)) {
            rep.conflicts.push({ space: key, path: rel0, reason: 'an NFC-normalised twin of this name exists' });
            continue;
          }
          await fsp.rename(path.join(abs, name), path.join(abs, nfc));
          rep.renamed.push({ space: key, from: rel0, to: dir ? `${dir}/${nfc}` : nfc });
          here.add(nfc);
          keep.push(nfc);
        }
        for (let i = 0; i < keep.length; i += STAT_BATCH) {
          const batch = keep.slice(i, i + STAT_BATCH);
          const stats = await Promise.all(batch.map((name) => fsp.lstat(path.join(abs, name)).catch(() => null)));
          batch.forEach((name, j) => {
            const st = stats[j];
            if (!st) return; // gone since the readdir
            const rel = dir ? `${dir}/${name}` : name;
            if (st.isSymbolicLink()) {
              rep.skipped.push({ space: key, path: rel, reason: 'symlink' });
              return;
            }
            if (!st.isFile() && !st.isDirectory()) {
              rep.skipped.push({ space: key, path: rel, reason: 'not a regular file or folder' });
              return;
            }
            seen.add(rel);
            found.push({ rel, st });
            if (st.isDirectory()) stack.push(rel);
          });
        }
      }
    }
    const containerOwner = key.startsWith('users/') ? key.slice(6) : null;
    const ownerKnown = containerOwner !== null && this.users.exists(containerOwner);
    for (let i = 0; i < found.length; i += SLICE) {
      this.db.transaction(() => {
        for (const { rel, st } of found.slice(i, i + SLICE)) {
          const row = files.get(key, rel);
          const type = st.isDirectory() ? 'dir' : 'file';
          const size = type === 'file' ? st.size : 0;
          const mtime = Math.floor(st.mtimeMs);
          if (!row) {
            files.upsert({
              space: key,
              path: rel,
              type,
              size,
              owner: ownerKnown ? containerOwner : null,
              sha256: null,
              created_at: Math.floor(st.birthtimeMs || st.mtimeMs),
              mtime,
            });
            rep.added++;
          } else if (row.type !== type || (type === 'file' && (row.size !== size || row.mtime !== mtime))) {
            if (row.type !== type) files.upsert({ space: key, path: rel, type, size, owner: row.owner, sha256: null, created_at: row.created_at, mtime });
            else files.updateStat(row.id, size, mtime, null);
            rep.updated++;
          } else if (row.missing_since !== null) {
            files.updateStat(row.id, row.size, row.mtime, row.sha256);
            rep.foundAgain++;
          }
        }
      })();
      await yieldToLoop();
    }
    const now = this.clock.now();
    for (let after = ''; ;) {
      const page = files.pageInSpace(key, after, SLICE);
      if (page.length === 0) break;
      after = page.at(-1)!.path;
      const unseen = page.filter((row) => !seen.has(row.path));
      // Made (by an upload, a move) after the walk passed its folder: not missing.
      const stillAbsent = await Promise.all(
        unseen.map((row) =>
          fsp.lstat(path.join(root, ...row.path.split('/'))).then(
            (st) => !(st.isFile() || st.isDirectory()), // a symlink or a device in its place does not count
            () => true,
          ),
        ),
      );
      const missing = unseen.filter((_, j) => stillAbsent[j]);
      this.db.transaction(() => {
        for (const row of missing) {
          if (row.missing_since === null) files.markMissing(row.id, now);
          rep.missing.push({ space: key, path: row.path });
        }
      })();
      await yieldToLoop();
    }
  }
}

/** Entries stat'ed at once during the walk. */
const STAT_BATCH = 64;
/** Index rows read or written in one go (one transaction) before the event loop gets a turn. */
const SLICE = 1000;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
