// Database backups on the SSD: listing, making one, reading one, and staging a restore that the next start applies.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { BackupInfo } from '../api-types.js';
import type { Db } from '../db/connection.js';
import { migrate, migrations, schemaVersion } from '../db/migrate.js';
import { HttpError, badRequest } from '../errors.js';
import type { Logger } from '../log.js';
import type { Ctx } from '../policy/policy.js';
import type { FileStore } from '../storage/file-store.js';
import { Audit } from './audit.js';
import type { Clock } from './clock.js';

/** The names the nightly job and "back up now" give: `hcd-<ISO time with : and . as ->.db`. Nothing else is served. */
export const BACKUP_NAME = /^hcd-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z\.db$/;

/** Beside the live database (on the SD card): the checked copy that the next start puts in its place. */
export const stagedPath = (dbPath: string) => `${dbPath}.restore`;
/** The database a restore replaced, kept once so that an administrator can still go back by hand. */
export const replacedPath = (dbPath: string) => `${dbPath}.before-restore`;

const SIDE_FILES = ['', '-wal', '-shm'];

export interface BackupsConfig {
  dataDir: string;
  dbPath: string;
}

export class Backups {
  constructor(
    private readonly config: BackupsConfig,
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly store: FileStore,
    private readonly log: Logger,
  ) {}

  get dir(): string {
    return path.join(this.config.dataDir, '.hcd', 'backups');
  }

  /** The backups on the SSD, newest first, each with what it holds (read from the file, read-only). */
  async list(): Promise<BackupInfo[]> {
    if (!this.store.available()) return [];
    let names: string[];
    try {
      names = (await fsp.readdir(this.dir)).filter((n) => BACKUP_NAME.test(n));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    names.sort().reverse();
    const out: BackupInfo[] = [];
    for (const name of names) {
      const file = path.join(this.dir, name);
      const st = await fsp.lstat(file).catch(() => null);
      if (!st?.isFile()) continue;
      out.push({ name, bytes: st.size, createdAt: createdAt(name, st.mtimeMs), ...peek(file) });
    }
    return out;
  }

  /** A consistent copy of the live database onto the SSD (SQLite's online backup: writes go on meanwhile). */
  async make(): Promise<{ name: string; bytes: number }> {
    if (!this.store.available()) throw new HttpError('storage_unavailable', 'The SSD is not mounted: there is nowhere to write a backup.');
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o750 });
    const name = `hcd-${new Date(this.clock.now()).toISOString().replace(/[:.]/g, '-')}.db`;
    const dest = path.join(this.dir, name);
    await this.db.backup(`${dest}.part`);
    await fsyncFile(`${dest}.part`);
    await fsp.rename(`${dest}.part`, dest);
    await fsyncFile(this.dir);
    return { name, bytes: (await fsp.stat(dest)).size };
  }

  /** The file behind a backup's name, for a download; 404 for any other name or a symlink. */
  async file(name: string): Promise<{ path: string; bytes: number }> {
    if (!BACKUP_NAME.test(name)) throw new HttpError('not_found', 'No such backup.');
    if (!this.store.available()) throw new HttpError('storage_unavailable', 'The SSD is not mounted: its backups cannot be read.');
    const file = path.join(this.dir, name);
    const st = await fsp.lstat(file).catch(() => null);
    if (!st?.isFile()) throw new HttpError('not_found', `No backup named ${name}.`);
    return { path: file, bytes: st.size };
  }

  /**
   * Checks a backup and stages it: a copy beside the live database, checked (quick_check), brought to
   * this daemon's schema, holding at least one active administrator, and carrying the audit entry of its
   * own restore. The caller then restarts the daemon, which swaps the files before opening the database.
   */
  async stageRestore(ctx: Ctx, name: string): Promise<BackupInfo> {
    if (this.config.dbPath === ':memory:') throw badRequest('bad_request', 'This daemon runs on an in-memory database: there is no file to restore into.');
    const { path: src } = await this.file(name);
    const staged = stagedPath(this.config.dbPath);
    // One copy per request: two restores asked at once must not write into each other's file.
    const part = `${staged}.${crypto.randomUUID()}.part`;
    await fsp.copyFile(src, part);
    let info: BackupInfo;
    try {
      let copy: Db;
      try {
        copy = new Database(part, { fileMustExist: true });
      } catch (err) {
        throw badRequest('invalid_backup', `${name} cannot be opened as a database: ${(err as Error).message}.`);
      }
      try {
        const check = safe(() => String(copy.pragma('quick_check', { simple: true })));
        if (check !== 'ok') throw badRequest('invalid_backup', `${name} is damaged (SQLite's quick_check: ${check}).`);
        const version = schemaVersion(copy);
        if (version > migrations.length) {
          throw badRequest('invalid_backup', `${name} comes from a newer version of the drive (schema ${version}, this one knows ${migrations.length}).`);
        }
        migrate(copy);
        const admins = copy.prepare(`SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled = 0 AND deleted_at IS NULL`).get() as { n: number };
        if (admins.n === 0) throw badRequest('invalid_backup', `${name} has no active administrator: nobody could log in to manage the drive after it.`);
        // Written into the copy: the live database, and so this request's own audit, is about to be replaced.
        new Audit(copy, this.clock).by(ctx, 'backup_restore', `backup:${name}`, { schema: version });
        info = { name, bytes: fs.statSync(src).size, createdAt: createdAt(name, fs.statSync(src).mtimeMs), ...peekDb(copy) };
        copy.pragma('wal_checkpoint(TRUNCATE)');
        copy.pragma('journal_mode = DELETE');
      } finally {
        copy.close();
      }
      await fsyncFile(part);
      await fsp.rename(part, staged);
      await fsyncFile(path.dirname(staged));
    } catch (err) {
      await fsp.rm(part, { force: true });
      throw err;
    }
    this.log.warn('backup restore staged: the daemon restarts to apply it', { backup: name, by: ctx.actor.username });
    return info;
  }

  /**
   * After an SD card was replaced: the database is new (only the administrator of the first start)
   * while the SSD holds backups with accounts in them. The newest such backup is offered to the admin.
   */
  async offer(): Promise<BackupInfo | null> {
    const users = this.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number };
    if (users.n > 1) return null;
    const newest = (await this.list())[0];
    return newest && newest.users !== null && newest.users > 1 ? newest : null;
  }
}

