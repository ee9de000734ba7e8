// "Used 1.2 GB of 5 GB": the caller's usage against their quota (GET /api/auth/me).
import type { Me } from '../../../daemon/src/api-types.js';
import { h } from '../dom.js';
import { fmtSize, t } from '../i18n/index.js';

export function quotaMeter(me: Me): HTMLElement {
  if (me.quotaBytes === null) return h('p', { class: 'quota muted' }, t('usedNoQuota', { used: fmtSize(me.usedBytes) }));
  const ratio = me.quotaBytes > 0 ? Math.min(1, me.usedBytes / me.quotaBytes) : 1;
  return h(
    'div',
    { class: 'quota' },
    h('label', { for: 'quota-meter' }, t('usedOfQuota', { used: fmtSize(me.usedBytes), quota: fmtSize(me.quotaBytes) })),
    h('meter', { id: 'quota-meter', min: 0, max: 1, low: 0.8, high: 0.95, optimum: 0, value: ratio }),
  );
}
