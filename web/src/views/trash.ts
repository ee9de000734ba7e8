// The trash: what the caller deleted (admins: everything), restore or delete for good.
import type { TrashItem, TrashList } from '../../../daemon/src/api-types.js';
import { api } from '../api.js';
import type { App } from '../app.js';
import { announce, h, icon, replace } from '../dom.js';
import { fmtDate, fmtSize, t } from '../i18n/index.js';
import { confirmDialog, errorText } from './dialogs.js';

export function renderTrash(main: HTMLElement, app: App): () => void {
  document.title = `${t('trash')} · ${t('appName')}`;
  const list = h('ul', { class: 'entries' });
  const status = h('p', { class: 'muted', role: 'status' }, t('loading'));
  const emptyBtn = h('button', { type: 'button', class: 'btn danger', hidden: true, onclick: emptyAll }, icon('trash'), t('emptyTrash'));
  replace(
    main,
    h('div', { class: 'title-row' }, h('h1', { tabindex: -1 }, t('trash'))),
    h('p', { class: 'hint' }, app.me?.role === 'admin' ? t('trashIntroAdmin') : t('trashIntro')),
    h('div', { class: 'toolbar' }, emptyBtn),
    status,
    list,
  );
  const spaceName = (s: string) =>
    s === 'workspace' ? t('workspace') : s === `users/${app.me?.username}` ? t('myContainer') : t('containerOf', { name: s.slice(6) });

  async function load() {
    try {
      const { items } = await api<TrashList>('GET', '/api/trash');
      status.textContent = items.length ? t('itemCount', { n: items.length }) : t('trashEmpty');
      emptyBtn.hidden = items.length === 0;
      replace(list, items.map(row));
    } catch (err) {
      status.textContent = errorText(err);
    }
  }

  function row(it: TrashItem) {
    return h(
      'li',
      { class: `entry ${it.type}` },
      h('span', { class: `kind ${it.type === 'dir' ? 'folder' : 'file'}` }, icon(it.type === 'dir' ? 'folder' : 'file')),
      h(
        'div',
        { class: 'entry-text' },
        h('span', { class: 'name' }, it.name),
        h(
          'span',
          { class: 'meta' },
          `${spaceName(it.space)} ${it.path} · ${it.type === 'file' ? fmtSize(it.size) + ' · ' : ''}${t('deletedOnBy', { date: fmtDate(it.deletedAt), name: it.deletedBy })}`,
        ),
      ),
      h(
        'div',
        { class: 'entry-actions' },
        h('button', { type: 'button', class: 'btn small', 'aria-label': t('restoreName', { name: it.name }), onclick: () => restore(it) }, t('restore')),
        h('button', { type: 'button', class: 'btn small danger', 'aria-label': t('purgeName', { name: it.name }), onclick: () => purge(it) }, t('purge')),
      ),
    );
  }

  async function restore(it: TrashItem) {
    try {
      await api('POST', `/api/trash/${it.id}/restore`, {});
      announce(t('restored', { name: it.name }));
      status.textContent = t('restored', { name: it.name });
      await load();
    } catch (err) {
      status.textContent = errorText(err);
    }
  }
  async function purge(it: TrashItem) {
    if (!(await confirmDialog(t('purgeTitle', { name: it.name }), t('purgeBody'), t('purge'), true))) return;
    try {
      await api('DELETE', `/api/trash/${it.id}`);
      await load();
    } catch (err) {
      status.textContent = errorText(err);
    }
  }
  async function emptyAll() {
    if (!(await confirmDialog(t('emptyTrash'), t('emptyTrashBody'), t('emptyTrash'), true))) return;
    try {
      await api('DELETE', '/api/trash');
      await load();
    } catch (err) {
      status.textContent = errorText(err);
    }
  }
  void load();
  return () => {};
}
