// The captive-portal landing page: what this network is, how to open the drive in a real browser, Continue.
import { renderSVG } from 'uqr';
import type { PortalAcceptResponse, PortalInfo } from '../../../daemon/src/api-types.js';
import { api } from '../api.js';
import type { App } from '../app.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n/index.js';
import { errorText } from './dialogs.js';
import { langSwitch } from './lang.js';

export function renderPortal(root: HTMLElement, _app: App): () => void {
  const main = h('main', { id: 'main', class: 'portal' });
  replace(root, main);
  let info: PortalInfo = { captive: true, url: `${location.origin}/`, hostname: location.hostname };

  function draw() {
    const address = info.url.replace(/\/$/, '');
    const addrInput = h('input', { id: 'portal-address', class: 'address', readonly: true, value: address, 'aria-describedby': 'copy-msg' });
    const copyMsg = h('p', { id: 'copy-msg', class: 'hint', role: 'status' });
    const copy = async () => {
      // navigator.clipboard exists only in secure contexts (HTTPS); the device serves plain HTTP.
      try {
        if (navigator.clipboard && window.isSecureContext) {
          await navigator.clipboard.writeText(address);
          copyMsg.textContent = t('copied');
          return;
        }
      } catch {
        /* fall through to the selection */
      }
      addrInput.focus();
      addrInput.select();
      addrInput.setSelectionRange(0, address.length);
      let ok = false;
      try {
        ok = document.execCommand('copy');
      } catch {
        ok = false;
      }
      copyMsg.textContent = ok ? t('copied') : t('copyManually');
    };
    const qr = h('div', { class: 'qr', role: 'img', 'aria-label': t('qrLabel', { url: address }) });
    // uqr builds the SVG from the address only (no user input reaches it); parsed, not injected as HTML.
    const svg = new DOMParser().parseFromString(renderSVG(info.url, { border: 2, pixelSize: 6 }), 'image/svg+xml').documentElement;
    svg.setAttribute('aria-hidden', 'true');
    qr.append(document.importNode(svg, true));

    const status = h('p', { role: 'status', class: 'portal-status' });
    const cont = h('button', { type: 'button', class: 'btn primary wide', id: 'portal-continue' }, t('portalContinue'));
    cont.addEventListener('click', async () => {
      cont.disabled = true;
      try {
        info = { ...info, ...(await api<PortalAcceptResponse>('POST', '/api/portal/accept')) };
        draw();
        document.getElementById('portal-done')?.focus();
      } catch (err) {
        status.textContent = errorText(err);
        cont.disabled = false;
      }
    });

    replace(
      main,
      h('div', { class: 'portal-top' }, langSwitch()),
      h('h1', { tabindex: -1 }, t('portalTitle')),
      h('p', { class: 'lead' }, t('portalWhat')),
      info.captive
        ? h('section', { class: 'card stack' }, h('p', null, t('portalContinueWhy')), status, cont)
        : h(
            'section',
            { class: 'card stack done' },
            h('p', { id: 'portal-done', tabindex: -1, class: 'ok' }, t('portalDone')),
            h('a', { class: 'btn', href: '/' }, t('portalOpenHere')),
          ),
      h(
        'section',
        { class: 'card stack', 'aria-labelledby': 'how-title' },
        h('h2', { id: 'how-title' }, t('portalHowTitle')),
        h('p', null, t('portalWhy')),
        h('ol', { class: 'steps' }, h('li', null, t('portalStep1')), h('li', null, t('portalStep2')), h('li', null, t('portalStep3'))),
        h('label', { for: 'portal-address' }, t('portalAddress')),
        h('div', { class: 'copy-row' }, addrInput, h('button', { type: 'button', class: 'btn', onclick: copy }, t('copy'))),
        copyMsg,
        h('p', null, t('portalScan')),
        qr,
      ),
    );
  }

  draw();
  main.querySelector('h1')?.focus();
  api<PortalInfo>('GET', '/api/portal').then(
    (r) => {
      info = r;
      draw();
    },
    () => {},
  );
  return () => {};
}
