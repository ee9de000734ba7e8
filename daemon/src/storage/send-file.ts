// A file's bytes into an HTTP response with two reusable buffers whose size follows the client:
// 64 KiB for a phone that takes 1 MB/s, up to 512 KiB for a laptop on a cable. A read stream piped
// into the response reads ahead its high-water mark and makes a new buffer for every chunk: thirty slow
// phones then hold about 1 MiB each plus whatever the garbage collector has not freed yet (issue 16:
// 188 MiB of RSS for 30 slow downloads). Here a download holds at most two buffers, allocates nothing
// per chunk, and reads the next chunk while the previous one is being sent.
import fs from 'node:fs';
import type { ServerResponse } from 'node:http';

export const MIN_CHUNK = 64 * 1024;
export const MAX_CHUNK = 512 * 1024;
/** A chunk holds about this much of the client's time: 64 KiB at 1 MB/s, 512 KiB from 10 MB/s. */
const CHUNK_MS = 50;

/** The chunk size for a client that takes `bytesPerMs`: a power of two within MIN_CHUNK..MAX_CHUNK. */
export function chunkFor(bytesPerMs: number): number {
  let size = MIN_CHUNK;
  while (size * 2 <= MAX_CHUNK && size * 2 <= bytesPerMs * CHUNK_MS) size *= 2;
  return size;
}

/**
 * Free buffers shared by every download, by size: a download that shrinks from 512 KiB to 64 KiB
 * gives its large buffers back for the next fast client instead of leaving them for the garbage
 * collector, which with little JavaScript allocation may not run for a long time (30 slow phones
 * otherwise left about 30 MiB of dead buffers in the RSS). At most POOL_MAX bytes are kept.
 */
const POOL_MAX = 8 * 1024 * 1024;
const pool = new Map<number, Buffer[]>();
let pooled = 0;

function take(size: number): Buffer {
  const free = pool.get(size)?.pop();
  if (free) {
    pooled -= size;
    return free;
  }
  return Buffer.allocUnsafeSlow(size);
}

function give(buf: Buffer): void {
  if (pooled + buf.length > POOL_MAX) return;
  pooled += buf.length;
  let free = pool.get(buf.length);
  if (!free) pool.set(buf.length, (free = []));
  free.push(buf);
}

/**
 * The chunk size each connection ended its last download with: the next request on a kept-alive
 * connection (a file manager's ranges, a page's photos) starts there instead of at 64 KiB.
 */
const learned = new WeakMap<object, number>();

/** Bytes kept in the pool now (tests). */
export const pooledBytes = () => pooled;

function read(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(n))));
}

export interface SendStats {
  /** Chunk sizes in the order they were sent (tests). */
  chunks?: number[];
}

/**
 * Sends bytes `start`..`end` (inclusive) of `fd` to `out` (whose head is already written), then ends
 * it and closes `fd`. A read error or a file that shrank destroys the response (the client sees a cut
 * download, never wrong bytes); a client that goes away stops the reads. Never throws.
 */
export function sendFile(fd: number, start: number, end: number, out: ServerResponse, stats: SendStats = {}): Promise<void> {
  let closed = false;
  let onClose: () => void = () => {};
  const gone = new Promise<void>((resolve) => (onClose = resolve));
  const close = () => {
    closed = true;
    onClose();
  };
  out.on('close', close);
  const conn = out.socket;
  let size = (conn && learned.get(conn)) || MIN_CHUNK;
  const bufs: Buffer[] = [take(size), take(size)];

  const run = async () => {
    let pos = start;
    let slot = 0;
    let sending: Promise<void> | null = null;
    let lastDone = performance.now();
    while (pos <= end && !closed) {
      // This slot's last write finished (awaited below in the previous turn): the buffer is free.
      if (bufs[slot]!.length !== size) {
        give(bufs[slot]!);
        bufs[slot] = take(size);
      }
      const buf = bufs[slot]!;
      const n = await read(fd, buf, Math.min(size, end - pos + 1), pos);
      if (n === 0) throw new Error('the file shrank while it was being sent');
      pos += n;
      if (sending) await Promise.race([sending, gone]);
      if (closed) break;
      const chunk = n === buf.length ? buf : buf.subarray(0, n);
      stats.chunks?.push(n);
      sending = new Promise<void>((resolve) =>
        out.write(chunk, () => {
          // The time between two chunks handed to the kernel is, once its buffers are full, the time
          // the client took to read one: its rate. Shrink at once to it; grow one step at a time.
          const now = performance.now();
          const fit = chunkFor(n / Math.max(now - lastDone, 0.001));
          lastDone = now;
          size = fit < size ? fit : Math.min(fit, size * 2);
          resolve();
        }),
      );
      slot ^= 1;
    }
    if (sending) await Promise.race([sending, gone]);
    if (!closed) {
      if (conn) learned.set(conn, size);
      out.end();
      // Every write has completed: the socket holds neither buffer any more. (A client that left may
      // still have one in a cancelled write: those two are left to the garbage collector.)
      for (const b of bufs) give(b);
    }
  };

  return run()
    .catch((err: Error) => {
      out.destroy(err);
    })
    .then(
      () =>
        new Promise<void>((resolve) => {
          out.off('close', close);
          fs.close(fd, () => resolve());
        }),
    );
}
