// Plain PUT uploads through XMLHttpRequest (fetch has no upload progress); not resumable.
import type { ErrorBody } from '../../../daemon/src/api-types.js';
import { fsUrl } from '../api.js';
import { UploadFailure, type TransferHandle, type UploadTarget, type UploadTransport } from './transport.js';

export class PutTransport implements UploadTransport {
  readonly resumable = false;

  start(file: File, target: UploadTarget, onProgress: (sent: number) => void): TransferHandle {
    const xhr = new XMLHttpRequest();
    const done = new Promise<void>((resolve, reject) => {
      xhr.open('PUT', fsUrl(target.space, target.names, target.overwrite ? 'overwrite=1' : ''));
      xhr.setRequestHeader('content-type', 'application/octet-stream');
      xhr.upload.onprogress = (e) => onProgress(e.loaded);
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          onProgress(file.size);
          resolve();
          return;
        }
        let code = `http_${xhr.status}`;
        let message = xhr.statusText;
        try {
          const e = (JSON.parse(xhr.responseText) as { error?: Partial<ErrorBody['error']> }).error;
          code = e?.code ?? code;
          message = e?.message ?? message;
        } catch {
          /* not the contract's JSON: keep the status */
        }
        reject(new UploadFailure('http', xhr.status, code, message));
      };
      xhr.onerror = () => reject(new UploadFailure('network'));
      xhr.ontimeout = () => reject(new UploadFailure('network'));
      xhr.onabort = () => reject(new UploadFailure('aborted'));
      xhr.send(file);
    });
    return { done, abort: () => xhr.abort() };
  }
}
