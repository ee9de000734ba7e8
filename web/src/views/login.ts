// The login page.
import { api, ApiError } from '../api.js';
import type { App } from '../app.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n/index.js';
import { errorText } from './dialogs.js';
import { langSwitch } from './lang.js';

export function renderLogin(root: HTMLElement, app: App): void {
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true });
  const pass = h('input', { id: 'login-pass', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error', role: 'alert', id: 'login-error' });
  const submit = h('button', { type: 'submit', class: 'btn primary wide' }, t('login'));
  const form = h(
    'form',
    { class: 'card stack login', 'aria-describedby': 'login-error' },
    h('h1', { tabindex: -1 }, t('appName')),
    h('p', { class: 'muted' }, t('loginIntro')),
    h('label', { for: 'login-user' }, t('username')),
    user,
    h('label', { for: 'login-pass' }, t('password')),
    pass,
    error,
    submit,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    try {
      await api('POST', '/api/auth/login', { username: user.value.trim(), password: pass.value });
      await app.refreshMe();
      const p = location.pathname;
      app.navigate(p.startsWith('/files/') || p === '/trash' || p === '/account' || p.startsWith('/admin') ? p : '/files/workspace/', { replace: true });
    } catch (err) {
      error.textContent = err instanceof ApiError && err.status === 401 ? t('err_invalid_credentials') : errorText(err);
      submit.disabled = false;
      pass.select();
    }
  });
  if (app.loginMessage) {
    error.textContent = app.loginMessage;
    app.loginMessage = null;
  }
  replace(root, h('main', { id: 'main', class: 'center' }, form, h('div', { class: 'login-foot' }, langSwitch())));
  user.focus();
}
