// The application's shared state and navigation: who is logged in, the upload queue, the router.
import type { Me, MeResponse } from '../../daemon/src/api-types.js';
import { api } from './api.js';
import type { UploadQueue } from './upload/queue.js';

export interface App {
  me: Me | null;
  queue: UploadQueue;
  /** Storage state from /api/health ("missing": the SSD is unplugged). */
  storage: string;
  /** Said once on the login page (a login card that no longer works). */
  loginMessage?: string | null;
  navigate(path: string, opts?: { replace?: boolean }): void;
  render(): void;
  refreshMe(): Promise<void>;
}

export const hasContainer = (me: Me | null) => me !== null && me.role !== 'user';
export const isAdmin = (me: Me | null) => me?.role === 'admin';
/** Normal users delete nothing, so they have no trash to look at (policy.ts: modify is never theirs). */
export const hasTrash = (me: Me | null) => me !== null && me.role !== 'user';

export async function loadMe(): Promise<Me | null> {
  try {
    return (await api<MeResponse>('GET', '/api/auth/me')).user;
  } catch {
    return null;
  }
}

/** Space and folder from a /files/… path: /files/workspace/a/b, /files/home/x, /files/users/bob/y. */
export function parseFilesPath(pathname: string): { space: string; names: string[] } | null {
  const parts = pathname.split('/').filter(Boolean).slice(1);
  let names: string[];
  try {
    names = parts.map(decodeURIComponent);
  } catch {
    return null;
  }
  const [first, ...rest] = names;
  if (first === 'workspace' || first === 'home') return { space: first, names: rest };
  if (first === 'users' && rest[0]) return { space: `users/${rest[0]}`, names: rest.slice(1) };
  return null;
}

export function filesPath(space: string, names: readonly string[]): string {
  const tail = names.map(encodeURIComponent).join('/');
  return `/files/${space}/${tail}`;
}
