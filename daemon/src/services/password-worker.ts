// One password-hashing thread of the PasswordHasher pool: runs bcryptjs off the daemon's event loop.
import fs from 'node:fs';
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import type { HashJob, HashReply } from './password-hasher.js';

const port = parentPort;
if (!port) throw new Error('password-worker runs as a worker thread of PasswordHasher');

/**
 * This thread yields to the event loop's: nice 10 (Linux keeps a nice value per thread, and
 * /proc/thread-self names this one). Under a burst of logins the hashes then take the cores the
 * requests leave, instead of making every listing wait behind them. Raising one's own nice value
 * needs no privilege; where it fails (not Linux), the thread simply keeps the default priority.
 */
export const HASH_THREAD_NICE = 10;
try {
  const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, HASH_THREAD_NICE);
} catch {
  /* not Linux: default priority */
}

port.on('message', (job: HashJob) => {
  const run = job.op === 'hash' ? bcrypt.hash(job.password, job.cost) : bcrypt.compare(job.password, job.hash);
  run.then(
    (value) => port.postMessage({ id: job.id, ok: true, value } satisfies HashReply),
    (err: unknown) => port.postMessage({ id: job.id, ok: false, message: err instanceof Error ? err.message : String(err) } satisfies HashReply),
  );
});
