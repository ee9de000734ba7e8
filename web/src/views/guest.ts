// The guest page at /s/<secret>, no login: a shared file or folder (download, image preview, zip), a
// drop box (a name and files to send, never the folder's content), the password, or one clear page
// saying why the link cannot be opened (unknown, expired, withdrawn, used up, no longer available).
import { Upload, type DetailedError } from 'tus-js-client';
import type { GuestLinkInfo, Listing } from '../../../daemon/src/api-types.js';
import { api, ApiError } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { kindOf } from '../format.js';
import { fmtDate, fmtSize, t } from '../i18n/index.js';
import { CHUNK_BYTES, retriable } from '../upload/tus.js';
import { errorText } from './dialogs.js';
import { langSwitch } from './lang.js';

export function renderGuest(root: HTMLElement, secret: string): () => void {
  const main = h('main', { id: 'main', class: 'guest' });
  replace(root, main);
  const base = `/api/s/${encodeURIComponent(secret)}`;
  const fsUrl = (names: string[], query = '') => `${base}/fs/${names.map(encodeURIComponent).join('/')}${query ? `?${query}` : ''}`;
  let folder: string[] = [];
  let alive = true;
  // A visitor who opens a link right after joining the Wi-Fi has seen what the landing page says: the
  // phone's connectivity checks may answer "online" from now on, so it keeps the network.
  void api('POST', '/api/portal/accept').catch(() => {});

  const page = (title: string, ...body: (Node | null)[]) => {
    document.title = `${title} · ${t('appName')}`;
    replace(main, h('div', { class: 'portal-top' }, langSwitch()), h('h1', { tabindex: -1 }, title), ...body);
    main.querySelector('h1')?.focus();
  };

  const refused = (err: unknown) => page(t('guestUnavailable'), h('p', { class: 'lead refused', role: 'alert' }, errorText(err)));

  async function load() {
    let info: GuestLinkInfo;
    try {
      info = await api<GuestLinkInfo>('GET', base);
    } catch (err) {
      return refused(err);
    }
    if (!alive) return;
    if (!info.unlocked) return askPassword();
    if (info.mode === 'upload') return dropBox(info);
    if (info.type === 'file') return oneFile(info);
    return showFolder(info);
  }

  function askPassword() {
    const input = h('input', { id: 'guest-password', type: 'password', autocomplete: 'off', required: true });
    const error = h('p', { class: 'error', role: 'alert' });
    const form = h(
      'form',
      { class: 'card stack' },
      h('p', null, t('guestPasswordPrompt')),
      h('label', { for: 'guest-password' }, t('password')),
      input,
      error,
      h('button', { type: 'submit', class: 'btn primary wide' }, t('guestUnlock')),
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api('POST', `${base}/unlock`, { password: input.value });
        await load();
      } catch (err) {
        error.textContent = errorText(err);
        input.select();
      }
    });
    page(t('guestPasswordTitle'), form);
    input.focus();
  }

  const usesLeft = (info: GuestLinkInfo) => (info.usesLeft === null ? null : h('p', { class: 'hint' }, t('guestUsesLeft', { n: info.usesLeft })));

  function oneFile(info: GuestLinkInfo) {
    // A limited link shows no preview on its own: each look would cost the guest one of the uses.
    const preview = kindOf(info.name) === 'image' && info.usesLeft === null ? h('img', { class: 'guest-preview', src: fsUrl([]), alt: info.name }) : null;
    page(
      t('guestTitle'),
      h('p', { class: 'lead' }, t('guestReadIntro', { date: fmtDate(info.expiresAt) })),
      h(
        'section',
        { class: 'card stack' },
        h(
          'p',
          { class: 'guest-name' },
          icon(kindOf(info.name) === 'image' ? 'image' : 'file'),
          ' ',
          h('strong', null, info.name),
          info.size !== null ? ` · ${fmtSize(info.size)}` : '',
        ),
        preview,
        h('a', { class: 'btn primary wide', href: fsUrl([], 'download=1'), download: '' }, icon('download'), t('download')),
        usesLeft(info),
      ),
    );
  }

  async function showFolder(info: GuestLinkInfo) {
    let listing: Listing;
    try {
      listing = await api<Listing>('GET', fsUrl(folder) + (folder.length ? '/' : ''));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return askPassword();
      return refused(err);
    }
    const crumbs = [info.name, ...folder];
    const up = folder.length
      ? h(
          'button',
          {
            type: 'button',
            class: 'btn small',
            onclick: () => {
              folder = folder.slice(0, -1);
              void showFolder(info);
            },
          },
          '↑ ',
          crumbs[crumbs.length - 2]!,
        )
      : null;
    page(
      crumbs[crumbs.length - 1]!,
      h('p', { class: 'lead' }, t('guestReadIntro', { date: fmtDate(info.expiresAt) })),
      up,
      h('a', { class: 'btn primary', href: fsUrl(folder, 'format=zip'), download: '' }, icon('zip'), t('guestDownloadAll')),
      usesLeft(info),
      listing.entries.length ? null : h('p', { class: 'muted' }, t('emptyFolder')),
      h(
        'ul',
        { class: 'entries guest-entries', 'aria-label': t('folderContents') },
        listing.entries.map((e) => {
          const kind = e.type === 'dir' ? 'folder' : kindOf(e.name) === 'other' ? 'file' : kindOf(e.name);
          const here = [...folder, e.name];
          return h(
            'li',
            { class: `entry ${e.type}` },
            h('span', { class: `kind ${kind}` }, icon(kind)),
            h(
              'div',
              { class: 'entry-text' },
              e.type === 'dir'
                ? h(
                    'a',
                    {
                      class: 'name',
                      href: '#',
                      onclick: (ev: MouseEvent) => {
                        ev.preventDefault();
                        folder = here;
                        void showFolder(info);
                      },
                    },
                    e.name,
                  )
                : h('a', { class: 'name', href: fsUrl(here), target: '_blank', rel: 'noopener' }, e.name),
              h('span', { class: 'meta' }, e.type === 'file' ? `${fmtSize(e.size)} · ${fmtDate(e.mtime)}` : t('folder')),
            ),
            h(
              'div',
              { class: 'entry-actions' },
              h(
                'a',
                {
                  class: 'icon-btn',
                  href: e.type === 'dir' ? fsUrl(here, 'format=zip') : fsUrl(here, 'download=1'),
                  download: '',
                  'aria-label': t('downloadName', { name: e.name }),
                  title: t('download'),
                },
                icon('download'),
              ),
            ),
          );
        }),
      ),
    );
  }

  function dropBox(info: GuestLinkInfo) {
    const name = h('input', { id: 'guest-name', autocomplete: 'name', maxlength: 40 });
    try {
      name.value = localStorage.getItem('hcd.guestName') ?? '';
    } catch {
      /* storage may be off */
    }
    const input = h('input', { type: 'file', multiple: true, id: 'guest-files', class: 'visually-hidden', tabindex: -1 });
    const sent = h('ul', { class: 'guest-sent', 'aria-live': 'polite' });
    input.addEventListener('change', () => {
      const files = Array.from(input.files ?? []);
      input.value = '';
      try {
        localStorage.setItem('hcd.guestName', name.value.trim());
      } catch {
        /* not remembered */
      }
      for (const f of files) send(f, name.value.trim(), sent);
    });
    page(
      t('guestUploadTitle', { name: info.name }),
      h('p', { class: 'lead' }, t('guestUploadIntro')),
      h(
        'section',
        { class: 'card stack' },
        h('label', { for: 'guest-name' }, t('guestName')),
        name,
        h('button', { type: 'button', class: 'btn primary wide', onclick: () => input.click() }, icon('upload'), t('guestPick')),
        input,
        info.maxUploadBytes !== null ? h('p', { class: 'hint' }, t('guestMaxSize', { size: fmtSize(info.maxUploadBytes) })) : null,
        usesLeft(info),
        sent,
      ),
    );
  }

  /** One file, resumable (tus): the link rides in a header, the folder is the link's own. */
  function send(file: File, guest: string, list: HTMLElement) {
    const bar = h('progress', { max: file.size || 1, value: 0 });
    const state = h('span', { class: 'meta' }, fmtSize(file.size));
    const item = h('li', { class: 'stack' }, h('span', null, file.name), bar, state);
    list.prepend(item);
    const upload = new Upload(file, {
      endpoint: '/api/tus',
      headers: { 'X-HCD-Link': secret },
      metadata: { filename: file.name, guest },
      chunkSize: CHUNK_BYTES,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      storeFingerprintForResuming: false,
      onProgress: (n) => (bar.value = n),
      onShouldRetry: (err) => {
        const e = err as DetailedError;
        return retriable(e.originalResponse?.getStatus() ?? 0, e.originalRequest?.getMethod());
      },
      onSuccess: ({ lastResponse }) => {
        bar.value = file.size || 1;
        const stored = lastResponse.getHeader('X-HCD-Path');
        const shown = stored ? decodeURIComponent(stored).split('/').pop()! : file.name;
        state.textContent = t('guestSent', { name: shown });
        item.classList.add('ok');
      },
      onError: (err) => {
        const res = (err as DetailedError).originalResponse;
        let code = 'network';
        try {
          code = (JSON.parse(res?.getBody() ?? '') as { error?: { code?: string } }).error?.code ?? `http_${res?.getStatus()}`;
        } catch {
          /* not the contract's JSON */
        }
        state.textContent = errorText({ code });
        item.classList.add('error');
      },
    });
    upload.start();
  }

  void load();
  return () => {
    alive = false;
  };
}
