// Guest links, the creator's side: the Share dialog (mode, expiry, password, limits) whose answer is a
// large QR code and a short address, and the list of one's links (all of them for admins) with Revoke.
import { renderSVG } from 'uqr';
import type { Entry, LinkCreated, LinkItem, LinkList, LinkMode } from '../../../daemon/src/api-types.js';
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { fmtDate, fmtSize, t, type Key } from '../i18n/index.js';
import { confirmDialog, errorText, modal } from './dialogs.js';

/** A QR code for `url`, drawn by uqr on the device (no CDN), large enough for a projector. */
export function qrCode(url: string, label: string): HTMLElement {
  const box = h('div', { class: 'qr share-qr', role: 'img', 'aria-label': label, 'data-url': url });
  // uqr builds the SVG from the address only; parsed, never injected as HTML.
  const svg = new DOMParser().parseFromString(renderSVG(url, { border: 2, pixelSize: 10 }), 'image/svg+xml').documentElement;
  svg.setAttribute('aria-hidden', 'true');
  box.append(document.importNode(svg, true));
  return box;
}

/** Copies `text` (navigator.clipboard needs HTTPS, which the device does not serve: select and copy instead). */
export async function copyText(input: HTMLInputElement, status: HTMLElement): Promise<void> {
  const text = input.value;
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      status.textContent = t('copied');
      return;
    }
  } catch {
    /* fall through to the selection */
  }
  input.focus();
  input.select();
  input.setSelectionRange(0, text.length);
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  status.textContent = ok ? t('copied') : t('copyManually');
}

export function openShare(space: string, names: string[], e: Entry): void {
  const isDir = e.type === 'dir';
  const radio = (name: string, value: string, label: string, checked: boolean) =>
    h('label', { class: 'radio' }, h('input', { type: 'radio', name, value, checked }), ' ', label);
  const date = h('input', { id: 'share-date', type: 'date', hidden: true, min: new Date().toISOString().slice(0, 10) });
  const password = h('input', { id: 'share-password', type: 'text', autocomplete: 'off', minlength: 4, maxlength: 72 });
  const maxUses = h('input', { id: 'share-max-uses', type: 'number', min: 1, step: 1, inputmode: 'numeric' });
  const maxSize = h('input', { id: 'share-max-size', type: 'number', min: 1, step: 1, inputmode: 'numeric' });
  const sizeField = h('div', { class: 'stack', hidden: true }, h('label', { for: 'share-max-size' }, t('shareMaxSize')), maxSize);
  const error = h('p', { class: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn primary wide' }, t('shareCreate'));
  const form = h(
    'form',
    { class: 'stack share-form' },
    isDir
      ? h(
          'fieldset',
          { class: 'stack' },
          h('legend', null, t('shareMode')),
          radio('mode', 'read', t('shareModeRead'), true),
          radio('mode', 'upload', t('shareModeUpload'), false),
        )
      : null,
    h(
      'fieldset',
      { class: 'stack' },
      h('legend', null, t('shareExpires')),
      h(
        'div',
        { class: 'radios' },
        (['1h', '1d', '7d', 'date'] as const).map((v) => radio('expires', v, t(`expires_${v}`), v === '1d')),
      ),
      date,
    ),
    h('label', { for: 'share-password' }, t('sharePassword')),
    password,
    h('label', { for: 'share-max-uses' }, t('shareMaxUses')),
    maxUses,
    sizeField,
    error,
    submit,
  );
  const value = (name: string) => form.querySelector<HTMLInputElement>(`input[name="${name}"]:checked`)?.value;
  form.addEventListener('change', () => {
    date.hidden = value('expires') !== 'date';
    sizeField.hidden = value('mode') !== 'upload';
  });
  const m = modal(t('shareTitle', { name: e.name }), [form], { wide: true });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const mode = (value('mode') ?? 'read') as LinkMode;
    let expires = value('expires') ?? '1d';
    if (expires === 'date') {
      if (!date.value) {
        error.textContent = t('required');
        date.focus();
        return;
      }
      // The end of the chosen day, in the reader's time zone.
      expires = new Date(`${date.value}T23:59:59`).toISOString();
    }
    const body: Record<string, unknown> = { space, path: '/' + names.join('/'), mode, expires };
    if (password.value) body.password = password.value;
    if (maxUses.value) body.maxUses = Number(maxUses.value);
    if (mode === 'upload' && maxSize.value) body.maxUploadBytes = Math.round(Number(maxSize.value) * 1_000_000);
    submit.disabled = true;
    try {
      const made = await api<LinkCreated>('POST', '/api/links', body);
      showCreated(m.dialog, made);
    } catch (err) {
      error.textContent = errorText(err);
      submit.disabled = false;
    }
  });
}

