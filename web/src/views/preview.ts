// Previews in a dialog: images, PDF, audio and video (the browser seeks with Range requests), text.
import type { Entry } from '../../../daemon/src/api-types.js';
import { fsUrl } from '../api.js';
import { h } from '../dom.js';
import { kindOf } from '../format.js';
import { fmtDate, fmtSize, t } from '../i18n/index.js';
import { modal } from './dialogs.js';

const TEXT_LIMIT = 256 * 1024;
const PDF_INLINE_LIMIT = 30 * 1000 * 1000;

export function openPreview(space: string, names: string[], e: Entry): void {
  const url = fsUrl(space, names);
  const kind = kindOf(e.name);
  const body = h('div', { class: `preview ${kind}` });
  let blobUrl: string | null = null;
  const links = h(
    'div',
    { class: 'dlg-actions' },
    h('a', { class: 'btn', href: url, target: '_blank', rel: 'noopener' }, t('openNewTab')),
    h('a', { class: 'btn primary', href: fsUrl(space, names, 'download=1'), download: '' }, t('download')),
  );
  modal(e.name, [h('p', { class: 'muted' }, `${fmtSize(e.size)} · ${fmtDate(e.mtime)}`), body, links], {
    wide: true,
    onClose: () => {
      // Stops a playing video and frees a PDF held in memory.
      body.replaceChildren();
      if (blobUrl) URL.revokeObjectURL(blobUrl);
    },
  });

  switch (kind) {
    case 'image':
      body.append(h('img', { src: url, alt: e.name }));
      break;
    case 'video':
      body.append(h('video', { src: url, controls: true, preload: 'metadata', playsinline: true }));
      break;
    case 'audio':
      body.append(h('audio', { src: url, controls: true, preload: 'metadata' }));
      break;
    case 'pdf':
      // The file itself is served with a sandbox CSP, where Chromium refuses its PDF viewer; a blob
      // copy of it is ours. Phones have no inline viewer anyway: they get the buttons below.
      if (e.size > PDF_INLINE_LIMIT || matchMedia('(max-width: 720px)').matches) {
        body.append(h('p', null, t('pdfOpenHint')));
        break;
      }
      body.append(h('p', { class: 'muted' }, t('loading')));
      fetch(url, { credentials: 'same-origin' })
        .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(String(r.status)))))
        .then((b) => {
          blobUrl = URL.createObjectURL(new Blob([b], { type: 'application/pdf' }));
          body.replaceChildren(h('iframe', { src: blobUrl, title: e.name }));
        })
        .catch(() => body.replaceChildren(h('p', { class: 'error' }, t('previewFailed'))));
      break;
    case 'text':
      body.append(h('p', { class: 'muted' }, t('loading')));
      // Only the start of a big text file: a Range request, so a 2 GB log does not reach the phone.
      fetch(url, { credentials: 'same-origin', headers: { range: `bytes=0-${TEXT_LIMIT - 1}` } })
        .then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(String(r.status)))))
        .then((buf) => {
          const text = new TextDecoder('utf-8').decode(buf);
          body.replaceChildren(h('pre', { tabindex: 0 }, text));
          if (e.size > TEXT_LIMIT) body.append(h('p', { class: 'hint' }, t('textTruncated', { size: fmtSize(TEXT_LIMIT) })));
        })
        .catch(() => body.replaceChildren(h('p', { class: 'error' }, t('previewFailed'))));
      break;
    default:
      body.append(h('p', null, t('noPreview')));
  }
}
