// The upload transport interface, which the resumable tus transport (tus.ts) implements.
export interface UploadTarget {
  /** "workspace", "home" or "users/<name>". */
  space: string;
  /** Path of the file inside the space, folder names then the file name. */
  names: string[];
  overwrite: boolean;
  /** Taken by a file the uploader may not replace: the drive keeps both, this one under a free name. */
  rename?: boolean;
}

export type FailureKind = 'network' | 'http' | 'aborted';

export class UploadFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly status = 0,
    readonly code: string = kind,
    message: string = kind,
  ) {
    super(message);
  }
}

export interface TransferHandle {
  /**
   * Resolves when the server has the whole file, with the path it was stored at (inside the space,
   * '/'-separated) when the drive says so; rejects with an UploadFailure.
   */
  done: Promise<{ storedAs?: string }>;
  abort(): void;
}

export interface UploadTransport {
  /** true: after a network failure `start` again continues where it stopped (tus); false: from byte 0. */
  readonly resumable: boolean;
  /** `onRetry`: the transport lost the connection and is trying again by itself. */
  start(file: File, target: UploadTarget, onProgress: (sentBytes: number) => void, onRetry?: () => void): TransferHandle;
}
