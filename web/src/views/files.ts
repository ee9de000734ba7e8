// The file browser: breadcrumbs, sort and filter, uploads (buttons, drag and drop, folders), actions per entry.
import type { Entry, Listing } from '../../../daemon/src/api-types.js';
import { api, ApiError, fsUrl } from '../api.js';
import { filesPath, parseFilesPath, type App } from '../app.js';
import { announce, h, icon, replace } from '../dom.js';
import { kindOf } from '../format.js';
import { fmtDate, fmtSize, t } from '../i18n/index.js';
import { confirmDialog, errorText, modal, promptDialog } from './dialogs.js';
import { openPreview } from './preview.js';
import { openShare } from './share.js';
import { openViewer } from './viewer.js';
import { quotaMeter } from './quota.js';
import { renderUploads } from './uploads.js';
import { collectDrop, type PickedFile } from '../upload/pick.js';

type SortKey = 'name' | 'size' | 'mtime';
type ViewMode = 'list' | 'grid';
const SORT_STORE = 'hcd.sort';
const VIEW_STORE = 'hcd.view';

function loadSort(): { key: SortKey; desc: boolean } {
  try {
    const s = JSON.parse(localStorage.getItem(SORT_STORE) ?? '') as { key: SortKey; desc: boolean };
    if (['name', 'size', 'mtime'].includes(s.key)) return s;
  } catch {
    /* default below */
  }
  // Newest first: what a class looks for is what was just sent.
  return { key: 'mtime', desc: true };
}

/** The view the reader chose (list or grid), or null: then a folder of photos opens as a grid. */
function loadView(): ViewMode | null {
  try {
    const v = localStorage.getItem(VIEW_STORE);
    return v === 'list' || v === 'grid' ? v : null;
  } catch {
    return null;
  }
}

const isPhoto = (e: Entry) => e.type === 'file' && kindOf(e.name) === 'image';

