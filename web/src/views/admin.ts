// The admin console: users, storage, audit log, health (each a tab with its own URL).
import { AUDIT_ACTIONS, type AuditPage, type StorageReport } from '../../../daemon/src/api-types.js';
import { api } from '../api.js';
import { isAdmin, type App } from '../app.js';
import { h, replace } from '../dom.js';
import { fmtDate, fmtNumber, fmtSize, t, type Key } from '../i18n/index.js';
import { errorText } from './dialogs.js';
import { diskFreeText, diskMeter, diskUsedText, fromStorageReport } from './disk-usage.js';
import { backupsCard } from './backups.js';
import { usersTab } from './users.js';
import { deviceTab } from './device.js';
import { renderHealth } from './health.js';

const TABS = ['users', 'storage', 'audit', 'health', 'device'] as const;
type Tab = (typeof TABS)[number];

export function renderAdmin(main: HTMLElement, app: App): () => void {
  if (!isAdmin(app.me)) {
    replace(main, h('h1', { tabindex: -1 }, t('adminOnly')));
    return () => {};
  }
  const tab = (TABS as readonly string[]).includes(location.pathname.split('/')[2] ?? '') ? (location.pathname.split('/')[2] as Tab) : 'users';
  document.title = `${t(`tab_${tab}`)} · ${t('admin')} · ${t('appName')}`;
  const section = h('section', { class: 'admin-section' });
  replace(
    main,
    h('div', { class: 'title-row' }, h('h1', { tabindex: -1 }, t('admin'))),
    h(
      'nav',
      { class: 'subtabs', 'aria-label': t('adminSections') },
      TABS.map((k) => h('a', { href: `/admin/${k}`, 'data-nav': '', 'aria-current': k === tab ? 'page' : undefined }, t(`tab_${k}`))),
    ),
    section,
  );
  if (tab === 'users') return usersTab(section, app);
  if (tab === 'storage') return storageTab(section);
  if (tab === 'audit') return auditTab(section);
  if (tab === 'device') return deviceTab(section);
  return renderHealth(section);
}

// ---- storage ----

function storageTab(section: HTMLElement): () => void {
  replace(section, h('p', { class: 'muted', role: 'status' }, t('loading')));
  api<StorageReport>('GET', '/api/admin/storage').then(
    (r) => {
      const disk = r.disk;
      const cell = (c: string | number, i: number) => (i ? h('td', { class: 'num' }, String(c)) : h('th', { scope: 'row' }, String(c)));
      const table = (caption: string, head: string[], rows: (string | number)[][]) =>
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            null,
            h('caption', null, caption),
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                head.map((x, i) => h('th', { scope: 'col', class: i ? 'num' : undefined }, x)),
              ),
            ),
            h(
              'tbody',
              null,
              rows.map((row) => h('tr', null, row.map(cell))),
            ),
          ),
        );
      replace(
        section,
        h('h2', null, t('tab_storage')),
        h(
          'div',
          { class: 'card stack' },
          h('p', null, t('storageState'), ' ', h('strong', null, t(`storage_${r.storage}`))),
          disk
            ? [
                h('label', { for: 'disk-meter', id: 'disk-used' }, diskUsedText(fromStorageReport(disk))),
                diskMeter(fromStorageReport(disk), 80, 95, t('diskUsed'), 'disk-meter'),
                h('p', { id: 'disk-free' }, diskFreeText(fromStorageReport(disk))),
              ]
            : h('p', { class: 'error' }, t('diskUnknown')),
          h('p', null, t('trashTotals', { n: r.trash.items, size: fmtSize(r.trash.bytes) })),
        ),
        table(
          t('perSpace'),
          [t('space'), t('size'), t('files'), t('folders')],
          r.spaces.map((s) => [
            s.space === 'workspace' ? t('workspace') : t('containerOf', { name: s.space.replace(/^users\//, '') }),
            fmtSize(s.bytes),
            fmtNumber(s.files),
            fmtNumber(s.folders),
          ]),
        ),
        table(
          t('perUser'),
          [t('username'), t('size'), t('files'), t('quota')],
          r.users
            .filter((u) => !u.deleted || u.bytes > 0)
            .map((u) => [
              u.username + (u.deleted ? ` (${t('deletedUser')})` : ''),
              fmtSize(u.bytes),
              fmtNumber(u.files),
              u.quotaBytes === null ? '—' : fmtSize(u.quotaBytes),
            ]),
        ),
        r.missing.length
          ? h(
              'div',
              { class: 'card' },
              h('h3', null, t('missingFiles', { n: r.missing.length })),
              h(
                'ul',
                null,
                r.missing.slice(0, 100).map((m) => h('li', null, `${m.space} ${m.path} · ${fmtDate(m.since)}`)),
              ),
            )
          : h('p', { class: 'muted' }, t('noMissing')),
        backupsCard(),
      );
    },
    (err) => replace(section, h('p', { class: 'error' }, errorText(err))),
  );
  return () => {};
}

