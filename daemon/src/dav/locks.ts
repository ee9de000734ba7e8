// WebDAV write locks (RFC 4918 §6, §9.10) and the If header (§10.4). Locks live in memory: a restart
// forgets them, which clients survive (they re-lock or write without one); nothing on disk depends on them.
import crypto from 'node:crypto';

export interface Lock {
  token: string;
  /** "<space key>:<path>" of the locked resource ('' path = the space root). */
  space: string;
  path: string;
  depth: 0 | 'infinity';
  scope: 'exclusive' | 'shared';
  /** The client's <D:owner> content, as XML, given back in lockdiscovery. */
  owner: string;
  /** Who took it: only they (or an administrator) may use or remove its token. */
  principal: string;
  timeoutS: number;
  expires: number;
}

/** The longest lock granted: a pupil's client must not hold a folder for days. */
export const MAX_TIMEOUT_S = 3600;
export const DEFAULT_TIMEOUT_S = 600;

/** Parses "Second-600, Infinite" into seconds within MAX_TIMEOUT_S. */
export function parseTimeout(header: string | undefined): number {
  if (!header) return DEFAULT_TIMEOUT_S;
  for (const part of header.split(',')) {
    const t = part.trim();
    if (/^infinite$/i.test(t)) return MAX_TIMEOUT_S;
    const m = /^second-(\d+)$/i.exec(t);
    if (m) return Math.max(1, Math.min(MAX_TIMEOUT_S, Number(m[1])));
  }
  return DEFAULT_TIMEOUT_S;
}

const within = (ancestor: string, p: string) => ancestor === '' || p === ancestor || p.startsWith(ancestor + '/');

export class Locks {
  private readonly byToken = new Map<string, Lock>();

  constructor(private readonly now: () => number) {}

  private sweep(): void {
    const t = this.now();
    for (const [k, l] of this.byToken) if (l.expires <= t) this.byToken.delete(k);
  }

  get(token: string): Lock | undefined {
    this.sweep();
    return this.byToken.get(token);
  }

  /** Locks that cover `path` itself: on it, or on an ancestor with depth infinity. */
  covering(space: string, path: string): Lock[] {
    this.sweep();
    return [...this.byToken.values()].filter((l) => l.space === space && (l.path === path || (l.depth === 'infinity' && within(l.path, path))));
  }

  /** Locks on `path` or anything below it. */
  inside(space: string, path: string): Lock[] {
    this.sweep();
    return [...this.byToken.values()].filter((l) => l.space === space && within(path, l.path));
  }

  /** Those of `covering` and `inside` that a new lock of this scope and depth would conflict with. */
  conflicts(space: string, path: string, depth: 0 | 'infinity', scope: Lock['scope']): Lock[] {
    const found = new Set([...this.covering(space, path), ...(depth === 'infinity' ? this.inside(space, path) : [])]);
    return [...found].filter((l) => scope === 'exclusive' || l.scope === 'exclusive');
  }

  create(l: Omit<Lock, 'token' | 'expires'>): Lock {
    const lock = { ...l, token: `opaquelocktoken:${crypto.randomUUID()}`, expires: this.now() + l.timeoutS * 1000 };
    this.byToken.set(lock.token, lock);
    return lock;
  }

  refresh(lock: Lock, timeoutS: number): void {
    lock.timeoutS = timeoutS;
    lock.expires = this.now() + timeoutS * 1000;
  }

  remove(token: string): boolean {
    return this.byToken.delete(token);
  }

  /** Drops every lock on or below `path` (a DELETE or the source of a MOVE: locks do not travel). */
  removeInside(space: string, path: string): void {
    for (const l of this.inside(space, path)) this.byToken.delete(l.token);
  }
}

// ---- the If header ----------------------------------------------------------------------------

export interface Condition {
  not: boolean;
  kind: 'token' | 'etag';
  value: string;
}
/** One list: all its conditions must hold; `tag` is the resource it is about (absent: the request's). */
export interface IfList {
  tag: string | null;
  conditions: Condition[];
}

/** Parses an If header (RFC 4918 §10.4); null when it is malformed (the caller answers 400). */
export function parseIf(header: string): IfList[] | null {
  const lists: IfList[] = [];
  let i = 0;
  let tag: string | null = null;
  let tagged: boolean | null = null;
  const ws = () => {
    while (i < header.length && /\s/.test(header[i]!)) i++;
  };
  for (;;) {
    ws();
    if (i >= header.length) break;
    if (header[i] === '<') {
      if (tagged === false) return null;
      tagged = true;
      const end = header.indexOf('>', i);
      if (end < 0) return null;
      tag = header.slice(i + 1, end);
      i = end + 1;
      ws();
      if (header[i] !== '(') return null;
      continue;
    }
    if (header[i] !== '(') return null;
    if (tagged === null) tagged = false;
    i++;
    const conditions: Condition[] = [];
    for (;;) {
      ws();
      if (header[i] === ')') {
        i++;
        break;
      }
      let not = false;
      if (/^not\b/i.test(header.slice(i, i + 4))) {
        not = true;
        i += 3;
        ws();
      }
      if (header[i] === '<') {
        const end = header.indexOf('>', i);
        if (end < 0) return null;
        conditions.push({ not, kind: 'token', value: header.slice(i + 1, end) });
        i = end + 1;
      } else if (header[i] === '[') {
        const end = header.indexOf(']', i);
        if (end < 0) return null;
        conditions.push({ not, kind: 'etag', value: header.slice(i + 1, end).trim() });
        i = end + 1;
      } else return null;
    }
    if (conditions.length === 0) return null;
    lists.push({ tag, conditions });
  }
  return lists.length ? lists : null;
}

/** Every state token the header names without Not: the lock tokens the client submits. */
export function submittedTokens(lists: IfList[] | null): Set<string> {
  const out = new Set<string>();
  for (const l of lists ?? []) for (const c of l.conditions) if (c.kind === 'token' && !c.not) out.add(c.value);
  return out;
}