export function renderFiles(main: HTMLElement, app: App): () => void {
  const where = parseFilesPath(location.pathname);
  if (!where) {
    replace(main, h('h1', { tabindex: -1 }, t('notFound')));
    return () => {};
  }
  const { space, names } = where;
  const spaceLabel = space === 'workspace' ? t('workspace') : space === 'home' ? t('myContainer') : t('containerOf', { name: space.slice('users/'.length) });
  const title = names.length ? names[names.length - 1]! : spaceLabel;
  document.title = `${title} · ${t('appName')}`;

  let entries: Entry[] = [];
  let sort = loadSort();
  let filter = '';
  let ownerFilter = '';
  let chosenView = loadView();
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

  // ---- header: breadcrumbs, title, toolbar ----
  const crumbs = h(
    'nav',
    { class: 'crumbs', 'aria-label': t('breadcrumbs') },
    h(
      'ol',
      null,
      h('li', null, names.length ? h('a', { href: filesPath(space, []), 'data-nav': '' }, spaceLabel) : h('span', { 'aria-current': 'page' }, spaceLabel)),
      names.map((n, i) =>
        h(
          'li',
          null,
          i === names.length - 1 ? h('span', { 'aria-current': 'page' }, n) : h('a', { href: filesPath(space, names.slice(0, i + 1)), 'data-nav': '' }, n),
        ),
      ),
    ),
  );
  const fileInput = h('input', { type: 'file', multiple: true, class: 'visually-hidden', tabindex: -1, 'aria-hidden': 'true', id: 'pick-files' });
  const dirInput = h('input', {
    type: 'file',
    multiple: true,
    webkitdirectory: true,
    class: 'visually-hidden',
    tabindex: -1,
    'aria-hidden': 'true',
    id: 'pick-folder',
  });
  const onPicked = (input: HTMLInputElement) => {
    const files = Array.from(input.files ?? []).map((f) => ({ file: f, rel: (f.webkitRelativePath || f.name).split('/') }));
    input.value = '';
    enqueue(files);
  };
  fileInput.addEventListener('change', () => onPicked(fileInput));
  dirInput.addEventListener('change', () => onPicked(dirInput));

  const toolbar = h(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': t('actions') },
    h('button', { type: 'button', class: 'btn primary', onclick: () => fileInput.click() }, icon('upload'), t('uploadFiles')),
    h('button', { type: 'button', class: 'btn', onclick: () => dirInput.click() }, icon('folder'), t('uploadFolder')),
    h('button', { type: 'button', class: 'btn', onclick: newFolder }, icon('plus'), t('newFolder')),
    h('button', { type: 'button', class: 'btn', onclick: () => zipChoice(names, title) }, icon('zip'), t('downloadZip')),
    fileInput,
    dirInput,
  );

  const filterInput = h('input', { id: 'filter', type: 'search', placeholder: t('filterPlaceholder'), autocomplete: 'off' });
  filterInput.addEventListener('input', () => {
    filter = filterInput.value.trim().toLocaleLowerCase();
    drawList();
  });
  const sortSelect = h(
    'select',
    { id: 'sort' },
    (['name', 'mtime', 'size'] as SortKey[]).map((k) => h('option', { value: k, selected: sort.key === k }, t(`sort_${k}`))),
  );
  const dirBtn = h('button', { type: 'button', class: 'btn icon-btn', 'aria-pressed': String(sort.desc) });
  const setDirLabel = () => {
    dirBtn.setAttribute('aria-label', sort.desc ? t('sortDescending') : t('sortAscending'));
    dirBtn.setAttribute('aria-pressed', String(sort.desc));
    dirBtn.title = dirBtn.getAttribute('aria-label')!;
    replace(dirBtn, h('span', { class: 'dir-arrow', 'aria-hidden': 'true' }, sort.desc ? '↓' : '↑'));
  };
  setDirLabel();
  const saveSort = () => {
    try {
      localStorage.setItem(SORT_STORE, JSON.stringify(sort));
    } catch {
      /* not persisted */
    }
    drawList();
  };
  sortSelect.addEventListener('change', () => {
    sort = { ...sort, key: sortSelect.value as SortKey };
    saveSort();
  });
  dirBtn.addEventListener('click', () => {
    sort = { ...sort, desc: !sort.desc };
    setDirLabel();
    saveSort();
  });
  // By uploader: shown when the folder holds files from more than one person.
  const ownerSelect = h('select', { id: 'owner-filter' });
  const ownerField = h('div', { class: 'field owner', hidden: true }, h('label', { for: 'owner-filter' }, t('uploadedBy')), ownerSelect);
  ownerSelect.addEventListener('change', () => {
    ownerFilter = ownerSelect.value;
    drawList();
  });
  const viewBtn = (mode: ViewMode) =>
    h(
      'button',
      {
        type: 'button',
        class: `btn icon-btn view-${mode}`,
        'aria-label': t(mode === 'grid' ? 'viewGrid' : 'viewList'),
        title: t(mode === 'grid' ? 'viewGrid' : 'viewList'),
        onclick: () => {
          chosenView = mode;
          try {
            localStorage.setItem(VIEW_STORE, mode);
          } catch {
            /* not persisted */
          }
          drawList();
        },
      },
      icon(mode),
    );
  const gridBtn = viewBtn('grid');
  const listBtn = viewBtn('list');
  const filterBar = h(
    'div',
    { class: 'filterbar' },
    h('div', { class: 'field grow' }, h('label', { for: 'filter', class: 'visually-hidden' }, t('filter')), filterInput),
    h('div', { class: 'field sort' }, h('label', { for: 'sort' }, t('sortBy')), sortSelect, dirBtn),
    h('div', { class: 'field view', role: 'group', 'aria-label': t('viewAs') }, listBtn, gridBtn),
    ownerField,
  );

  const uploads = h('section', { class: 'uploads', 'aria-label': t('uploads') });
  const list = h('ul', { class: 'entries', 'aria-label': t('folderContents') });
  const status = h('p', { class: 'muted', role: 'status' }, t('loading'));
  // Shown while the drive cannot be reached: the last good list stays below it.
  const lost = h(
    'p',
    { class: 'banner warn lost', role: 'status', hidden: true },
    h('span', null, t('connectionLost')),
    ' ',
    h('button', { type: 'button', class: 'btn small', onclick: () => void load() }, t('retryNow')),
  );
  const footer = h('footer', { class: 'files-foot' });
  const dropHint = h('div', { class: 'drop-overlay', 'aria-hidden': 'true' }, h('p', null, icon('upload'), t('dropHere')));

  replace(
    main,
    h(
      'div',
      { class: 'files' },
      names.length ? crumbs : null,
      h('div', { class: 'title-row' }, h('h1', { tabindex: -1 }, title)),
      toolbar,
      h('p', { class: 'hint drop-tip' }, t('dragTip')),
      uploads,
      filterBar,
      lost,
      status,
      list,
      footer,
      dropHint,
    ),
  );

  // ---- listing ----
  // ---- connection lost: the last good list stays on screen, retried by itself and on demand ----
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let retryDelay = 2000;
  let loaded = false;

  async function load() {
    clearTimeout(retryTimer);
    try {
      const res = await api<Listing>('GET', fsUrl(space, names));
      entries = res.entries;
      loaded = true;
      lost.hidden = true;
      retryDelay = 2000;
      drawList();
    } catch (err) {
      // The Wi-Fi dropped or the drive is restarting: keep what was shown and try again by itself.
      const transient = err instanceof ApiError && (err.code === 'network' || err.status >= 500 || err.status === 408 || err.status === 429);
      if (transient) {
        lost.hidden = false;
        if (!loaded) status.textContent = t('connectionLost');
        retryTimer = setTimeout(() => void load(), retryDelay);
        retryDelay = Math.min(retryDelay * 2, 15_000);
        return;
      }
      entries = [];
      replace(list);
      status.textContent = errorText(err);
    }
  }
  const onOnline = () => void load();
  const onVisible = () => {
    if (document.visibilityState === 'visible') void load();
  };
  window.addEventListener('online', onOnline);
  document.addEventListener('visibilitychange', onVisible);

  /** The view on screen: the reader's choice, else a grid for a folder that is mostly photos. */
  function viewMode(): ViewMode {
    if (chosenView) return chosenView;
    const files = entries.filter((e) => e.type === 'file');
    const photos = files.filter(isPhoto).length;
    return photos >= 4 && photos * 2 >= files.length ? 'grid' : 'list';
  }

  function drawOwners() {
    const owners = [...new Set(entries.filter((e) => e.type === 'file' && e.owner).map((e) => e.owner!))].sort((a, b) => collator.compare(a, b));
    if (ownerFilter && !owners.includes(ownerFilter)) ownerFilter = '';
    ownerField.hidden = owners.length < 2;
    replace(
      ownerSelect,
      h('option', { value: '', selected: ownerFilter === '' }, t('everyone')),
      owners.map((o) => h('option', { value: o, selected: o === ownerFilter }, o)),
    );
  }

  function sorted(): Entry[] {
    const dir = sort.desc ? -1 : 1;
    let shown = filter ? entries.filter((e) => e.name.toLocaleLowerCase().includes(filter)) : entries.slice();
    // Folders stay in sight under an uploader filter: the way into the rest of the class's work.
    if (ownerFilter) shown = shown.filter((e) => e.type === 'dir' || e.owner === ownerFilter);
    return shown.sort((a, b) => {
      // Folders first whatever the order, as every file manager does.
      if (a.type !== b.type) return a.type === 'dir' ? -1 : 1;
      let c = 0;
      if (sort.key === 'size') c = a.size - b.size;
      else if (sort.key === 'mtime') c = Date.parse(a.mtime) - Date.parse(b.mtime);
      if (c === 0) c = collator.compare(a.name, b.name);
      return c * dir;
    });
  }

  function drawList() {
    drawOwners();
    const shown = sorted();
    if (entries.length === 0) status.textContent = t('emptyFolder');
    else if (shown.length === 0) status.textContent = t('noMatch');
    else status.textContent = t('itemCount', { n: shown.length });
    const mode = viewMode();
    gridBtn.setAttribute('aria-pressed', String(mode === 'grid'));
    listBtn.setAttribute('aria-pressed', String(mode === 'list'));
    list.className = mode === 'grid' ? 'entries grid' : 'entries';
    const photos = shown.filter(isPhoto);
    replace(
      list,
      shown.map((e) => (mode === 'grid' ? tile(e, photos) : row(e, photos))),
    );
  }

  /** Opens a file: photos in the full-screen viewer (swiping through the photos shown), others in a preview. */
  function open(e: Entry, photos: Entry[]) {
    const at = photos.indexOf(e);
    if (at >= 0) openViewer(space, names, photos, at);
    else openPreview(space, [...names, e.name], e);
  }

  function tile(e: Entry, photos: Entry[]): HTMLElement {
    const here = [...names, e.name];
    const kind = e.type === 'dir' ? 'folder' : kindOf(e.name) === 'other' ? 'file' : kindOf(e.name);
    const picture = h('span', { class: `tile-pic kind ${kind}` }, icon(kind));
    if (isPhoto(e)) {
      // The thumbnail only (a few tens of KB), never the photo; its icon stays when it has none.
      const img = h('img', { src: fsUrl(space, here, 'thumb=1'), alt: '', loading: 'lazy', decoding: 'async', class: 'thumb' });
      img.addEventListener('load', () => picture.classList.add('has-thumb'));
      img.addEventListener('error', () => img.remove());
      picture.append(img);
    }
    const label = h('span', { class: 'tile-name' }, e.name);
    const sub = h('span', { class: 'tile-meta' }, e.type === 'dir' ? t('folder') : e.owner ? e.owner : fmtSize(e.size));
    const link =
      e.type === 'dir'
        ? h('a', { class: 'tile-open', href: filesPath(space, here), 'data-nav': '' }, picture, label, sub)
        : h(
            'a',
            {
              class: 'tile-open',
              href: fsUrl(space, here),
              onclick: (ev: MouseEvent) => {
                if (ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
                ev.preventDefault();
                open(e, photos);
              },
            },
            picture,
            label,
            sub,
          );
    return h(
      'li',
      { class: `tile ${e.type}` },
      link,
      h(
        'button',
        {
          type: 'button',
          class: 'icon-btn tile-more',
          'aria-label': t('actionsFor', { name: e.name }),
          title: t('moreActions'),
          'aria-haspopup': 'dialog',
          onclick: () => actions(e),
        },
        icon('more'),
      ),
    );
  }

  function row(e: Entry, photos: Entry[]): HTMLElement {
    const here = [...names, e.name];
    const kind = e.type === 'dir' ? 'folder' : kindOf(e.name) === 'other' ? 'file' : kindOf(e.name);
    const by = e.guest ? t('sentByGuest', { name: e.guest }) : e.owner ? t('byOwner', { name: e.owner }) : null;
    const meta = [e.type === 'file' ? fmtSize(e.size) : t('folder'), fmtDate(e.mtime), by].filter(Boolean).join(' · ');
    const nameEl =
      e.type === 'dir'
        ? h('a', { class: 'name', href: filesPath(space, here), 'data-nav': '' }, e.name)
        : h(
            'a',
            {
              class: 'name',
              href: fsUrl(space, here),
              onclick: (ev: MouseEvent) => {
                if (ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
                ev.preventDefault();
                open(e, photos);
              },
            },
            e.name,
          );
    return h(
      'li',
      { class: `entry ${e.type}` },
      h('span', { class: `kind ${kind}` }, icon(kind)),
      h('div', { class: 'entry-text' }, nameEl, h('span', { class: 'meta' }, meta)),
      h(
        'div',
        { class: 'entry-actions' },
        h(
          'a',
          {
            class: 'icon-btn',
            href: e.type === 'dir' ? fsUrl(space, here, 'format=zip') : fsUrl(space, here, 'download=1'),
            download: '',
            'aria-label': t('downloadName', { name: e.name }),
            title: t('download'),
          },
          icon('download'),
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'icon-btn',
            'aria-label': t('actionsFor', { name: e.name }),
            title: t('moreActions'),
            'aria-haspopup': 'dialog',
            onclick: () => actions(e),
          },
          icon('more'),
        ),
      ),
    );
  }

  // ---- actions ----
  function actions(e: Entry) {
    const here = [...names, e.name];
    const btn = (label: string, f: () => void, cls = 'btn') => h('button', { type: 'button', class: cls, onclick: () => (m.close(), f()) }, label);
    const m = modal(e.name, [
      h(
        'p',
        { class: 'muted' },
        e.type === 'file' ? `${fmtSize(e.size)} · ${fmtDate(e.mtime)}` : fmtDate(e.mtime),
        e.owner ? ` · ${t('byOwner', { name: e.owner })}` : '',
      ),
      h(
        'div',
        { class: 'sheet' },
        e.type === 'dir'
          ? [
              btn(t('open'), () => app.navigate(filesPath(space, here))),
              h('a', { class: 'btn', href: fsUrl(space, here, 'format=zip'), download: '', onclick: () => m.close() }, t('downloadZip')),
              h('a', { class: 'btn', href: fsUrl(space, here, 'format=zip&by=owner'), download: '', onclick: () => m.close() }, t('zipByOwner')),
            ]
          : [
              btn(t('preview'), () => openPreview(space, here, e)),
              h('a', { class: 'btn', href: fsUrl(space, here, 'download=1'), download: '', onclick: () => m.close() }, t('download')),
            ],
        // Guest links: admins and advanced users (policy.ts canShare), for what they may read.
        app.me && app.me.role !== 'user' ? btn(t('share'), () => openShare(space, here, e)) : null,
        e.canDelete
          ? [btn(t('rename'), () => rename(e)), btn(t('move'), () => move(e)), btn(t('delete'), () => remove(e), 'btn danger')]
          : h('p', { class: 'hint' }, t('cannotModify')),
      ),
    ]);
  }

  /** The folder as a zip: as it is, or with a folder per uploader (a teacher collecting work). */
  function zipChoice(folder: string[], name: string) {
    const link = (query: string, label: string, hint: string) =>
      h(
        'a',
        { class: 'btn choice', href: fsUrl(space, folder, query), download: '', onclick: () => m.close() },
        h('strong', null, label),
        h('span', { class: 'hint' }, hint),
      );
    const m = modal(t('downloadZipOf', { name }), [
      h('div', { class: 'sheet' }, link('format=zip', t('zipAsIs'), t('zipAsIsHint')), link('format=zip&by=owner', t('zipByOwner'), t('zipByOwnerHint'))),
    ]);
  }

  const validName = (v: string) => (v.includes('/') || v === '.' || v === '..' ? t('err_invalid_path') : null);

  function newFolder() {
    promptDialog(t('newFolder'), t('folderName'), '', {
      validate: validName,
      confirmLabel: t('create'),
      submit: async (v) => {
        await api('POST', fsUrl(space, [...names, v]), { op: 'mkdir' });
        announce(t('folderCreated', { name: v }));
        await load();
      },
    });
  }

  function rename(e: Entry) {
    promptDialog(t('renameTitle', { name: e.name }), t('newName'), e.name, {
      validate: validName,
      confirmLabel: t('rename'),
      submit: async (v) => {
        if (v === e.name) return;
        await api('POST', fsUrl(space, [...names, e.name]), { op: 'move', to: '/' + [...names, v].join('/') });
        announce(t('renamed', { name: v }));
        await load();
      },
    });
  }

  function move(e: Entry) {
    promptDialog(t('moveTitle', { name: e.name }), t('moveTo'), '/' + names.join('/'), {
      hint: t('moveHint'),
      confirmLabel: t('move'),
      submit: async (v) => {
        const dest = v.split('/').filter(Boolean);
        await api('POST', fsUrl(space, [...names, e.name]), { op: 'move', to: '/' + [...dest, e.name].join('/') });
        announce(t('moved', { name: e.name }));
        await load();
      },
    });
  }

  async function remove(e: Entry) {
    const ok = await confirmDialog(t('deleteTitle', { name: e.name }), t('deleteBody'), t('moveToTrash'), true);
    if (!ok) return;
    try {
      await api('DELETE', fsUrl(space, [...names, e.name]));
      announce(t('deleted', { name: e.name }));
      await load();
    } catch (err) {
      status.textContent = errorText(err);
    }
  }

  // ---- uploads ----
  function enqueue(files: PickedFile[]) {
    if (files.length === 0) return;
    // rename: a name already taken by someone else's file never fails the upload (thirty pupils send
    // "compte_rendu.pdf"): the drive keeps both and says which name it chose.
    app.queue.add(files.map(({ file, rel }) => ({ file, target: { space, names: [...names, ...rel], overwrite: false, rename: true }, label: rel.join('/') })));
    announce(t('uploadsQueued', { n: files.length }));
  }
  const unsubscribe = app.queue.subscribe((item) => {
    // A finished upload into the folder on screen (or one of its subfolders) shows up at once.
    if (item && item.state === 'done' && item.target.space === space && names.every((n, i) => item.target.names[i] === n)) {
      void load();
      void app.refreshMe().then(drawQuota);
    }
  });
  const stopUploads = renderUploads(
    uploads,
    app.queue,
    () => app.me,
    (item) => item.target.space === space,
  );

  // Drag and drop anywhere on the page; folders are walked through DataTransfer items.
  let depth = 0;
  const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
  const onEnter = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth++;
    main.classList.add('dragging');
  };
  const onOver = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer!.dropEffect = 'copy';
  };
  const onLeave = () => {
    if (--depth <= 0) {
      depth = 0;
      main.classList.remove('dragging');
    }
  };
  const onDrop = async (e: DragEvent) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    main.classList.remove('dragging');
    enqueue(await collectDrop(e.dataTransfer!));
  };
  document.addEventListener('dragenter', onEnter);
  document.addEventListener('dragover', onOver);
  document.addEventListener('dragleave', onLeave);
  document.addEventListener('drop', onDrop);

  function drawQuota() {
    replace(footer, app.me ? quotaMeter(app.me) : null);
  }
  drawQuota();
  void load();

  return () => {
    clearTimeout(retryTimer);
    window.removeEventListener('online', onOnline);
    document.removeEventListener('visibilitychange', onVisible);
    unsubscribe();
    stopUploads();
    document.removeEventListener('dragenter', onEnter);
    document.removeEventListener('dragover', onOver);
    document.removeEventListener('dragleave', onLeave);
    document.removeEventListener('drop', onDrop);
  };
}
