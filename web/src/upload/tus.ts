// Resumable uploads (tus 1.0) through tus-js-client: after a Wi-Fi drop or a locked phone, an
// upload continues from the last byte the drive has instead of starting over.
import { Upload, type DetailedError } from 'tus-js-client';
import type { ErrorBody } from '../../../daemon/src/api-types.js';
import { UploadFailure, type TransferHandle, type UploadTarget, type UploadTransport } from './transport.js';

/** tus-js-client's own retries cover short drops; after these the queue retries when the page is back. */
const RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10000];

/**
 * Each PATCH carries at most 8 MiB. At what one phone gets on a Wi-Fi shared by a class (0.5 to 2 MB/s)
 * that is 4 to 16 s of sending: a drop loses at most that, and no request lives long enough to meet an
 * idle or total timeout anywhere. Larger than the drive's hashing and the request's own overhead by
 * far (one round trip per 8 MiB is under 1 % at those speeds).
 */
export const CHUNK_BYTES = 8 * 1024 * 1024;

/** Statuses after which trying again may work: timeouts, throttling, a busy lock, the server's own errors. */
export function retriable(status: number, method: string | undefined): boolean {
  // A PATCH's 409 is an offset conflict (the drive was still writing the cut request's last bytes):
  // ask for the offset again. Other refusals (403, a POST's 409 "exists", 413, 507…) will not change.
  if (status === 409) return method === 'PATCH';
  return status === 0 || status === 408 || status === 423 || status === 429 || (status >= 500 && status !== 507);
}

function failure(err: Error): UploadFailure {
  const res = (err as DetailedError).originalResponse;
  if (!res) return new UploadFailure('network');
  const status = res.getStatus();
  let code = `http_${status}`;
  let message = err.message;
  try {
    const e = (JSON.parse(res.getBody()) as { error?: Partial<ErrorBody['error']> }).error;
    code = e?.code ?? code;
    message = e?.message ?? message;
  } catch {
    /* not the contract's JSON */
  }
  return new UploadFailure('http', status, code, message);
}

export class TusTransport implements UploadTransport {
  readonly resumable = true;
  /** Where each file's upload lives on the drive, so starting it again resumes it. */
  private readonly urls = new WeakMap<File, { url: string; key: string }>();

  start(file: File, target: UploadTarget, onProgress: (sent: number) => void, onRetry: () => void = () => {}): TransferHandle {
    const key = `${target.space}\n${target.names.join('/')}\n${target.overwrite}`;
    const known = this.urls.get(file);
    let upload: Upload | undefined;
    let aborted = false;
    let rejectDone: (f: UploadFailure) => void = () => {};
    const done = new Promise<{ storedAs?: string }>((resolve, reject) => {
      rejectDone = reject;
      upload = new Upload(file, {
        endpoint: '/api/tus',
        // Same target as before: continue that upload; another target (a rename after a 409): a new one.
        uploadUrl: known && known.key === key ? known.url : null,
        metadata: {
          space: target.space,
          path: '/' + target.names.join('/'),
          overwrite: target.overwrite ? '1' : '0',
          rename: target.rename ? '1' : '0',
          filename: target.names[target.names.length - 1]!,
        },
        retryDelays: RETRY_DELAYS_MS,
        chunkSize: CHUNK_BYTES,
        // The offset lives on the drive; the page's memory (above) is enough to find it again.
        storeFingerprintForResuming: false,
        onUploadUrlAvailable: () => {
          if (upload?.url) this.urls.set(file, { url: upload.url, key });
        },
        onProgress: (sent) => onProgress(sent),
        onShouldRetry: (err) => {
          const e = err as DetailedError;
          const again = !aborted && retriable(e.originalResponse?.getStatus() ?? 0, e.originalRequest?.getMethod());
          if (again) onRetry();
          return again;
        },
        onSuccess: ({ lastResponse }) => {
          this.urls.delete(file);
          onProgress(file.size);
          // The drive's name for it (another one after a same-name upload), from the finishing answer.
          const stored = lastResponse?.getHeader('X-HCD-Path');
          resolve({ storedAs: stored ? decodeURIComponent(stored).replace(/^\//, '') : undefined });
        },
        onError: (err) => {
          const f = aborted ? new UploadFailure('aborted') : failure(err);
          // The drive no longer knows the upload (expired, finished, refused): start afresh next time.
          if (f.kind === 'http' && (f.status === 404 || f.status === 410)) this.urls.delete(file);
          reject(f);
        },
      });
      upload.start();
    });
    return {
      done,
      abort: () => {
        aborted = true;
        // Abandoned: tell the drive to drop the partial upload (tus termination). tus-js-client
        // reports nothing after abort(), so the handle settles here.
        void upload?.abort(true).catch(() => {});
        this.urls.delete(file);
        rejectDone(new UploadFailure('aborted'));
      },
    };
  }
}