function showCreated(dialog: HTMLDialogElement, made: LinkCreated): void {
  const address = h('input', { id: 'share-address', class: 'address', readonly: true, value: made.url, 'aria-describedby': 'share-copy-msg' });
  const msg = h('p', { id: 'share-copy-msg', class: 'hint', role: 'status' });
  const body = dialog.querySelector('.dlg-body')!;
  replace(
    body,
    h(
      'div',
      { class: 'stack share-done' },
      h('p', null, t('shareReady')),
      qrCode(made.url, t('qrLabel', { url: made.url })),
      h('label', { for: 'share-address' }, t('shareAddress')),
      h('div', { class: 'copy-row' }, address, h('button', { type: 'button', class: 'btn', onclick: () => void copyText(address, msg) }, t('copy'))),
      msg,
      h('p', { class: 'secret', 'aria-hidden': 'true' }, made.secret),
      h('p', { class: 'hint' }, linkSummary(made)),
      h('p', { class: 'hint' }, t('shareOnce')),
    ),
  );
  address.focus();
}

function linkSummary(l: LinkItem): string {
  return [
    t(`linkMode_${l.mode}`),
    t('linkUntil', { date: fmtDate(l.expiresAt) }),
    l.maxUses !== null ? `${l.uses}/${l.maxUses}` : t('linkUses', { n: l.uses }),
    l.maxUploadBytes !== null ? `≤ ${fmtSize(l.maxUploadBytes)}` : null,
  ]
    .filter(Boolean)
    .join(' · ');
}

/** "My guest links" (admins: every link, with its creator), each with Revoke while it is active. */
export function linksSection(admin: boolean): HTMLElement {
  const list = h('ul', { class: 'links' });
  const status = h('p', { class: 'muted', role: 'status' }, t('loading'));
  const section = h(
    'section',
    { class: 'card stack', 'aria-labelledby': 'links-title' },
    h('h2', { id: 'links-title' }, t(admin ? 'allLinks' : 'myLinks')),
    status,
    list,
  );
  const load = async () => {
    try {
      const { links } = await api<LinkList>('GET', '/api/links');
      status.textContent = links.length ? '' : t('linksNone');
      replace(
        list,
        links.map((l) =>
          h(
            'li',
            { class: `link-item state-${l.state}` },
            h(
              'div',
              { class: 'entry-text' },
              h('span', { class: 'name' }, `${l.space === 'workspace' ? t('workspace') : l.space} ${l.path ?? t('linkGone')}`),
              h('span', { class: 'meta' }, linkSummary(l), admin ? ` · ${t('byOwner', { name: l.creator })}` : ''),
              h('span', { class: `badge state-${l.state}` }, t(`linkState_${l.state}` as Key)),
            ),
            l.state === 'active' || l.state === 'used_up' || l.state === 'unavailable'
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn small danger',
                    onclick: async () => {
                      if (!(await confirmDialog(t('linkRevokeTitle'), t('linkRevokeBody'), t('linkRevoke'), true))) return;
                      try {
                        await api('DELETE', `/api/links/${l.id}`);
                      } catch (err) {
                        status.textContent = errorText(err);
                      }
                      await load();
                    },
                  },
                  t('linkRevoke'),
                )
              : null,
          ),
        ),
      );
    } catch (err) {
      status.textContent = errorText(err);
    }
  };
  void load();
  return section;
}
