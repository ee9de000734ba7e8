// Mount point of the admin health dashboard: loads its chunk (uPlot included) only when an admin opens it.
import 'uplot/dist/uPlot.min.css';
import { h, replace } from '../dom.js';
import { t } from '../i18n/index.js';
import { errorText } from './dialogs.js';

export function renderHealth(section: HTMLElement): () => void {
  let cleanup: (() => void) | null = null;
  let gone = false;
  replace(section, h('h2', null, t('health_title')), h('p', { class: 'muted', role: 'status' }, t('loading')));
  // The dashboard and its chart library are a separate chunk: nobody else downloads them.
  import('./health-dashboard.js').then(
    (m) => {
      if (!gone) cleanup = m.renderDashboard(section);
    },
    (err) => {
      if (!gone) replace(section, h('h2', null, t('health_title')), h('p', { class: 'error' }, errorText(err)));
    },
  );
  return () => {
    gone = true;
    cleanup?.();
  };
}
