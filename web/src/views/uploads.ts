// The upload panel: one row per file with a progress bar, speed and time left, cancel / retry / replace.
import { h, replace } from '../dom.js';
import { fmtDuration, fmtSize, fmtSpeed, t } from '../i18n/index.js';
import type { Me } from '../../../daemon/src/api-types.js';
import type { UploadItem, UploadQueue } from '../upload/queue.js';
import { errorText } from './dialogs.js';

/** Why a file does not fit: larger than the whole quota, the quota full, or just not this much room left. */
function quotaText(item: UploadItem, me: Me | null): string {
  if (!me || me.quotaBytes === null) return t('err_quota_exceeded');
  if (item.file.size > me.quotaBytes) return t('quotaTooBig', { size: fmtSize(item.file.size), quota: fmtSize(me.quotaBytes) });
  const left = Math.max(0, me.quotaBytes - me.usedBytes);
  if (left === 0) return t('quotaFull');
  return t('quotaNotEnough', { size: fmtSize(item.file.size), left: fmtSize(left) });
}

/**
 * The upload panel of one space: only that space's uploads (`shows`), and a header that collapses the
 * list to its one-line summary (remembered for the visit), so thirty photos do not push the files away.
 */
export function renderUploads(
  section: HTMLElement,
  queue: UploadQueue,
  me: () => Me | null = () => null,
  shows: (item: UploadItem) => boolean = () => true,
): () => void {
  let collapsed = sessionStorage.getItem('hcd-uploads-collapsed') === '1';
  const rows = new Map<number, { li: HTMLElement; bar: HTMLProgressElement; line: HTMLElement; btns: HTMLElement }>();
  const list = h('ul', { class: 'upload-list' });
  const head = h('div', { class: 'uploads-head' });
  const notice = h('p', { class: 'banner info', role: 'status', hidden: true });
  const keepOpen = h('p', { class: 'hint' }, t(queue.resumable ? 'keepOpenResumable' : 'keepOpenPut'));

  function rowFor(item: UploadItem) {
    let r = rows.get(item.id);
    if (!r) {
      const bar = h('progress', { max: item.file.size || 1, value: 0, 'aria-label': t('progressOf', { name: item.label }) });
      const line = h('span', { class: 'up-line' });
      const btns = h('span', { class: 'up-btns' });
      const li = h('li', { class: 'upload' }, h('div', { class: 'up-name' }, item.label), bar, h('div', { class: 'up-foot' }, line, btns));
      r = { li, bar, line, btns };
      rows.set(item.id, r);
    }
    return r;
  }

  function update(item: UploadItem) {
    const r = rowFor(item);
    r.li.dataset.state = item.state;
    r.bar.value = item.file.size ? item.sent : item.state === 'done' ? 1 : 0;
    const pct = item.file.size ? Math.floor((item.sent / item.file.size) * 100) : item.state === 'done' ? 100 : 0;
    let text = '';
    switch (item.state) {
      case 'queued':
        text = item.restarts ? t('upRestarting') : t('upQueued');
        break;
      case 'uploading': {
        if (item.retrying) {
          text = `${pct} % · ${t('upAutoResume')}`;
          break;
        }
        const eta = queue.eta(item);
        text = `${pct} % · ${fmtSize(item.sent)} / ${fmtSize(item.file.size)}`;
        if (item.speed > 0) text += ` · ${fmtSpeed(item.speed)}`;
        if (eta !== null) text += ` · ${t('timeLeft', { time: fmtDuration(eta) })}`;
        if (item.restarts) text += ` · ${t('upRestarted', { n: item.restarts })}`;
        break;
      }
      case 'done':
        text = item.storedAs
          ? t('upDoneAs', { size: fmtSize(item.file.size), name: item.storedAs.slice(item.storedAs.lastIndexOf('/') + 1) })
          : t('upDone', { size: fmtSize(item.file.size) });
        break;
      case 'interrupted':
        text = queue.resumable ? t('upInterruptedResume') : t('upInterruptedPut');
        break;
      case 'failed':
        text = item.error?.code === 'exists' ? t('err_exists_upload') : item.error?.code === 'quota_exceeded' ? quotaText(item, me()) : errorText(item.error);
        break;
      case 'cancelled':
        text = t('upCancelled');
        break;
    }
    r.line.textContent = text;
    const btns: HTMLElement[] = [];
    if (item.state === 'queued' || item.state === 'uploading' || item.state === 'interrupted') {
      btns.push(
        h(
          'button',
          { type: 'button', class: 'btn small', 'aria-label': t('cancelName', { name: item.label }), onclick: () => queue.cancel(item) },
          t('cancel'),
        ),
      );
    }
    // Trying again cannot help after a refusal (403, 409, 413, 507…): only after network or server trouble.
    const retriable =
      item.state === 'failed' &&
      item.error?.code !== 'exists' &&
      !(item.error && item.error.status >= 400 && item.error.status < 500 && item.error.status !== 408 && item.error.status !== 429) &&
      item.error?.status !== 507;
    if (item.state === 'interrupted' || retriable || item.state === 'cancelled') {
      btns.push(
        h('button', { type: 'button', class: 'btn small', 'aria-label': t('retryName', { name: item.label }), onclick: () => queue.retry(item) }, t('retry')),
      );
    }
    if (item.state === 'failed' && item.error?.code === 'exists') {
      btns.push(h('button', { type: 'button', class: 'btn small', onclick: () => queue.retry(item, true) }, t('replace')));
    }
    replace(r.btns, btns);
  }

  function draw() {
    const items = queue.items.filter(shows);
    section.hidden = items.length === 0;
    for (const id of [...rows.keys()]) if (!items.some((i) => i.id === id)) rows.delete(id);
    const active = items.filter((i) => i.state === 'uploading' || i.state === 'queued' || i.state === 'interrupted').length;
    const done = items.filter((i) => i.state === 'done').length;
    replace(
      head,
      h('h2', null, t('uploads')),
      h('span', { class: 'muted' }, active ? t('upActive', { n: active }) : t('upAllDone', { n: done })),
      items.some((i) => i.state === 'done' || i.state === 'cancelled' || i.state === 'failed')
        ? h('button', { type: 'button', class: 'btn small', onclick: () => queue.clearFinished() }, t('clearFinished'))
        : null,
      h(
        'button',
        {
          type: 'button',
          class: 'btn small',
          'aria-expanded': String(!collapsed),
          onclick: () => {
            collapsed = !collapsed;
            sessionStorage.setItem('hcd-uploads-collapsed', collapsed ? '1' : '0');
            draw();
          },
        },
        t(collapsed ? 'showUploads' : 'hideUploads'),
      ),
    );
    list.hidden = collapsed;
    for (const item of items) update(item);
    replace(
      list,
      items.map((i) => rows.get(i.id)!.li),
    );
    keepOpen.hidden = active === 0;
    if (queue.notice) {
      const n = queue.notice;
      notice.hidden = false;
      notice.textContent = t(queue.resumable ? 'backResumed' : 'backRestarted', { s: Math.round(n.hiddenSeconds), n: n.restarted });
    }
  }

  replace(section, head, notice, keepOpen, list);
  draw();
  // Progress ticks touch one row; anything else (a state change, a new file) redraws the panel.
  return queue.subscribe((item) => (item && item.state === 'uploading' && rows.has(item.id) && item.sent > 0 && !collapsed ? update(item) : draw()));
}
