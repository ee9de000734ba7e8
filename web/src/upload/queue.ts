// The upload queue: a few files at a time, progress with speed and time left, cancel, and retries
// when the connection or the page comes back (from scratch with PUT, from where it stopped with tus).
import { canThumbnail, makeThumbnail, sendThumbnail } from './thumbnail.js';
import { UploadFailure, type TransferHandle, type UploadTarget, type UploadTransport } from './transport.js';

export type UploadState = 'queued' | 'uploading' | 'done' | 'failed' | 'interrupted' | 'cancelled';

export interface UploadItem {
  id: number;
  file: File;
  target: UploadTarget;
  /** Display path inside the space ("Photos/a.jpg"). */
  label: string;
  state: UploadState;
  sent: number;
  /** Bytes per second over the last few seconds (0 until known). */
  speed: number;
  error?: UploadFailure;
  /** How many times the upload restarted after an interruption. */
  restarts: number;
  /** Where the drive stored it, when that differs from the name it was sent under. */
  storedAs?: string;
  /** The connection dropped and the transport is resuming by itself (until bytes flow again). */
  retrying?: boolean;
  handle?: TransferHandle;
  samples: [number, number][];
  /** The photo's thumbnail for the grid, made while it uploads (upload/thumbnail.ts). */
  thumbnail?: Promise<Blob | null>;
}

/** How long a finished upload waits for its thumbnail before it is shown as done anyway. */
const THUMB_WAIT_MS = 15_000;

const CONCURRENCY = 2;
const MAX_AUTO_RETRIES = 5;

export class UploadQueue {
  readonly items: UploadItem[] = [];
  private nextId = 1;
  private listeners = new Set<(item?: UploadItem) => void>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the page went to the background while uploads were running (ms), or null. */
  hiddenSince: number | null = null;
  /** Shown once the page is back: what happened while it was hidden. */
  notice: { hiddenSeconds: number; restarted: number } | null = null;

  constructor(
    private transport: UploadTransport,
    private now: () => number = () => performance.now(),
  ) {
    document.addEventListener('visibilitychange', () => this.onVisibility());
    window.addEventListener('online', () => this.retryInterrupted());
  }

  get resumable(): boolean {
    return this.transport.resumable;
  }

  subscribe(f: (item?: UploadItem) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private emit(item?: UploadItem): void {
    for (const f of this.listeners) f(item);
  }

  add(files: { file: File; target: UploadTarget; label: string }[]): void {
    for (const f of files) this.items.push({ id: this.nextId++, ...f, state: 'queued', sent: 0, speed: 0, restarts: 0, samples: [] });
    this.emit();
    this.pump();
  }

  get active(): boolean {
    return this.items.some((i) => i.state === 'queued' || i.state === 'uploading' || i.state === 'interrupted');
  }

  cancel(item: UploadItem): void {
    if (item.state === 'uploading') item.handle?.abort();
    if (item.state === 'queued' || item.state === 'interrupted' || item.state === 'uploading') item.state = 'cancelled';
    this.emit(item);
    this.pump();
  }

  retry(item: UploadItem, overwrite = item.target.overwrite): void {
    item.target = { ...item.target, overwrite };
    item.state = 'queued';
    item.sent = 0;
    item.error = undefined;
    this.emit(item);
    this.pump();
  }

  clearFinished(): void {
    for (let i = this.items.length - 1; i >= 0; i--) {
      const s = this.items[i]!.state;
      if (s === 'done' || s === 'cancelled' || s === 'failed') this.items.splice(i, 1);
    }
    this.emit();
  }

  /** Seconds left at the current speed, or null when unknown. */
  eta(item: UploadItem): number | null {
    return item.speed > 0 ? (item.file.size - item.sent) / item.speed : null;
  }

  private pump(): void {
    let running = this.items.filter((i) => i.state === 'uploading').length;
    for (const item of this.items) {
      if (running >= CONCURRENCY) break;
      if (item.state !== 'queued') continue;
      running++;
      this.run(item);
    }
  }

  private run(item: UploadItem): void {
    item.state = 'uploading';
    if (!item.thumbnail && canThumbnail(item.file)) item.thumbnail = makeThumbnail(item.file).catch(() => null);
    if (!this.transport.resumable) item.sent = 0;
    item.samples = [[this.now(), item.sent]];
    item.speed = 0;
    const handle = this.transport.start(
      item.file,
      item.target,
      (sent) => {
        item.retrying = false;
        item.sent = sent;
        const t = this.now();
        item.samples.push([t, sent]);
        // Speed over a sliding window of ~4 s: steady enough to read, quick to follow a Wi-Fi change.
        while (item.samples.length > 2 && t - item.samples[0]![0] > 4000) item.samples.shift();
        const [t0, s0] = item.samples[0]!;
        if (t - t0 > 300) item.speed = ((sent - s0) * 1000) / (t - t0);
        this.emit(item);
      },
      () => {
        item.retrying = true;
        item.speed = 0;
        item.samples = [[this.now(), item.sent]];
        this.emit();
      },
    );
    item.handle = handle;
    this.emit(item);
    handle.done.then(
      async ({ storedAs }) => {
        if (storedAs && storedAs !== item.target.names.join('/')) item.storedAs = storedAs;
        // The thumbnail goes up before the item shows as done, so the grid that reloads on "done"
        // finds it. Never longer than THUMB_WAIT_MS: a photo counts, its thumbnail is a nicety.
        if (item.thumbnail) {
          const names = (item.storedAs ?? item.target.names.join('/')).split('/');
          const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), THUMB_WAIT_MS));
          const blob = await Promise.race([item.thumbnail, timeout]);
          if (blob) await Promise.race([sendThumbnail(item.target.space, names, blob), timeout]);
          item.thumbnail = undefined;
        }
        item.state = 'done';
        item.handle = undefined;
        this.emit(item);
        this.pump();
      },
      (err: unknown) => {
        item.handle = undefined;
        if (item.state === 'cancelled') return;
        const f = err instanceof UploadFailure ? err : new UploadFailure('network');
        item.error = f;
        if (f.kind === 'network') {
          // The Wi-Fi dropped, the phone locked or the tab was frozen: try again when it makes sense.
          item.state = 'interrupted';
          if (document.visibilityState === 'visible' && navigator.onLine !== false && item.restarts < MAX_AUTO_RETRIES) this.scheduleRetry();
        } else item.state = f.kind === 'aborted' ? 'cancelled' : 'failed';
        this.emit(item);
        this.pump();
      },
    );
  }

  private scheduleRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.retryInterrupted(), 3000);
  }

  /** Restarts every interrupted upload (PUT: from the first byte). Returns how many. */
  retryInterrupted(): number {
    let n = 0;
    for (const item of this.items) {
      if (item.state !== 'interrupted') continue;
      item.restarts++;
      item.state = 'queued';
      n++;
    }
    if (n) {
      this.emit();
      this.pump();
    }
    return n;
  }

  private onVisibility(): void {
    if (document.visibilityState === 'hidden') {
      if (this.active) this.hiddenSince = this.now();
      return;
    }
    if (this.hiddenSince === null) return;
    const hiddenSeconds = (this.now() - this.hiddenSince) / 1000;
    this.hiddenSince = null;
    const restarted = this.retryInterrupted();
    this.notice = { hiddenSeconds, restarted };
    this.emit();
  }
}
