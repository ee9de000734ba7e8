// The one error vocabulary of the API: every code, the status it always has, and the JSON shape
// {"error":{"code","message"}} (after hono's HTTPException: an error carries its status, one handler renders it).
// The code→status table itself is in api-types.ts, where the web UI reads the codes too.
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from './api-types.js';

export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];
/** The codes whose status is S. */
export type CodeWith<S extends number> = { [K in ErrorCode]: (typeof ERROR_STATUS)[K] extends S ? K : never }[ErrorCode];

/** The message of every 500: what went wrong is in the log, not in the answer. */
export const INTERNAL_MESSAGE = 'Something went wrong on the drive; the error was logged.';

export class HttpError extends Error {
  readonly status: ErrorStatus;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }
}

export const badRequest = (code: CodeWith<400>, message: string) => new HttpError(code, message);
export const forbidden = (message: string, code: CodeWith<403> = 'forbidden') => new HttpError(code, message);
export const notFound = (message = 'Not found.', code: CodeWith<404> = 'not_found') => new HttpError(code, message);
export const conflict = (code: CodeWith<409>, message: string) => new HttpError(code, message);

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** A JSON error response with the code's own status, for the places that answer without Hono's context. */
export function errorResponse(code: ErrorCode, message: string, headers: Record<string, string> = {}): Response {
  return Response.json(errorBody(code, message), { status: ERROR_STATUS[code], headers });
}

/** Maps filesystem errors that reach the edge onto the contract's statuses. */
export function fromFsError(err: unknown): HttpError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new HttpError('disk_full', 'The drive is full: nothing was written.');
    case 'ENOENT':
      return notFound();
    case 'ENOTDIR':
      return conflict('not_a_directory', 'A part of this path is a file, not a folder.');
    case 'EISDIR':
      return conflict('is_a_directory', 'This path is a folder.');
    case 'EEXIST':
    case 'ENOTEMPTY':
      return conflict('exists', 'Something already exists at this path.');
    case 'ELOOP':
      return forbidden('This path is a symbolic link, which the drive does not follow.', 'symlink_refused');
    case 'ENAMETOOLONG':
      return badRequest('name_too_long', 'This name is too long.');
    case 'EROFS':
    case 'EIO':
      return new HttpError('storage_unavailable', 'The storage is not writable right now.');
    default:
      return undefined;
  }
}
