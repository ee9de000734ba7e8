// Write-ahead-log checkpoints off the event loop. SQLite's own (wal_autocheckpoint) runs inside the
// commit that takes the log past 1,000 pages: on the main thread, copying up to 4 MB into the
// database file and fsyncing it, while every other request waits (issue 16: 80-95 ms here when
// 110,000 files are indexed; an SD card's fsync alone can take longer). The daemon turns it off on
// its connection, and a worker thread with its own connection runs a PASSIVE checkpoint whenever the
// log has grown: it never blocks the daemon's readers or its writer, and it leaves any frame a
// reader still needs for the next round.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './connection.js';

/** The worker's code: plain JavaScript run with `eval`, so it needs no file of its own in the build. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
let running = false;
const round = () => {
  if (running) return;
  running = true;
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  } finally {
    running = false;
  }
};
const tick = setInterval(round, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m === 'now') round();
  if (m === 'stop') { clearInterval(tick); round(); db.close(); parentPort.postMessage({ stopped: true }); }
});
`;

export interface CheckpointRound {
  /** Frames in the log after the round. */
  log: number;
  /** Of those, the frames now also in the database file. */
  checkpointed: number;
}

export class Checkpointer {
  private readonly worker: Worker;
  private readonly waiting: ((r: CheckpointRound) => void)[] = [];
  private stopped: Promise<void> | null = null;

  /**
   * Turns off `db`'s own checkpoints and starts the worker on the same file (WAL mode, not ':memory:').
   * `onError`: a round that failed (the next one tries again).
   */
  constructor(db: Db, everyMs = 1000, onError: (message: string) => void = () => {}) {
    db.pragma('wal_autocheckpoint = 0');
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { file: db.name, module: createRequire(import.meta.url).resolve('better-sqlite3'), everyMs },
    });
    this.worker.on('message', (m: Partial<CheckpointRound> & { error?: string; stopped?: boolean }) => {
      if (m.error !== undefined) onError(m.error);
      else if (m.log !== undefined) {
        this.waiting.splice(0).forEach((w) => w(m as CheckpointRound));
        if (!this.stopped) this.worker.unref();
      }
    });
    this.worker.on('error', (err) => onError(err.message));
    this.worker.unref();
  }

  /** One round now, and what it left (tests, and a burst that wants its log short). */
  now(): Promise<CheckpointRound> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.worker.ref(); // someone waits for the answer: the process stays up for it
      this.worker.postMessage('now');
    });
  }

  /** A last round, then the worker's connection closed. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      this.worker.on('message', (m: { stopped?: boolean }) => m.stopped && resolve());
      this.worker.on('exit', () => resolve());
      this.worker.ref();
      this.worker.postMessage('stop');
    }).then(() => this.worker.terminate().then(() => {}));
    return this.stopped;
  }
}
