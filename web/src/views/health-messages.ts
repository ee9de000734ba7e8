// The health side's coded sentences (unknown readings' reasons, job summaries and errors) in the reader's language.
import type { Coded } from '../../../daemon/src/api-types.js';
import { fmtSize } from '../i18n/index.js';
import { tOr } from './health-format.js';

/** `c` worded by the dictionaries (`hm_<code>`); the daemon's English `fallback` for a code this page does not know. */
export function coded(c: Coded | null | undefined, fallback: string): string {
  if (!c) return fallback;
  // Sizes are bytes on the wire: worded like every size on the page.
  const params = Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, typeof v === 'number' && /bytes$/i.test(k) ? fmtSize(v) : v]));
  return tOr(`hm_${c.code}`, fallback, params);
}

/** An unknown reading's reason. */
export const reasonText = (r: { reason?: string; reasonCode?: Coded }) => coded(r.reasonCode, r.reason ?? '');
