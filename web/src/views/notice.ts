// The public notice (GET /api/notice) as a banner on every page: the drive is about to switch off or restart,
// on a critical battery or because an administrator asked. Polled while a page is open.
import type { Notice, NoticeResponse } from '../../../daemon/src/api-types.js';
import { h } from '../dom.js';
import { t } from '../i18n/index.js';

const POLL_MS = 15_000;
const banner = h('p', { class: 'banner critical', role: 'alert', id: 'notice', hidden: true });
let timer: number | undefined;

/** The time of day something happens, as people read a clock ("14:05:30"). */
const at = (iso: string) => new Intl.DateTimeFormat(document.documentElement.lang || undefined, { timeStyle: 'medium' }).format(new Date(iso));

export function noticeText(n: Notice): string {
  const time = at(n.shutdownAt);
  if (n.code === 'admin_reboot') return t('notice_admin_reboot', { time });
  if (n.code === 'admin_poweroff') return t('notice_admin_poweroff', { time });
  return t('notice_battery', { time });
}

export function showNotice(n: Notice | null): void {
  banner.hidden = !n;
  banner.textContent = n ? noticeText(n) : '';
}

async function poll(): Promise<void> {
  try {
    const res = await fetch('/api/notice', { cache: 'no-store' });
    if (res.ok) showNotice(((await res.json()) as NoticeResponse).notice);
  } catch {
    /* offline: the connection banner says so; keep the last notice */
  }
}

/** The banner element (the same one on every page), polled from the first call on. */
export function noticeBanner(): HTMLElement {
  if (timer === undefined) {
    void poll();
    timer = window.setInterval(() => void poll(), POLL_MS);
  }
  return banner;
}
