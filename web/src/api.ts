// The HTTP API client: JSON in and out, the contract's error shape turned into ApiError, file URLs.
// The shapes it carries are the daemon's own wire types (daemon/src/api-types.ts), imported by the views.
import type { ErrorBody, ErrorCode } from '../../daemon/src/api-types.js';

/** The daemon's error code; 'network' when nothing answered, http_<status> when the answer lacked the contract's body. */
export type ApiErrorCode = ErrorCode | 'network' | `http_${number}`;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => {};
/** Called when the session ended under us (logged out elsewhere, password changed, disabled). */
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'network');
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    // A proxy or a crash can answer without the contract's body: every part of it may be missing.
    const err = (json as { error?: Partial<ErrorBody['error']> } | null)?.error;
    const retry = Number(res.headers.get('retry-after'));
    const e = new ApiError(
      res.status,
      err?.code ?? `http_${res.status}`,
      err?.message ?? res.statusText,
      Number.isFinite(retry) && retry > 0 ? retry : undefined,
    );
    if (res.status === 401 && !path.startsWith('/api/auth/login')) onUnauthorized();
    throw e;
  }
  return json as T;
}

/** `/api/fs/<space>/<names…>`; the space ("workspace", "home", "users/bob") keeps its slash. */
export function fsUrl(space: string, names: readonly string[], query = ''): string {
  const p = names.map(encodeURIComponent).join('/');
  return `/api/fs/${space}/${p}${query ? `?${query}` : ''}`;
}
