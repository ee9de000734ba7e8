// Backups in the admin console: the nightly copies of the database on the SSD (make, download, restore), and the
// offer of the newest one when a new SD card meets an SSD that has them.
import type { BackupInfo, BackupsResponse } from '../../../daemon/src/api-types.js';
import { api } from '../api.js';
import { isAdmin, type App } from '../app.js';
import { h, replace } from '../dom.js';
import { fmtDate, fmtNumber, fmtSize, t } from '../i18n/index.js';
import { confirmDialog, errorText, modal } from './dialogs.js';

const DISMISSED = 'hcd.restoreOfferDismissed';

/** The "Backups" card of the storage tab. */
export function backupsCard(): HTMLElement {
  const card = h('section', { class: 'card stack', 'aria-labelledby': 'bk-title' });
  const body = h('div', { class: 'stack' }, h('p', { class: 'muted', role: 'status' }, t('loading')));
  const msg = h('p', { role: 'status', id: 'bk-msg' });
  const make = h('button', { type: 'button', class: 'btn', id: 'bk-make' }, t('backupNow'));
  card.append(h('h2', { id: 'bk-title' }, t('backups')), h('p', { class: 'hint' }, t('backupsHelp')), body, msg, make);

  const load = async () => {
    try {
      const r = await api<BackupsResponse>('GET', '/api/admin/backups');
      make.disabled = !r.storage;
      if (!r.storage) return replace(body, h('p', { class: 'muted' }, t('backupsNoStorage')));
      if (r.backups.length === 0) return replace(body, h('p', { class: 'muted' }, t('backupsNone')));
      replace(
        body,
        h(
          'ul',
          { class: 'backups' },
          r.backups.map((b) => row(b)),
        ),
      );
    } catch (err) {
      replace(body, h('p', { class: 'error' }, errorText(err)));
    }
  };
  make.addEventListener('click', async () => {
    make.disabled = true;
    msg.className = '';
    try {
      const made = await api<{ name: string; bytes: number }>('POST', '/api/admin/backups', {});
      msg.className = 'ok';
      msg.textContent = t('backupMade', { size: fmtSize(made.bytes) });
      await load();
    } catch (err) {
      msg.className = 'error';
      msg.textContent = errorText(err);
    } finally {
      make.disabled = false;
    }
  });
  void load();
  return card;
}

function row(b: BackupInfo): HTMLElement {
  const restore = h('button', { type: 'button', class: 'btn danger small' }, t('backupRestore'));
  restore.addEventListener('click', () => void restoreFlow(b));
  return h(
    'li',
    { class: 'backup', 'data-name': b.name },
    h('div', { class: 'stack tight' }, h('strong', null, fmtDate(b.createdAt)), h('span', { class: 'muted' }, contents(b))),
    h(
      'div',
      { class: 'row-actions' },
      h('a', { class: 'btn small', href: `/api/admin/backups/${encodeURIComponent(b.name)}`, download: b.name }, t('download')),
      restore,
    ),
  );
}

/** "31 accounts · 420 files · 1.2 MB", or that the file cannot be read. */
function contents(b: BackupInfo): string {
  if (b.users === null) return `${t('backupUnreadable')} · ${fmtSize(b.bytes)}`;
  return [t('backupUsers', { n: b.users }), t('backupFiles', { n: b.files ?? 0 }), fmtSize(b.bytes)].join(' · ');
}

/** Asks, restores, then waits for the daemon to come back with the backup and reloads (to the login page). */
async function restoreFlow(b: BackupInfo): Promise<void> {
  const ok = await confirmDialog(t('backupRestoreTitle'), t('backupRestoreWarn', { date: fmtDate(b.createdAt), what: contents(b) }), t('backupRestore'), true);
  if (!ok) return;
  const status = h('p', { role: 'status' }, t('backupRestoring'));
  const m = modal(t('backupRestoreTitle'), [status]);
  try {
    await api('POST', `/api/admin/backups/${encodeURIComponent(b.name)}/restore`, { confirm: b.name });
  } catch (err) {
    status.className = 'error';
    status.textContent = errorText(err);
    return;
  }
  try {
    sessionStorage.setItem(DISMISSED, '1');
  } catch {
    /* storage disabled: the offer may show once more */
  }
  // The daemon stops, then systemd starts it with the backup in place: wait for it to go and come back.
  let wentAway = false;
  const started = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const up = await fetch('/api/health', { cache: 'no-store' }).then(
      (r) => r.ok,
      () => false,
    );
    if (!up) wentAway = true;
    if (up && (wentAway || Date.now() - started > 8000)) break;
    if (Date.now() - started > 180_000) {
      status.className = 'error';
      status.textContent = t('backupRestoreSlow');
      return;
    }
  }
  m.close();
  location.assign('/');
}

/** After an SD card was replaced: offers the newest backup on the SSD to the administrator, once a session. */
export async function offerRestore(app: App): Promise<void> {
  if (!isAdmin(app.me) || app.me?.mustChangePassword) return;
  try {
    if (sessionStorage.getItem(DISMISSED)) return;
    sessionStorage.setItem(DISMISSED, '1');
  } catch {
    /* storage disabled: ask anyway */
  }
  let r: BackupsResponse;
  try {
    r = await api<BackupsResponse>('GET', '/api/admin/backups');
  } catch {
    return;
  }
  const offer = r.offer;
  if (!offer) return;
  const m = modal(t('backupOfferTitle'), [
    h('p', null, t('backupOffer', { date: fmtDate(offer.createdAt), users: fmtNumber(offer.users ?? 0) })),
    h('p', { class: 'muted' }, contents(offer)),
    h(
      'div',
      { class: 'dlg-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => m.close() }, t('backupOfferLater')),
      h(
        'button',
        {
          type: 'button',
          class: 'btn primary',
          id: 'bk-offer-restore',
          onclick: () => {
            m.close();
            void restoreFlow(offer);
          },
        },
        t('backupRestore'),
      ),
    ),
  ]);
}
