// The one shape of a sensor reading: a value, or unknown with the reason (never an invented number).
import fsp from 'node:fs/promises';
import { englishOf, type HealthMessageCode, type Reading } from '../api-types.js';

export type { Reading };

export const known = <T>(value: T): Reading<T> => ({ value });
/** Unknown, for the reason `code` (HEALTH_MESSAGES): sent in English and as the code, for the reader's language. */
export const unknown = <T = never>(code: HealthMessageCode, params: Record<string, string | number> = {}): Reading<T> => ({
  value: null,
  reason: englishOf({ code, params }),
  reasonCode: { code, params },
});

/** Unknown for the same reason as another unknown reading. */
export const unknownLike = <T = never>(r: { reason: string; reasonCode?: Reading<unknown>['reasonCode'] }): Reading<T> =>
  r.reasonCode ? { value: null, reason: r.reason, reasonCode: r.reasonCode } : { value: null, reason: r.reason };

/** Runs a reader; a throw becomes unknown with its message, so one broken sensor never hides the others. */
export async function guard<T>(what: string, fn: () => Promise<Reading<T>> | Reading<T>): Promise<Reading<T>> {
  try {
    return await fn();
  } catch (err) {
    return unknown('reader_failed', { what, error: err instanceof Error ? err.message : String(err) });
  }
}

/** A sysfs attribute's text, trimmed, or null when the file is absent (no such sensor). */
export async function readAttr(file: string): Promise<string | null> {
  try {
    return (await fsp.readFile(file, 'utf8')).trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENODEV' || code === 'ENXIO') return null;
    throw err;
  }
}

/** A finite number from text, or null. */
export function num(text: string | null | undefined): number | null {
  if (text === null || text === undefined || text.trim() === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}
