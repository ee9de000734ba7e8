// The photo viewer: full screen, one photo at a time, swipe (or ←/→, or the buttons) to the next,
// Escape or ✕ to close. It shows the photo itself; the grid only ever loads thumbnails.
import type { Entry } from '../../../daemon/src/api-types.js';
import { fsUrl } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { fmtDate, fmtSize, t } from '../i18n/index.js';

/** A horizontal move this long (CSS px), more sideways than up or down, turns the page. */
const SWIPE_PX = 40;

export function openViewer(space: string, folder: readonly string[], photos: readonly Entry[], start: number): () => void {
  let index = Math.max(0, Math.min(start, photos.length - 1));
  const opener = document.activeElement as HTMLElement | null;

  const img = h('img', { class: 'viewer-img', alt: '', draggable: 'false' });
  const counter = h('span', { class: 'viewer-count' });
  const caption = h('div', { class: 'viewer-caption' });
  const download = h('a', { class: 'icon-btn viewer-btn', download: '', title: t('download'), 'aria-label': t('download') }, icon('download'));
  const close = h(
    'button',
    { type: 'button', class: 'icon-btn viewer-btn', title: t('close'), 'aria-label': t('close'), onclick: () => done() },
    icon('close'),
  );
  const prev = h('button', { type: 'button', class: 'viewer-nav prev', 'aria-label': t('previousPhoto'), onclick: () => go(-1) }, '‹');
  const next = h('button', { type: 'button', class: 'viewer-nav next', 'aria-label': t('nextPhoto'), onclick: () => go(1) }, '›');
  const stage = h('div', { class: 'viewer-stage' }, img, prev, next);
  const root = h(
    'div',
    { class: 'viewer', role: 'dialog', 'aria-modal': 'true', 'aria-label': t('photoViewer') },
    h('div', { class: 'viewer-bar' }, counter, h('span', { class: 'grow' }), download, close),
    stage,
    caption,
  );

  function show() {
    const e = photos[index]!;
    const names = [...folder, e.name];
    img.src = fsUrl(space, names);
    img.alt = e.name;
    download.href = fsUrl(space, names, 'download=1');
    counter.textContent = t('photoOf', { n: index + 1, total: photos.length });
    replace(
      caption,
      h('strong', null, e.name),
      h('span', null, [fmtSize(e.size), fmtDate(e.mtime), e.owner ? t('byOwner', { name: e.owner }) : null].filter(Boolean).join(' · ')),
    );
    prev.hidden = index === 0;
    next.hidden = index === photos.length - 1;
  }

  function go(step: number) {
    const to = index + step;
    if (to < 0 || to >= photos.length) return;
    index = to;
    show();
  }

  const onKey = (ev: KeyboardEvent) => {
    if (ev.key === 'Escape') done();
    else if (ev.key === 'ArrowLeft') go(-1);
    else if (ev.key === 'ArrowRight') go(1);
    else if (ev.key === 'Tab') {
      // Focus stays inside the viewer.
      const items = [download, close, prev, next].filter((b) => !b.hidden);
      const at = (items as HTMLElement[]).indexOf(document.activeElement as HTMLElement);
      ev.preventDefault();
      items[(at + (ev.shiftKey ? items.length - 1 : 1)) % items.length]?.focus();
    }
  };

  // Swipe: pointer events cover touch, pen and mouse alike.
  let startX = 0;
  let startY = 0;
  let tracking = false;
  stage.addEventListener('pointerdown', (ev) => {
    if ((ev.target as HTMLElement).closest('button')) return;
    tracking = true;
    startX = ev.clientX;
    startY = ev.clientY;
  });
  stage.addEventListener('pointerup', (ev) => {
    if (!tracking) return;
    tracking = false;
    const dx = ev.clientX - startX;
    const dy = ev.clientY - startY;
    if (Math.abs(dx) >= SWIPE_PX && Math.abs(dx) > Math.abs(dy)) go(dx < 0 ? 1 : -1);
  });
  stage.addEventListener('pointercancel', () => (tracking = false));

  function done() {
    document.removeEventListener('keydown', onKey, true);
    document.body.classList.remove('viewing');
    img.removeAttribute('src'); // stops a photo still loading
    root.remove();
    opener?.focus?.();
  }

  document.addEventListener('keydown', onKey, true);
  document.body.classList.add('viewing');
  document.body.append(root);
  show();
  close.focus();
  return done;
}
