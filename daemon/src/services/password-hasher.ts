// Password hashing on a small pool of worker threads: a bcrypt check takes tens of milliseconds
// here and several hundred on a Pi 4, which on the event loop would stall every other request.
import os from 'node:os';
import { Worker } from 'node:worker_threads';

export type HashJob = { id: number; op: 'hash'; password: string; cost: number } | { id: number; op: 'compare'; password: string; hash: string };
export type HashReply = { id: number; ok: true; value: string | boolean } | { id: number; ok: false; message: string };
type WithoutId<J> = J extends unknown ? Omit<J, 'id'> : never;
type JobInput = WithoutId<HashJob>;

interface Pending {
  job: HashJob;
  resolve(value: string | boolean): void;
  reject(err: Error): void;
}

interface Thread {
  worker: Worker;
  busy: Pending | null;
  /** Set while the thread is idle and more than `keep` threads run: it stops when this fires. */
  idle: NodeJS.Timeout | null;
}

export interface HasherOptions {
  /** Threads kept when idle (each is a V8 isolate: about 10 MiB of RSS). */
  keep?: number;
  /** How long a thread beyond `keep` may stay idle before it stops. */
  idleMs?: number;
}

/** Threads by default: one per core, at most 4 (a Pi 4 has 4 cores; more would only queue in the kernel). */
export function defaultHashThreads(): number {
  return Math.max(1, Math.min(os.availableParallelism(), 4));
}

/**
 * The worker's module next to this one: `password-worker.js` in the build (dist/, what the daemon
 * runs); `password-worker.ts` when running from the sources under tsx (the tests). There, Node 20
 * does not apply the inherited `--import tsx` to a worker's entry module, so a one-line bootstrap
 * registers tsx's hooks in the worker first (tsx is only resolved on this path: a dev dependency).
 */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./password-worker.js', here));
  const entry = JSON.stringify(new URL('./password-worker.ts', here).href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${tsx}).then(({ register }) => { register(); return import(${entry}); })`, { eval: true });
}

/**
 * bcryptjs `hash`/`compare` on up to `size` worker threads, started on first use. A job waits in
 * a queue while every thread is busy. Idle threads are unref'd (never keep the process alive); a
 * busy one is ref'd so that a caller awaiting a hash (the CLI) is not cut short. An error in the
 * worker rejects that call; a thread that dies rejects its job and is replaced when needed.
 */
export class PasswordHasher {
  private readonly threads: Thread[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  readonly keep: number;
  readonly idleMs: number;

  constructor(
    readonly size = defaultHashThreads(),
    opts: HasherOptions = {},
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`PasswordHasher needs at least one thread, got ${size}`);
    this.keep = Math.min(size, opts.keep ?? 1);
    this.idleMs = opts.idleMs ?? 15_000;
  }

  hash(password: string, cost: number): Promise<string> {
    return this.run({ op: 'hash', password, cost }) as Promise<string>;
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.run({ op: 'compare', password, hash }) as Promise<boolean>;
  }

  /**
   * Starts the `keep` threads now and has each check one hash, so that the first logins of a class
   * pay neither a thread's start nor bcryptjs's JIT warm-up. The others start when a burst needs
   * them (a few tens of milliseconds) and stop after `idleMs` idle: each thread is a V8 isolate of
   * about 10 MiB, 30 MiB at rest on a Pi's four cores for nothing. The daemon calls it once it
   * listens; tests and the CLI start threads on first use instead.
   */
  async warm(): Promise<void> {
    const sample = '$2b$04$' + 'a'.repeat(53);
    await Promise.all(Array.from({ length: this.keep }, () => this.compare('warm-up', sample).catch(() => false)));
  }

  /** Threads running now (for tests and the shutdown log). */
  get threadCount(): number {
    return this.threads.length;
  }

  /** Stops every thread; jobs still queued or running are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    const err = new Error('the password hasher was closed');
    for (const p of this.queue.splice(0)) p.reject(err);
    const threads = this.threads.splice(0);
    for (const t of threads) {
      if (t.idle) clearTimeout(t.idle);
      t.busy?.reject(err);
      t.busy = null;
    }
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private run(input: JobInput): Promise<string | boolean> {
    if (this.closed) return Promise.reject(new Error('the password hasher was closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { ...input, id: this.nextId++ } as HashJob, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let t = this.threads.find((x) => x.busy === null);
      if (!t && this.threads.length < this.size) t = this.spawn();
      if (!t) return;
      const p = this.queue.shift()!;
      if (t.idle) clearTimeout(t.idle);
      t.idle = null;
      t.busy = p;
      t.worker.ref();
      t.worker.postMessage(p.job);
    }
  }

  private spawn(): Thread {
    const worker = startWorker();
    const t: Thread = { worker, busy: null, idle: null };
    worker.unref();
    worker.on('message', (r: HashReply) => {
      const p = t.busy;
      if (!p || p.job.id !== r.id) return;
      t.busy = null;
      worker.unref();
      if (r.ok) p.resolve(r.value);
      else p.reject(new Error(`password hashing failed: ${r.message}`));
      this.dispatch();
      if (t.busy === null) this.idleLater(t);
    });
    const lost = (err: Error) => {
      const i = this.threads.indexOf(t);
      if (i < 0) return; // already handled (an 'error' is followed by 'exit'), or closed
      this.threads.splice(i, 1);
      t.busy?.reject(err);
      t.busy = null;
      // Replaced on demand: the queue's next job starts a fresh thread.
      if (!this.closed) this.dispatch();
    };
    worker.on('error', (err) => lost(new Error(`password hashing thread failed: ${err.message}`)));
    worker.on('exit', (code) => lost(new Error(`password hashing thread exited (code ${code})`)));
    this.threads.push(t);
    return t;
  }

  /** Stops `t` after `idleMs` if it is still idle then and more than `keep` threads run. */
  private idleLater(t: Thread): void {
    if (t.idle || this.closed) return;
    t.idle = setTimeout(() => {
      t.idle = null;
      const i = this.threads.indexOf(t);
      if (t.busy !== null || i < 0 || this.threads.length <= this.keep) return;
      this.threads.splice(i, 1); // first, so that its 'exit' is not taken for a crash
      void t.worker.terminate();
    }, this.idleMs);
    t.idle.unref();
  }
}
