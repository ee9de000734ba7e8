// The language picker (labels in their own language, so anyone can find theirs).
import { h } from '../dom.js';
import { currentLang, LANGS, setLang, t, type Lang } from '../i18n/index.js';

const NAMES: Record<Lang, string> = { en: 'English', fr: 'Français' };

export function langSwitch(): HTMLElement {
  const id = `lang-${Math.random().toString(36).slice(2, 7)}`;
  const select = h(
    'select',
    { id, class: 'lang' },
    LANGS.map((l) => h('option', { value: l, lang: l, selected: l === currentLang() }, NAMES[l])),
  );
  select.addEventListener('change', () => setLang(select.value as Lang));
  return h('div', { class: 'lang-switch' }, h('label', { for: id }, t('language')), select);
}
