// The account page: who I am, my quota, language, password change, logout.
import { api } from '../api.js';
import type { App } from '../app.js';
import { h, replace } from '../dom.js';
import { fmtDate, t } from '../i18n/index.js';
import { errorText } from './dialogs.js';
import { langSwitch } from './lang.js';
import { quotaMeter } from './quota.js';
import { linksSection } from './share.js';

export function renderAccount(main: HTMLElement, app: App): () => void {
  const me = app.me!;
  document.title = `${t('account')} · ${t('appName')}`;
  const cur = h('input', { id: 'pw-current', type: 'password', autocomplete: 'current-password', required: true });
  const next = h('input', { id: 'pw-new', type: 'password', autocomplete: 'new-password', required: true, minlength: 8, 'aria-describedby': 'pw-hint' });
  const again = h('input', { id: 'pw-again', type: 'password', autocomplete: 'new-password', required: true });
  const msg = h('p', { role: 'status', id: 'pw-msg' });
  const form = h(
    'form',
    { class: 'card stack', 'aria-labelledby': 'pw-title' },
    h('h2', { id: 'pw-title' }, t('changePassword')),
    h('label', { for: 'pw-current' }, t('currentPassword')),
    cur,
    h('label', { for: 'pw-new' }, t('newPassword')),
    next,
    h('p', { class: 'hint', id: 'pw-hint' }, t('passwordRule')),
    h('label', { for: 'pw-again' }, t('repeatPassword')),
    again,
    msg,
    h('button', { type: 'submit', class: 'btn primary' }, t('changePassword')),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.className = 'error';
    if (next.value !== again.value) {
      msg.textContent = t('passwordsDiffer');
      again.focus();
      return;
    }
    try {
      await api('POST', '/api/auth/password', { currentPassword: cur.value, newPassword: next.value });
      form.reset();
      msg.className = 'ok';
      msg.textContent = t('passwordChanged');
      if (me.mustChangePassword) {
        await app.refreshMe();
        app.navigate('/files/workspace/');
      }
    } catch (err) {
      msg.textContent = errorText(err);
    }
  });
  const logout = async () => {
    if (app.queue.active && !confirm(t('logoutDuringUpload'))) return;
    try {
      await api('POST', '/api/auth/logout');
    } catch {
      /* the session is gone either way */
    }
    app.me = null;
    app.navigate('/login', { replace: true });
  };
  replace(
    main,
    h('div', { class: 'title-row' }, h('h1', { tabindex: -1 }, t('account'))),
    me.mustChangePassword ? h('p', { class: 'banner warn', role: 'alert' }, t('chooseOwnPassword')) : null,
    me.mustChangePassword ? form : null,
    h(
      'section',
      { class: 'card stack' },
      h('p', null, t('loggedInAs', { name: me.username }), ' ', h('span', { class: `role role-${me.role}` }, t(`role_${me.role}`))),
      h('p', { class: 'hint' }, t(`roleHelp_${me.role}`)),
      quotaMeter(me),
      langSwitch(),
      h('button', { type: 'button', class: 'btn', onclick: logout }, t('logout')),
    ),
    me.mustChangePassword ? null : form,
    me.role !== 'user' && !me.mustChangePassword ? linksSection(me.role === 'admin') : null,
    me.mustChangePassword ? null : appPasswords(me.username),
  );
  return () => {};
}

interface AppPassword {
  id: number;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** Per-device passwords for WebDAV file managers: the list, revoke buttons, and a form that shows a new one once. */
function appPasswords(me: string): HTMLElement {
  const list = h('ul', { class: 'stack app-pw-list', id: 'app-pw-list' });
  const label = h('input', { id: 'app-pw-label', maxlength: 64, required: true, autocomplete: 'off' });
  const msg = h('div', { role: 'status', id: 'app-pw-msg' });
  const load = async () => {
    try {
      const { items } = await api<{ items: AppPassword[] }>('GET', '/api/auth/app-passwords');
      replace(
        list,
        ...items.map((p) =>
          h(
            'li',
            { class: 'app-pw-item' },
            h('span', null, h('strong', null, p.label), ' · ', p.lastUsedAt ? t('appPasswordUsed', { date: fmtDate(p.lastUsedAt) }) : t('appPasswordUnused')),
            h(
              'button',
              {
                type: 'button',
                class: 'btn',
                onclick: async () => {
                  await api('DELETE', `/api/auth/app-passwords/${p.id}`).catch((err) => (msg.textContent = errorText(err)));
                  await load();
                },
              },
              t('revoke'),
            ),
          ),
        ),
      );
    } catch (err) {
      msg.textContent = errorText(err);
    }
  };
  const form = h(
    'form',
    { class: 'card stack', 'aria-labelledby': 'app-pw-title' },
    h('h2', { id: 'app-pw-title' }, t('appPasswords')),
    h('p', { class: 'hint' }, t('appPasswordsHelp', { url: `${location.origin}/dav/` })),
    davAddresses(),
    list,
    h('label', { for: 'app-pw-label' }, t('appPasswordLabel')),
    label,
    msg,
    h('button', { type: 'submit', class: 'btn' }, t('appPasswordCreate')),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const made = await api<{ label: string; password: string }>('POST', '/api/auth/app-passwords', { label: label.value });
      msg.className = 'ok';
      // On a line of its own, unbroken, to be typed on the other device.
      replace(
        msg,
        h('p', null, t('appPasswordOnce', { label: made.label })),
        h('p', { class: 'app-pw-secret' }, h('code', null, made.password)),
        h('p', null, t('appPasswordUser', { name: me })),
      );
      label.value = '';
      await load();
    } catch (err) {
      msg.className = 'error';
      msg.textContent = errorText(err);
    }
  });
  void load();
  return form;
}

/**
 * The addresses each kind of file manager takes for the workspace (README, "Mount the drive on a
 * laptop"): Windows Explorer's UNC form (with @port off port 80), http:// for Finder and apps, dav://
 * for GNOME Files and Dolphin.
 */
function davAddresses(): HTMLElement {
  const { hostname, port, protocol } = location;
  const secure = protocol === 'https:';
  const hostPort = port ? `${hostname}:${port}` : hostname;
  const unc = `\\\\${hostname}${secure ? '@SSL' : ''}${port ? `@${port}` : ''}\\dav\\workspace`;
  const rows: [string, string][] = [
    [t('davClientWindows'), unc],
    [t('davClientMac'), `${location.origin}/dav/workspace/`],
    [t('davClientLinux'), `${secure ? 'davs' : 'dav'}://${hostPort}/dav/workspace/`],
    [t('davClientOther'), `${location.origin}/dav/workspace/`],
  ];
  return h(
    'dl',
    { class: 'dav-addresses', 'aria-label': t('davAddresses') },
    ...rows.flatMap(([client, address]) => [h('dt', null, client), h('dd', null, h('code', null, address))]),
  );
}
