// The HTTP API client: JSON in and out, the contract's error shape turned into ApiError, file URLs.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

export type Role = 'user' | 'advanced' | 'admin';
export interface Me {
  username: string;
  role: Role;
  quotaBytes: number | null;
  usedBytes: number;
}
export interface Entry {
  name: string;
  type: 'file' | 'dir';
  size: number;
  mtime: string;
  owner: string | null;
  canDelete: boolean;
}
export interface Listing {
  path: string;
  entries: Entry[];
}
export interface TrashItem {
  id: number;
  space: string;
  path: string;
  name: string;
  type: 'file' | 'dir';
  size: number;
  owner: string | null;
  deletedBy: string;
  deletedAt: string;
  reason: string | null;
}
export interface AdminUser {
  username: string;
  role: Role;
  disabled: boolean;
  quotaBytes: number | null;
  usedBytes: number;
  files: number;
  createdAt: string;
}
export interface AuditEntry {
  id: number;
  at: string;
  actor: string | null;
  ip: string | null;
  action: string;
  target: string | null;
  detail: unknown;
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
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
    const retry = Number(res.headers.get('retry-after'));
    const e = new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? res.statusText, Number.isFinite(retry) && retry > 0 ? retry : undefined);
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
