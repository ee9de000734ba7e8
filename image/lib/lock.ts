// inputs.lock.json: the pinned inputs (Debian package versions, Node.js version and integrity) and its I/O.
import { readFileSync, writeFileSync } from 'node:fs';
import { paths } from '../config.js';

export interface InputsLock {
  debian: {
    suite: string;
    mirror: string;
    /** null: snapshot.debian.org is unreachable from the build machines, so versions pin instead. */
    snapshot: string | null;
    note: string;
    /** Every package in the root, name → exact version, as resolved by the build that wrote the lock. */
    packages: Record<string, string>;
  };
  node: { package: string; version: string; integrity: string; why: string };
  betterSqlite3: { version: string; why: string };
}

export function readLock(file = paths.lock): InputsLock {
  return JSON.parse(readFileSync(file, 'utf8')) as InputsLock;
}

export function writeLock(lock: InputsLock, file = paths.lock): void {
  const sorted = Object.fromEntries(Object.entries(lock.debian.packages).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(file, `${JSON.stringify({ ...lock, debian: { ...lock.debian, packages: sorted } }, null, 2)}\n`);
}
