// Durable acknowledgements with synchronous=NORMAL: before the daemon answers "done" for a change of
// the index (an upload, a delete, a move, a restore), it fsyncs the write-ahead log once, and every
// caller arriving while that fsync runs shares the next one (a group commit). A power cut then never
// rolls back an index change the client was told about, at the cost of about one SD-card fsync per
// burst of concurrent changes instead of one per transaction (synchronous=FULL).
import fs from 'node:fs';

export class CommitBarrier {
  private fd: number | null = null;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  /** `dbPath`: the SQLite file (WAL mode); ':memory:' makes every barrier a no-op. */
  constructor(private readonly dbPath: string) {}

  /** Resolves once every transaction committed before the call is on stable storage. */
  sync(): Promise<void> {
    if (this.dbPath === ':memory:') return Promise.resolve();
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    // A sync is running, but it may have begun before our commit: wait for the next one.
    this.queued = this.running
      .catch(() => {})
      .then(() => {
        this.queued = null;
        return this.start();
      });
    return this.queued;
  }

  private start(): Promise<void> {
    const p = new Promise<void>((resolve, reject) => {
      try {
        // The -wal file lives as long as the database is open in WAL mode (truncated, never replaced);
        // frames already checkpointed into the main file were fsynced by the checkpoint itself.
        this.fd ??= fs.openSync(`${this.dbPath}-wal`, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return resolve(); // nothing written yet
        return reject(err);
      }
      fs.fsync(this.fd, (err) => (err ? reject(err) : resolve()));
    }).finally(() => {
      if (this.running === p) this.running = null;
    });
    this.running = p;
    return p;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
