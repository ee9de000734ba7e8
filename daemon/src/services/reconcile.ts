// Keeps the index and the disk in agreement: crash recovery at start, and reconciliation of files
// put on the disk outside the API (indexed) or vanished from it (reported and flagged, never dropped).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { ReconcileReport } from '../api-types.js';
import type { Db } from '../db/connection.js';
import type { FileRow } from '../db/queries/files.js';
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

  private async reconcileSpace(key: string, rep: ReconcileReport): Promise<void> {
    const { files, store } = this.drive;
    const root = store.spaceRoot(key);
    const rows = new Map<string, FileRow>(files.inSpace(key).map((r) => [r.path, r]));
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
        for (let name of names) {
          const rel0 = dir ? `${dir}/${name}` : name;
          const nfc = name.normalize('NFC');
          if (nfc !== name) {
            // Names arrive through the API in NFC; a copied-in NFD name is renamed to match, unless taken.
            if (here.has(nfc)) {
              rep.conflicts.push({ space: key, path: rel0, reason: 'an NFC-normalised twin of this name exists' });
              continue;
            }
            await fsp.rename(path.join(abs, name), path.join(abs, nfc));
            rep.renamed.push({ space: key, from: rel0, to: dir ? `${dir}/${nfc}` : nfc });
            here.add(nfc);
            name = nfc;
          }
          const rel = dir ? `${dir}/${name}` : name;
          const st = await fsp.lstat(path.join(abs, name));
          if (st.isSymbolicLink()) {
            rep.skipped.push({ space: key, path: rel, reason: 'symlink' });
            continue;
          }
          if (!st.isFile() && !st.isDirectory()) {
            rep.skipped.push({ space: key, path: rel, reason: 'not a regular file or folder' });
            continue;
          }
          seen.add(rel);
          found.push({ rel, st });
          if (st.isDirectory()) stack.push(rel);
        }
      }
    }
    const containerOwner = key.startsWith('users/') ? key.slice(6) : null;
    const ownerKnown = containerOwner !== null && this.users.exists(containerOwner);
    const now = this.clock.now();
    this.db.transaction(() => {
      for (const { rel, st } of found) {
        const row = rows.get(rel);
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
      for (const [rel, row] of rows) {
        if (seen.has(rel)) continue;
        if (row.missing_since === null) files.markMissing(row.id, now);
        rep.missing.push({ space: key, path: rel });
      }
    })();
  }
}
