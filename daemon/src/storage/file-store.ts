// The data root on disk: its layout, the mount guard, and atomic durable writes
// (temporary file on the same filesystem, SHA-256 while streaming, fsync, link/rename, fsync dir).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { StorageState } from '../api-types.js';
import { HttpError, fromFsError } from '../errors.js';
import { readDiskSpace, type DiskSpace } from './disk-space.js';

const SYNC_EVERY = 32 * 1024 * 1024;

export interface WriteResult {
  size: number;
  sha256: string;
  mtime: number;
}

/** How much of an upload may wait in memory for the disk (the temp file's write queue). */
const WRITE_QUEUE_BYTES = 256 * 1024;
/** Bodies up to this size are gathered in memory and written with one call (see writeTemp). */
const SMALL_BODY = 64 * 1024;

/** A new temporary file, never an existing one; opened on the thread pool (a create may wait for the journal). */
function openTemp(tmp: string): Promise<number> {
  return new Promise<number>((resolve, reject) => fs.open(tmp, 'wx', 0o640, (e, f) => (e ? reject(e) : resolve(f))));
}

function fsyncFd(fd: number): Promise<void> {
  return new Promise<void>((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
}

export class FileStore {
  readonly tmpDir: string;
  readonly trashDir: string;
  /** Unfinished resumable uploads (@tus/file-store's folder): same filesystem, so a finish is a link or rename. */
  readonly tusDir: string;
  /** The grid's thumbnails, a cache (services/thumbs.ts). */
  readonly thumbsDir: string;
  /** Files handed in to hand-in folders (services/handins.ts): outside every space, on the same filesystem. */
  readonly handinsDir: string;
  private readonly dirSync = new DirSync();
  private mountCache: { at: number; mounted: boolean } | null = null;

  constructor(
    readonly dataDir: string,
    private readonly opts: { requireMount: boolean; minFreeBytes: number },
  ) {
    this.tmpDir = path.join(dataDir, '.hcd', 'tmp');
    this.trashDir = path.join(dataDir, '.hcd', 'trash');
    this.tusDir = path.join(dataDir, '.hcd', 'tus');
    this.thumbsDir = path.join(dataDir, '.hcd', 'thumbs');
    this.handinsDir = path.join(dataDir, '.hcd', 'handins');
  }

  spaceRoot(spaceKey: string): string {
    return path.join(this.dataDir, ...spaceKey.split('/'));
  }

  /** Whether the data root can be written to: in appliance mode it must be a mounted filesystem. */
  available(fresh = false): boolean {
    if (!this.opts.requireMount) return true;
    const now = Date.now();
    // Re-read at most every second: cheap enough to notice an unplugged SSD at once.
    if (!fresh && this.mountCache && now - this.mountCache.at < 1000) return this.mountCache.mounted;
    const mounted = isMountPoint(this.dataDir);
    this.mountCache = { at: now, mounted };
    return mounted;
  }

  storageState(): StorageState {
    if (!this.opts.requireMount) return 'local';
    return this.available() ? 'mounted' : 'missing';
  }

  /** Throws 503 when the SSD is missing; creates the layout the first time it is there. */
  async ensureAvailable(): Promise<void> {
    // A write always looks afresh: a mount state cached from before an unplug would let it land on
    // the bare mount point (the SD card).
    if (!this.available(true)) {
      throw new HttpError('storage_unavailable', 'The storage drive is not connected: nothing can be written now.');
    }
    await this.ensureLayout();
  }

  private layoutReady = false;
  async ensureLayout(): Promise<void> {
    if (this.layoutReady && fs.existsSync(this.tmpDir)) return;
    for (const d of [path.join(this.dataDir, 'workspace'), path.join(this.dataDir, 'users'), this.tmpDir, this.trashDir]) {
      await fsp.mkdir(d, { recursive: true, mode: 0o750 });
    }
    this.layoutReady = true;
  }

  private freeCache: { at: number; space: DiskSpace } | null = null;

  /** The data disk's figures (disk-space.ts): what the storage report, health and the upload checks all read. */
  async diskSpace(fresh = true): Promise<DiskSpace> {
    const now = Date.now();
    if (!fresh && this.freeCache && now - this.freeCache.at < 1000) return this.freeCache.space;
    const space = await readDiskSpace(this.dataDir);
    this.freeCache = { at: now, space };
    return space;
  }

  /** Size and space left for users (statfs bavail: ext4's reserved blocks are not ours). */
  async freeBytes(fresh = true): Promise<{ total: number; free: number }> {
    const s = await this.diskSpace(fresh);
    return { total: s.sizeBytes, free: s.availableBytes };
  }

  /** Bytes writable before the reserve (`fresh`: a new statfs, else a figure up to a second old). */
  async writableBytes(fresh = true): Promise<number> {
    const { free } = await this.freeBytes(fresh);
    return Math.max(0, free - this.opts.minFreeBytes);
  }

  tmpPath(id: string): string {
    return path.join(this.tmpDir, id);
  }

  /**
   * Streams `source` into the temporary file `id`, hashing as it goes, and fsyncs it.
   * `limit` aborts the write with the given error once exceeded. The temp file is removed on failure.
   *
   * A body of at most SMALL_BODY bytes (a text, a photo's thumbnail, most of what a class hands in)
   * is gathered first and written with one call: a write stream costs a dozen thread-pool round
   * trips, each of which costs the event loop more than the write itself (issue 16's profile of
   * 16 KiB uploads: about a third of the main thread went to submitting file operations).
   */
  async writeTemp(
    source: Readable | AsyncIterable<Buffer>,
    id: string,
    limit?: { allow: (size: number) => boolean; error: () => HttpError },
  ): Promise<WriteResult> {
    const tmp = this.tmpPath(id);
    const hash = crypto.createHash('sha256');
    let size = 0;
    const take = (chunk: Buffer) => {
      size += chunk.length;
      if (limit && !limit.allow(size)) throw limit.error();
      hash.update(chunk);
    };
    const chunks = source[Symbol.asyncIterator]();
    const head: Buffer[] = [];
    let ended = false;
    try {
      while (size <= SMALL_BODY) {
        const r = await chunks.next();
        if (r.done) {
          ended = true;
          break;
        }
        take(r.value);
        head.push(r.value);
      }
    } catch (err) {
      await chunks.return?.();
      throw fromFsError(err) ?? err;
    }
    if (ended) return this.writeSmall(tmp, head, size, hash);
    // A numeric fd rather than a FileHandle: FileHandle.close() waits for streams that still
    // reference it, and an autoClose:false stream never lets go.
    const fd = await openTemp(tmp);
    // Large files are flushed as they arrive, so the disk writes while the network receives and the
    // final fsync has little left to do (instead of the whole file at the end, one disk-time later).
    let synced = 0;
    let syncing: Promise<void> | undefined;
    const startSync = () => {
      synced = size;
      syncing = new Promise<void>((resolve) => fs.fdatasync(fd, () => resolve())).then(() => {
        syncing = undefined;
      });
    };
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      fs.closeSync(fd);
    };
    // 256 KiB queued at most before the socket is paused: 30 uploads at once then hold about 8 MiB of
    // chunks waiting for the disk, not 30 (issue 16: the daemon's RSS under 30 concurrent uploads).
    const out = fs.createWriteStream('', { fd, autoClose: false, highWaterMark: WRITE_QUEUE_BYTES });
    try {
      await pipeline(async function* () {
        try {
          yield* head;
          for (;;) {
            const r = await chunks.next();
            if (r.done) return;
            take(r.value);
            if (size - synced >= SYNC_EVERY && !syncing) startSync();
            yield r.value;
          }
        } finally {
          await chunks.return?.();
        }
      }, out);
      await syncing;
      await fsyncFd(fd);
      const st = fs.fstatSync(fd);
      close();
      return { size, sha256: hash.digest('hex'), mtime: Math.floor(st.mtimeMs) };
    } catch (err) {
      // A background fdatasync must not outlive the descriptor it was given.
      await syncing;
      // pipeline() destroys `out` on failure, and a destroyed fs stream closes its fd itself whatever
      // autoClose says (that flag only covers a normal end). Closing the number again would fail with
      // EBADF, or worse close another upload's file that reused it: let the stream do it, once.
      if (!closed) {
        closed = true;
        if (!out.closed) {
          await new Promise<void>((resolve) => {
            out.once('close', () => resolve());
            if (!out.destroyed) out.destroy();
          });
        }
      }
      await fsp.rm(tmp, { force: true });
      throw fromFsError(err) ?? err;
    }
  }

  /** A whole small body to the temp file: open and write at once, then the fsync on the thread pool. */
  private async writeSmall(tmp: string, chunks: Buffer[], size: number, hash: crypto.Hash): Promise<WriteResult> {
    let fd: number | undefined;
    try {
      fd = await openTemp(tmp);
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      for (let at = 0; at < size;) at += fs.writeSync(fd, body, at, size - at);
      await fsyncFd(fd);
      const st = fs.fstatSync(fd);
      return { size, sha256: hash.digest('hex'), mtime: Math.floor(st.mtimeMs) };
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw fromFsError(err) ?? err;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /**
   * Puts a finished temp file at `dest`. Without overwrite, link(2) fails if dest exists, so two
   * racing uploads can never replace each other. The caller then syncs the folder (syncDir) so the
   * name survives a power cut.
   */
  commitFile(tmp: string, dest: string, overwrite: boolean): void {
    if (overwrite) {
      fs.renameSync(tmp, dest);
    } else {
      try {
        fs.linkSync(tmp, dest);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // exFAT and friends have no hard links: fall back to check-then-rename.
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
        if (fs.existsSync(dest)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
        fs.renameSync(tmp, dest);
      }
      fs.rmSync(tmp, { force: true });
    }
  }

  /** Makes the names created or removed in `dir` durable (see DirSync). */
  syncDir(dir: string): Promise<void> {
    return this.dirSync.sync(dir);
  }

  removeTemp(id: string): void {
    fs.rmSync(this.tmpPath(id), { force: true });
  }
}

/**
 * Group commit for directory fsyncs: a caller whose change came while a sync of that folder runs
 * waits for the next one (which starts after it), and every caller arriving meanwhile shares that
 * next one. Eight clients uploading into one folder cost about one fsync each round, not eight.
 */
export class DirSync {
  private readonly running = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Promise<void>>();

  sync(dir: string): Promise<void> {
    const queued = this.queued.get(dir);
    if (queued) return queued;
    const running = this.running.get(dir);
    if (!running) return this.start(dir);
    const next = running
      .catch(() => {})
      .then(() => {
        this.queued.delete(dir);
        return this.start(dir);
      });
    this.queued.set(dir, next);
    return next;
  }

  private start(dir: string): Promise<void> {
    const p: Promise<void> = (async () => {
      const fh = await fsp.open(dir, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    })().finally(() => {
      if (this.running.get(dir) === p) this.running.delete(dir);
    });
    this.running.set(dir, p);
    return p;
  }
}

/** Whether `dir` is itself a mount point, per /proc/self/mountinfo (bind mounts included). */
export function isMountPoint(dir: string): boolean {
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    return false;
  }
  try {
    const info = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    for (const line of info.split('\n')) {
      const mp = line.split(' ')[4];
      // mountinfo escapes space, tab, newline and backslash as octal.
      if (mp && mp.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))) === real) {
        // homedrive.service's ReadWritePaths= (under ProtectSystem=strict) bind-mounts the empty
        // mount point onto itself: still the SD card. Only another filesystem is the SSD.
        return fs.statSync(real).dev !== fs.statSync(path.dirname(real)).dev;
      }
    }
    return false;
  } catch {
    // No procfs: compare devices with the parent, as mountpoint(1) used to.
    const a = fs.statSync(real);
    const b = fs.statSync(path.dirname(real));
    return a.dev !== b.dev || a.ino === b.ino;
  }
}
