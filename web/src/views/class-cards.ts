// "Add a class": names pasted (or generated), reviewed line by line before anything is made, created in one
// go; then the printable login cards (A4, 8 a sheet, cut lines), each with a Wi-Fi QR code and a login QR code.
import { renderSVG } from 'uqr';
import { ROLES, type CardsResponse, type ImportPreview } from '../../../daemon/src/api-types.js';
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n/index.js';
import { errorText } from './dialogs.js';

/** The card in the users tab; `created` reloads the user list once accounts exist. */
export function classImportCard(created: () => void): HTMLElement {
  const text = h('textarea', { id: 'ci-text', rows: 8, spellcheck: 'false', placeholder: t('classPastePlaceholder'), 'aria-describedby': 'ci-hint' });
  const group = h('input', { id: 'ci-group', autocomplete: 'off', placeholder: t('classGroupPlaceholder') });
  const role = h(
    'select',
    { id: 'ci-role' },
    ROLES.map((r) => h('option', { value: r }, t(`role_${r}`))),
  );
  const review = h('div', { class: 'stack', id: 'ci-review' });
  const msg = h('p', { role: 'status', id: 'ci-msg' });
  const check = h('button', { type: 'submit', class: 'btn' }, t('classCheck'));
  // Two ways in: names pasted (a list or a school's CSV export), or N accounts numbered after a prefix.
  const modePaste = h('input', { type: 'radio', name: 'ci-mode', id: 'ci-mode-paste', value: 'paste', checked: true });
  const modeGen = h('input', { type: 'radio', name: 'ci-mode', id: 'ci-mode-gen', value: 'generate' });
  const count = h('input', { id: 'ci-count', type: 'number', min: 1, max: 200, step: 1, inputmode: 'numeric', value: '30' });
  const prefix = h('input', { id: 'ci-prefix', autocomplete: 'off', autocapitalize: 'none', maxlength: 40, value: t('classPrefixDefault') });
  const pasteBox = h(
    'div',
    { class: 'stack' },
    h('p', { class: 'hint', id: 'ci-hint' }, t('classPasteHint')),
    h('label', { for: 'ci-text' }, t('classNames')),
    text,
  );
  const genBox = h(
    'div',
    { class: 'stack', hidden: true },
    h('p', { class: 'hint' }, t('classGenerateHint')),
    h('div', { class: 'field' }, h('label', { for: 'ci-count' }, t('classCount')), count),
    h('div', { class: 'field' }, h('label', { for: 'ci-prefix' }, t('classPrefix')), prefix),
  );
  const generating = () => modeGen.checked;
  const form = h(
    'form',
    { class: 'card stack', 'aria-labelledby': 'ci-title' },
    h('h2', { id: 'ci-title' }, t('classAdd')),
    h(
      'fieldset',
      { class: 'modes' },
      h('legend', { class: 'visually-hidden' }, t('classHow')),
      h('label', { for: 'ci-mode-paste', class: 'check' }, modePaste, ' ', t('classModePaste')),
      h('label', { for: 'ci-mode-gen', class: 'check' }, modeGen, ' ', t('classModeGenerate')),
    ),
    pasteBox,
    genBox,
    h('div', { class: 'field' }, h('label', { for: 'ci-group' }, t('classGroup')), group),
    h('div', { class: 'field' }, h('label', { for: 'ci-role' }, t('role')), role),
    check,
    msg,
    review,
  );
  for (const r of [modePaste, modeGen])
    r.addEventListener('change', () => {
      pasteBox.hidden = generating();
      genBox.hidden = !generating();
      replace(review);
      msg.textContent = '';
    });
  const body = () => ({
    ...(generating() ? { generate: { count: Number(count.value), prefix: prefix.value.trim() } } : { text: text.value }),
    role: role.value,
    ...(group.value.trim() ? { group: group.value.trim() } : {}),
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.className = '';
    replace(review);
    try {
      const p = await api<ImportPreview>('POST', '/api/admin/users/import/preview', body());
      showReview(p);
    } catch (err) {
      msg.className = 'error';
      msg.textContent = errorText(err);
    }
  });
  // Any edit makes the review stale: it must be checked again before creating.
  for (const el of [text, group, role, count, prefix]) el.addEventListener('input', () => replace(review));

  function showReview(p: ImportPreview) {
    const bad = p.lines.filter((l) => l.error);
    msg.className = bad.length ? 'error' : 'ok';
    msg.textContent = bad.length ? t('classFixLines', { n: bad.length }) : t('classReady', { n: p.count });
    const rows = p.lines.map((l) =>
      h(
        'tr',
        { class: l.error ? 'bad' : undefined },
        h('td', { class: 'num' }, String(l.line)),
        h('td', null, l.name ?? ''),
        h('td', null, l.error ? h('span', { class: 'error' }, l.error) : h('code', null, l.username ?? '')),
        h('td', null, l.group ?? ''),
      ),
    );
    const create = h('button', { type: 'button', class: 'btn primary', id: 'ci-create', disabled: !p.ok }, t('classCreate', { n: p.count }));
    create.addEventListener('click', async () => {
      create.disabled = true;
      try {
        const r = await api<CardsResponse>('POST', '/api/admin/users/import', { accounts: p.lines });
        form.reset();
        pasteBox.hidden = false;
        genBox.hidden = true;
        replace(review);
        msg.className = 'ok';
        msg.textContent = t('classCreated', { n: r.count });
        created();
        showCards(r);
      } catch (err) {
        msg.className = 'error';
        msg.textContent = errorText(err);
        create.disabled = false;
      }
    });
    replace(
      review,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'review' },
          h('caption', null, t('classReview')),
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              [t('classLine'), t('className'), t('username'), t('classGroup')].map((x) => h('th', { scope: 'col' }, x)),
            ),
          ),
          h('tbody', null, rows),
        ),
      ),
      create,
    );
  }
  return form;
}

