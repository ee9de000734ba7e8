// Login throttling: after a few failures per (address, username) and per address, further attempts
// are refused for a delay that doubles with each failure, without even checking the password.
export interface ThrottleOptions {
  freeFailures: number; // failures allowed before delays start
  baseDelayMs: number;
  maxDelayMs: number;
  windowMs: number; // failures older than this are forgotten
}

interface Entry {
  failures: number;
  last: number;
  blockedUntil: number;
}

export class LoginThrottle {
  private entries = new Map<string, Entry>();
  constructor(
    private readonly now: () => number,
    private readonly opts: ThrottleOptions = { freeFailures: 5, baseDelayMs: 30_000, maxDelayMs: 15 * 60_000, windowMs: 15 * 60_000 },
  ) {}

  /** Milliseconds to wait before another attempt with any of these keys is looked at (0: go ahead). */
  retryAfterMs(keys: string[]): number {
    const t = this.now();
    let wait = 0;
    for (const k of keys) {
      const e = this.entries.get(k);
      if (e && e.blockedUntil > t) wait = Math.max(wait, e.blockedUntil - t);
    }
    return wait;
  }

  fail(key: string, freeFailures = this.opts.freeFailures): void {
    const t = this.now();
    let e = this.entries.get(key);
    if (!e || t - e.last > this.opts.windowMs) e = { failures: 0, last: t, blockedUntil: 0 };
    e.failures++;
    e.last = t;
    if (e.failures >= freeFailures) {
      const delay = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (e.failures - freeFailures));
      e.blockedUntil = t + delay;
    }
    this.entries.set(key, e);
    if (this.entries.size > 10_000) this.prune();
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }

  /** Takes back one failure counted ahead of a check that then succeeded. */
  forgive(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.failures = Math.max(0, e.failures - 1);
    if (e.failures === 0) this.entries.delete(key);
  }

  private prune(): void {
    const t = this.now();
    for (const [k, e] of this.entries) if (t - e.last > this.opts.windowMs && e.blockedUntil < t) this.entries.delete(k);
  }
}
