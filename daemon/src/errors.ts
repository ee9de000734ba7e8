// The one error vocabulary of the API and its JSON shape {"error":{"code","message"}}.
export type ErrorCode =
  | 'bad_request'
  | 'invalid_json'
  | 'invalid_path'
  | 'name_too_long'
  | 'invalid_username'
  | 'invalid_password'
  | 'invalid_role'
  | 'invalid_quota'
  | 'unauthenticated'
  | 'invalid_credentials'
  | 'forbidden'
  | 'cross_site_request'
  | 'symlink_refused'
  | 'not_found'
  | 'no_such_user'
  | 'method_not_allowed'
  | 'exists'
  | 'username_taken'
  | 'not_a_directory'
  | 'is_a_directory'
  | 'last_admin'
  | 'name_conflict'
  | 'payload_too_large'
  | 'quota_exceeded'
  | 'range_not_satisfiable'
  | 'too_many_attempts'
  | 'storage_unavailable'
  | 'shutting_down'
  | 'disk_full'
  | 'upload_aborted'
  | 'internal_error';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (code: ErrorCode, message: string) => new HttpError(400, code, message);
export const forbidden = (message: string, code: ErrorCode = 'forbidden') => new HttpError(403, code, message);
export const notFound = (message = 'Not found', code: ErrorCode = 'not_found') => new HttpError(404, code, message);
export const conflict = (code: ErrorCode, message: string) => new HttpError(409, code, message);

export function errorBody(code: ErrorCode, message: string) {
  return { error: { code, message } };
}

/** Maps filesystem errors that reach the edge onto the contract's statuses. */
export function fromFsError(err: unknown): HttpError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new HttpError(507, 'disk_full', 'The drive is full: nothing was written.');
    case 'ENOENT':
      return notFound();
    case 'ENOTDIR':
      return conflict('not_a_directory', 'A part of this path is a file, not a folder.');
    case 'EISDIR':
      return conflict('is_a_directory', 'This path is a folder.');
    case 'EEXIST':
    case 'ENOTEMPTY':
      return conflict('exists', 'Something already exists at this path.');
    case 'ENAMETOOLONG':
      return badRequest('name_too_long', 'This name is too long.');
    case 'EROFS':
    case 'EIO':
      return new HttpError(503, 'storage_unavailable', 'The storage is not writable right now.');
    default:
      return undefined;
  }
}