/**
 * At start, before the database is opened: puts a staged restore in place. The replaced database (with
 * its write-ahead log) is kept as `<db>.before-restore`. Returns whether a restore was applied.
 */
export function applyStagedRestore(dbPath: string): boolean {
  if (dbPath === ':memory:') return false;
  const staged = stagedPath(dbPath);
  if (!fs.existsSync(staged)) return false;
  // A start cut off after moving the live database aside finds it gone: the copy kept then is that database,
  // and must not be removed the second time.
  if (fs.existsSync(dbPath)) {
    for (const s of SIDE_FILES) fs.rmSync(replacedPath(dbPath) + s, { force: true });
    for (const s of SIDE_FILES) {
      if (fs.existsSync(dbPath + s)) fs.renameSync(dbPath + s, replacedPath(dbPath) + s);
    }
  }
  fs.renameSync(staged, dbPath);
  const dirFd = fs.openSync(path.dirname(dbPath), 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
  return true;
}

/** The backup's time from its name (the server's clock when it was made), else the file's. */
function createdAt(name: string, mtimeMs: number): string {
  const m = /^hcd-(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z\.db$/.exec(name);
  const t = m ? Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`) : NaN;
  return new Date(Number.isFinite(t) ? t : mtimeMs).toISOString();
}

/** What a backup holds, read-only; nulls when it cannot be read (listed anyway, refused at restore). */
function peek(file: string): Pick<BackupInfo, 'users' | 'files' | 'schemaVersion'> {
  let db: Db | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    return peekDb(db);
  } catch {
    return { users: null, files: null, schemaVersion: null };
  } finally {
    db?.close();
  }
}

function peekDb(db: Db): Pick<BackupInfo, 'users' | 'files' | 'schemaVersion'> {
  const count = (sql: string) => safe(() => (db.prepare(sql).get() as { n: number }).n);
  return {
    users: count('SELECT count(*) AS n FROM users WHERE deleted_at IS NULL'),
    files: count(`SELECT count(*) AS n FROM files WHERE type = 'file' AND missing_since IS NULL`),
    schemaVersion: safe(() => schemaVersion(db)),
  };
}

function safe<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}

async function fsyncFile(p: string): Promise<void> {
  const fh = await fsp.open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