// ---- audit ----

/** Details in words: known fields translated and sizes formatted; anything else as "name: value". */
function auditDetail(detail: unknown): string {
  if (detail === null || typeof detail !== 'object') return detail === null || detail === undefined ? '' : String(detail);
  const words = (k: string): string => {
    const key = `detail_${k}` as Key;
    const s = t(key);
    return s === key ? k : s;
  };
  const value = (k: string, v: unknown): string => {
    if (v === null || v === undefined) return '—';
    if (typeof v === 'number' && /size|bytes/i.test(k)) return fmtSize(v);
    if (typeof v === 'boolean') return t(v ? 'yes' : 'no');
    if (typeof v === 'string' && k === 'sha256') return `${v.slice(0, 12)}…`;
    if (typeof v === 'string') {
      const key = `detailValue_${v}` as Key;
      const s = t(key);
      return s === key ? v : s;
    }
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  };
  return Object.entries(detail as Record<string, unknown>)
    .map(([k, v]) => `${words(k)}${t('colon')}${value(k, v)}`)
    .join(' · ');
}

function auditTab(section: HTMLElement): () => void {
  const actor = h('input', { id: 'au-actor', autocomplete: 'off', autocapitalize: 'none' });
  const action = h(
    'select',
    { id: 'au-action' },
    h('option', { value: '' }, t('anyAction')),
    AUDIT_ACTIONS.map((a) => h('option', { value: a }, t(`audit_${a}`))),
  );
  const since = h('input', { id: 'au-since', type: 'date' });
  const until = h('input', { id: 'au-until', type: 'date' });
  const tbody = h('tbody');
  const status = h('p', { class: 'muted', role: 'status' });
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, t('loadMore'));
  let next: number | null = null;
  const form = h(
    'form',
    { class: 'card filters', 'aria-label': t('filters') },
    h('div', { class: 'field' }, h('label', { for: 'au-actor' }, t('who')), actor),
    h('div', { class: 'field' }, h('label', { for: 'au-action' }, t('what')), action),
    h('div', { class: 'field' }, h('label', { for: 'au-since' }, t('since')), since),
    h('div', { class: 'field' }, h('label', { for: 'au-until' }, t('until')), until),
    h('button', { type: 'submit', class: 'btn primary' }, t('apply')),
  );
  const query = (before: number | null) => {
    const q = new URLSearchParams({ limit: '50' });
    if (actor.value.trim()) q.set('actor', actor.value.trim().toLowerCase());
    if (action.value) q.set('action', action.value);
    // Dates are the reader's local days: from the start of `since` to the end of `until`.
    if (since.value) q.set('since', new Date(`${since.value}T00:00:00`).toISOString());
    if (until.value) q.set('until', new Date(`${until.value}T23:59:59.999`).toISOString());
    if (before !== null) q.set('before', String(before));
    return q.toString();
  };
  async function load(append: boolean) {
    if (append && next === null) return;
    try {
      const r = await api<AuditPage>('GET', `/api/admin/audit?${query(append ? next : null)}`);
      next = r.next;
      const rows = r.entries.map((e) =>
        h(
          'tr',
          null,
          h('td', null, fmtDate(e.at)),
          h('td', null, e.actor ?? '—'),
          h('td', { 'data-action': e.action }, t(`audit_${e.action}`)),
          h('td', { class: 'wrap' }, e.target ?? ''),
          h('td', { class: 'wrap' }, auditDetail(e.detail)),
          h('td', null, e.ip ?? ''),
        ),
      );
      if (append) tbody.append(...rows);
      else replace(tbody, rows);
      more.hidden = next === null;
      status.textContent = tbody.children.length ? t('entryCount', { n: tbody.children.length }) : t('noEntries');
    } catch (err) {
      status.textContent = errorText(err);
    }
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void load(false);
  });
  more.addEventListener('click', () => void load(true));
  replace(
    section,
    h('h2', { class: 'visually-hidden' }, t('tab_audit')),
    form,
    status,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'audit' },
        h('caption', { class: 'visually-hidden' }, t('tab_audit')),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            [t('when'), t('who'), t('what'), t('target'), t('details'), t('ipAddress')].map((x) => h('th', { scope: 'col' }, x)),
          ),
        ),
        tbody,
      ),
    ),
    more,
  );
  void load(false);
  return () => {};
}
