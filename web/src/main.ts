// Entry point: language, session, the page shell and the router.
import './styles.css';
import type { PublicHealth } from '../../daemon/src/api-types.js';
import { api, setUnauthorizedHandler } from './api.js';
import { loadMe, type App } from './app.js';
import { h, replace } from './dom.js';
import { currentLang, onLangChange, t } from './i18n/index.js';
import { TusTransport } from './upload/tus.js';
import { UploadQueue } from './upload/queue.js';
import { renderShell } from './views/shell.js';
import { renderLogin } from './views/login.js';
import { renderPortal } from './views/portal.js';
import { renderGuest } from './views/guest.js';
import { renderFiles } from './views/files.js';
import { renderTrash } from './views/trash.js';
import { renderAccount } from './views/account.js';
import { errorText } from './views/dialogs.js';
import { offerRestore } from './views/backups.js';
import { renderAdmin } from './views/admin.js';
import { renderHandins } from './views/handins.js';

const root = document.getElementById('app')!;
let cleanup: (() => void) | void;

const app: App = {
  me: null,
  // Resumable: a Wi-Fi drop or a locked phone costs the bytes in flight, not the whole file.
  queue: new UploadQueue(new TusTransport()),
  storage: 'mounted',
  navigate(path, opts = {}) {
    if (opts.replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
    app.render();
    window.scrollTo(0, 0);
  },
  async refreshMe() {
    app.me = await loadMe();
  },
  render() {
    if (typeof cleanup === 'function') cleanup();
    cleanup = undefined;
    document.documentElement.lang = currentLang();
    const path = location.pathname;
    if (path === '/portal' || path.startsWith('/portal/')) {
      document.title = t('portalTitle');
      cleanup = renderPortal(root, app);
      return;
    }
    // A guest link opens without logging in (the secret is the whole path: /s/<secret>).
    const guest = /^\/s\/([0-9A-Za-z-]+)\/?$/.exec(path);
    if (guest) {
      cleanup = renderGuest(root, guest[1]!);
      return;
    }
    if (!app.me) {
      document.title = `${t('login')} · ${t('appName')}`;
      cleanup = renderLogin(root, app);
      return;
    }
    // A password printed at the first start is replaced before anything else.
    if (app.me.mustChangePassword && path !== '/account') return app.navigate('/account', { replace: true });
    if (path === '/' || path === '/login' || path === '/files' || path === '/files/') return app.navigate('/files/workspace/', { replace: true });
    const main = renderShell(root, app);
    if (path.startsWith('/files/')) cleanup = renderFiles(main, app);
    else if (path === '/trash') cleanup = renderTrash(main, app);
    else if (path === '/account') cleanup = renderAccount(main, app);
    else if (path === '/handins' || path.startsWith('/handins/')) cleanup = renderHandins(main, app);
    else if (path.startsWith('/admin')) cleanup = renderAdmin(main, app);
    else {
      document.title = t('notFound');
      replace(main, h('h1', { tabindex: -1 }, t('notFound')), h('p', null, h('a', { href: '/files/workspace/', 'data-nav': '' }, t('backToFiles'))));
    }
    void offerRestore(app);
    // Moves focus to the new page's heading, so a screen reader announces where the user landed.
    main.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true });
  },
};

setUnauthorizedHandler(() => {
  if (!app.me) return;
  app.me = null;
  app.render();
});

// In-app links carry data-nav: handled here without a page load (modifier keys keep their meaning).
document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest?.('a[data-nav]') as HTMLAnchorElement | null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  app.navigate(a.getAttribute('href')!);
});
window.addEventListener('popstate', () => app.render());
// Leaving while uploads run would lose them: the browser asks first.
window.addEventListener('beforeunload', (e) => {
  if (app.queue.active) e.preventDefault();
});
onLangChange(() => app.render());

/**
 * A login card's QR code opens `/#card=<secret>`: the fragment never reaches a server log. It is taken
 * off the address at once (history, a shared screen), then exchanged for an ordinary session.
 */
async function cardLogin(): Promise<void> {
  const m = /^#card=([A-Za-z0-9_-]{1,200})$/.exec(location.hash);
  if (!m) return;
  history.replaceState(null, '', location.pathname + location.search);
  try {
    await api('POST', '/api/auth/card', { secret: m[1] });
  } catch (err) {
    app.loginMessage = errorText(err);
  }
}

async function start() {
  const path = location.pathname;
  if (!(path === '/portal' || path.startsWith('/portal/') || path.startsWith('/s/'))) {
    // The list comes first; the storage banner follows when /api/health answers (it rarely matters).
    let started = false;
    void api<PublicHealth>('GET', '/api/health')
      .then((health) => {
        if (health.storage === app.storage) return;
        app.storage = health.storage;
        if (started) app.render();
      })
      .catch(() => {});
    await cardLogin();
    await app.refreshMe();
    started = true;
  }
  app.render();
}
void start();
