// Mount point of the admin health dashboard; the health work replaces this module's body.
import { h, replace } from '../dom.js';
import { t } from '../i18n/index.js';

export function renderHealth(section: HTMLElement): () => void {
  replace(section, h('h2', null, t('health')), h('p', { class: 'muted', id: 'health-coming' }, t('healthComing')));
  return () => {};
}
