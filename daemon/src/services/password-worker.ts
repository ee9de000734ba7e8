// One password-hashing thread of the PasswordHasher pool: runs bcryptjs off the daemon's event loop.
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import type { HashJob, HashReply } from './password-hasher.js';

const port = parentPort;
if (!port) throw new Error('password-worker runs as a worker thread of PasswordHasher');

port.on('message', (job: HashJob) => {
  const run = job.op === 'hash' ? bcrypt.hash(job.password, job.cost) : bcrypt.compare(job.password, job.hash);
  run.then(
    (value) => port.postMessage({ id: job.id, ok: true, value } satisfies HashReply),
    (err: unknown) => port.postMessage({ id: job.id, ok: false, message: err instanceof Error ? err.message : String(err) } satisfies HashReply),
  );
});
