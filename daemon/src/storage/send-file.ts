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
  const bufs: Buffer[] = [Buffer.allocUnsafe(MIN_CHUNK), Buffer.allocUnsafe(MIN_CHUNK)];
  let size = MIN_CHUNK;

  const run = async () => {
    let pos = start;
    let slot = 0;
    let sending: Promise<void> | null = null;
    let lastDone = performance.now();
    while (pos <= end && !closed) {
      // This slot's last write finished (awaited below in the previous turn): the buffer is free.
      if (bufs[slot]!.length !== size) bufs[slot] = Buffer.allocUnsafe(size);
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
    if (!closed) out.end();
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
