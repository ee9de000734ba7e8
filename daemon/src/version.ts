// The running version, as /api/health reports it and an update's health check expects it: app/VERSION (written by
// the image build and by an update with the signed manifest's version, "0.1.0+fb6b5f8"), else package.json's version.
// Read once: a new version is a new process.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The app's root: dist/daemon/src/version.js → ../../../ once built, daemon/src/version.ts → ../../ under tsx. */
export function appRoot(here = import.meta.dirname): string {
  const up2 = path.resolve(here, '../..');
  return path.basename(up2) === 'dist' ? path.resolve(up2, '..') : up2;
}

export function readVersion(root: string): string {
  try {
    const v = readFileSync(path.join(root, 'VERSION'), 'utf8').trim();
    if (v) return v;
  } catch {
    // no VERSION: a development checkout
  }
  try {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: unknown };
    if (typeof pkg.version === 'string' && pkg.version) return pkg.version;
  } catch {
    // no package.json either
  }
  return 'unknown';
}

let cached: string | undefined;
export function appVersion(): string {
  cached ??= readVersion(appRoot());
  return cached;
}