function qr(data: string, label: string): HTMLElement {
  const box = h('figure', { class: 'card-qr', role: 'img', 'aria-label': label, 'data-qr': data });
  const svg = new DOMParser().parseFromString(renderSVG(data, { border: 1, pixelSize: 4 }), 'image/svg+xml').documentElement;
  svg.setAttribute('aria-hidden', 'true');
  box.append(document.importNode(svg, true), h('figcaption', null, label));
  return box;
}

/** The printable cards over the page (the console is hidden in print); the passwords are in this page only. */
export function showCards(r: CardsResponse): void {
  const close = () => page.remove();
  const wifi = r.network.wifi;
  const cards = r.accounts.map((a) =>
    h(
      'article',
      { class: 'login-card', 'data-username': a.username },
      h('h3', null, a.displayName ?? a.username),
      h(
        'dl',
        null,
        h('dt', null, t('username')),
        h('dd', null, h('code', null, a.username)),
        h('dt', null, t('password')),
        h('dd', null, h('code', { class: 'pw' }, a.password)),
        h('dt', null, t('cardAddress')),
        h('dd', null, r.network.address),
        h('dt', null, t('cardWifi')),
        h(
          'dd',
          null,
          wifi
            ? `${wifi.ssid}${wifi.passphrase ? ` · ${wifi.passphrase}` : ` (${t('cardOpenNetwork')})`}`
            : t('cardWifiUnknown', { why: r.network.wifiReason ?? '' }),
        ),
      ),
      h('div', { class: 'card-qrs' }, wifi ? qr(wifi.qr, t('cardQrWifi')) : null, a.cardUrl ? qr(a.cardUrl, t('cardQrLogin')) : null),
    ),
  );
  const page = h(
    'section',
    { class: 'cards-page', 'aria-labelledby': 'cards-title' },
    h(
      'div',
      { class: 'cards-tools' },
      h('h2', { id: 'cards-title' }, t('cardsTitle', { n: r.count })),
      h('p', { class: 'banner warn' }, t('cardsOnce')),
      h(
        'div',
        { class: 'row-actions wrap' },
        h('button', { type: 'button', class: 'btn primary', onclick: () => window.print() }, t('cardsPrint')),
        h('button', { type: 'button', class: 'btn', onclick: close }, t('close')),
      ),
    ),
    h('div', { class: 'cards-sheet' }, cards),
  );
  document.body.append(page);
  page.querySelector<HTMLElement>('h2')?.focus();
}
