// The page frame when logged in: skip link, header with the sections the role may use, banners, <main>.
import { hasContainer, hasTrash, isAdmin, type App } from '../app.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n/index.js';
import { noticeBanner } from './notice.js';

export function renderShell(root: HTMLElement, app: App): HTMLElement {
  const path = location.pathname;
  const link = (href: string, label: string, active: boolean) => h('a', { href, 'data-nav': '', 'aria-current': active ? 'page' : undefined }, label);
  const me = app.me!;
  const main = h('main', { id: 'main' });
  replace(
    root,
    h('a', { class: 'skip', href: '#main' }, t('skipToContent')),
    h(
      'header',
      { class: 'top' },
      h(
        'div',
        { class: 'bar' },
        h('a', { class: 'brand', href: '/files/workspace/', 'data-nav': '' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), t('appName')),
        h(
          'a',
          {
            class: 'me',
            href: '/account',
            'data-nav': '',
            'aria-current': path === '/account' ? 'page' : undefined,
            'aria-label': t('accountOf', { name: me.username }),
          },
          h('span', { class: 'avatar', 'aria-hidden': 'true' }, me.username.slice(0, 1).toUpperCase()),
          h('span', { class: 'me-name' }, me.username),
        ),
      ),
      h(
        'nav',
        { class: 'tabs', 'aria-label': t('sections') },
        link('/files/workspace/', t('navShared'), path.startsWith('/files/workspace')),
        hasContainer(me) ? link('/files/home/', t('navPrivate'), path.startsWith('/files/home')) : null,
        link('/handins', t('navHandins'), path === '/handins' || path.startsWith('/handins/')),
        hasTrash(me) ? link('/trash', t('trash'), path === '/trash') : null,
        isAdmin(me) ? link('/admin/users', t('navAdmin'), path.startsWith('/admin') || path.startsWith('/files/users/')) : null,
      ),
    ),
    noticeBanner(),
    app.storage === 'missing' ? h('p', { class: 'banner warn', role: 'status' }, t('storageMissing')) : null,
    main,
  );
  return main;
}
