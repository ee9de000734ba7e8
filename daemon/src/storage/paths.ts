// Safe path handling: every name validated and NFC-normalised, every path resolved inside its
// space root, and symlinks refused rather than followed.
import fs from 'node:fs/promises';
import fsSync from 'node:fs';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { badRequest, forbidden, HttpError } from '../errors.js';

export const MAX_NAME_BYTES = 255; // ext4's limit per name
export const MAX_PATH_BYTES = 4096; // Linux PATH_MAX

// C0 and C1 controls and DEL: invisible in listings, dangerous in headers and terminals.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Bidirectional overrides, embeddings, isolates and marks: "invoice\u202Efdp.exe" shows as "invoiceexe.pdf".
const BIDI = /[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/;
// Names Windows reserves for devices, with or without an extension ("con.txt" is the console there too).
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])(\..*)?$/i;

/** Validates one name and returns it in NFC, so that NFD input (macOS, some phones) names the same entry. */
export function validateName(raw: string): string {
  const name = raw.normalize('NFC');
  if (name === '') throw badRequest('invalid_path', 'Empty names are not allowed (double slash in the path?).');
  if (name === '.' || name === '..') throw badRequest('invalid_path', `"${name}" is not allowed in a path.`);
  if (name.includes('/') || name.includes('\\')) {
    throw badRequest('invalid_path', 'Names cannot contain "/" or "\\".');
  }
  if (name.includes('\0')) throw badRequest('invalid_path', 'Names cannot contain a NUL character.');
  if (CONTROL.test(name)) throw badRequest('invalid_path', 'Names cannot contain control characters.');
  if (BIDI.test(name)) throw badRequest('invalid_path', "Names cannot contain text-direction characters (they can disguise a file's type).");
  // Files leave the drive onto Windows laptops and FAT/exFAT sticks, where these names cannot exist.
  if (/[. ]$/.test(name)) throw badRequest('invalid_path', 'Names cannot end with a dot or a space (Windows cannot store them).');
  if (WINDOWS_DEVICE.test(name)) throw badRequest('invalid_path', `"${name}" is reserved by Windows for a device: choose another name.`);
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    throw badRequest('name_too_long', `A name may be at most ${MAX_NAME_BYTES} bytes long.`);
  }
  return name;
}

/** Splits a raw URL path (still percent-encoded) into validated names. A trailing slash is allowed. */
export function decodeUrlPath(raw: string): string[] {
  const parts = raw.split('/');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 1 && parts[0] === '') return [];
  return checkLength(
    parts.map((p) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(p);
      } catch {
        throw badRequest('invalid_path', 'The path is not valid percent-encoded UTF-8.');
      }
      return validateName(decoded);
    }),
  );
}

/** Parses a path given in a JSON body ("/a/b" or "a/b"). */
export function parsePathString(raw: unknown): string[] {
  if (typeof raw !== 'string') throw badRequest('invalid_path', 'A path must be a string.');
  let s = raw;
  if (s.startsWith('/')) s = s.slice(1);
  if (s.endsWith('/')) s = s.slice(0, -1);
  if (s === '') return [];
  return checkLength(s.split('/').map(validateName));
}

function checkLength(names: string[]): string[] {
  if (Buffer.byteLength(names.join('/')) > MAX_PATH_BYTES) {
    throw badRequest('name_too_long', `A path may be at most ${MAX_PATH_BYTES} bytes long.`);
  }
  return names;
}

/** True when `child` is `root` or inside it (path.relative, never a bare startsWith). */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel));
}

export interface Resolved {
  abs: string;
  /** lstat of the final entry, or null when it does not exist. */
  stat: Stats | null;
}

/**
 * Resolves names under root, lstat-ing every component: a symlink anywhere is refused (403), a file
 * in the middle of the path is a conflict (409). Missing components end the walk (stat null).
 */
export async function resolveInside(root: string, names: readonly string[]): Promise<Resolved> {
  const abs = path.join(root, ...names);
  if (!isInside(root, abs)) throw badRequest('invalid_path', 'The path leads outside its space.');
  let cur = root;
  let stat: Stats | null = null;
  for (let i = 0; i < names.length; i++) {
    cur = path.join(cur, names[i]!);
    try {
      // Synchronous: an lstat of a name the kernel has cached takes microseconds, while a trip
      // through the thread pool costs the event loop far more (issue 16's profile of small uploads).
      stat = fsSync.lstatSync(cur, { throwIfNoEntry: false }) ?? null;
      if (!stat) return { abs, stat: null };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw new HttpError('not_a_directory', 'A part of this path is a file, not a folder.');
      throw err;
    }
    if (stat.isSymbolicLink()) throw forbidden('This path goes through a symbolic link, which the drive does not follow.', 'symlink_refused');
    if (i < names.length - 1 && !stat.isDirectory()) {
      throw new HttpError('not_a_directory', `"${names.slice(0, i + 1).join('/')}" is a file, not a folder.`);
    }
  }
  if (names.length === 0) {
    try {
      stat = await fs.lstat(root);
    } catch {
      stat = null;
    }
  }
  return { abs, stat };
}
