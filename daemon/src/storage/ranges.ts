// Strict parsing of a single HTTP Range (RFC 9110 §14.1.2); multiple ranges are answered in full.
export type RangeResult =
  | { kind: 'none' } // absent, multi-range or not bytes: send the whole representation (allowed by RFC 9110)
  | { kind: 'unsatisfiable' }
  | { kind: 'range'; start: number; end: number }; // inclusive

export function parseRange(header: string | undefined | null, size: number): RangeResult {
  if (!header) return { kind: 'none' };
  const m = /^bytes=\s*(.+)$/i.exec(header.trim());
  if (!m) return { kind: 'none' };
  const specs = m[1]!.split(',');
  if (specs.length !== 1) return { kind: 'none' };
  const spec = specs[0]!.trim();
  const r = /^(\d*)-(\d*)$/.exec(spec);
  if (!r || (r[1] === '' && r[2] === '')) return { kind: 'none' };
  if (r[1] === '') {
    // Suffix range: the last N bytes.
    const n = Number(r[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(r[1]);
  let end = r[2] === '' ? Infinity : Number(r[2]);
  if (!Number.isSafeInteger(start)) return { kind: 'unsatisfiable' };
  if (end < start) return { kind: 'none' }; // syntactically invalid: ignore the header
  if (start >= size) return { kind: 'unsatisfiable' };
  if (end >= size) end = size - 1;
  return { kind: 'range', start, end };
}
