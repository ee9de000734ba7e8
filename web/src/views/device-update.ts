// The "Device" tab's update card (issue 17 item 5): the running and previous versions; a signed bundle (.hcdb)
// uploaded with its progress, checked by the drive, then shown as "installed X → new Y, signed, N MB" before the
// admin installs it. While it installs the drive restarts: the card keeps asking until the outcome is known (the new
// version serving, or the previous one back by itself), and offers going back to the previous version.
import type { UpdateCheckResponse, UpdateOutcome, UpdateStatusResponse } from '../../../daemon/src/api-types.js';
import { api, ApiError, type ApiErrorCode } from '../api.js';
import { h, replace } from '../dom.js';
import { currentLang, t } from '../i18n/index.js';
import { confirmDialog, errorText } from './dialogs.js';

const POLL_MS = 3000;

/** POST /api/admin/update with the file as the body, reporting the upload's progress (fetch cannot). */
function upload(file: File, onProgress: (fraction: number) => void): Promise<UpdateCheckResponse> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/admin/update');
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'network'));
    xhr.onload = () => {
      let json: unknown = null;
      try {
        json = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        json = null;
      }
      if (xhr.status === 201) return resolve(json as UpdateCheckResponse);
      const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
      reject(new ApiError(xhr.status, (err?.code ?? `http_${xhr.status}`) as ApiErrorCode, err?.message ?? xhr.statusText));
    };
    xhr.send(file);
  });
}

function outcomeText(o: UpdateOutcome): string {
  const v = o.version ?? '?';
  if (o.outcome === 'installed') return o.action === 'rollback' ? t('updBackDone', { v }) : t('updInstalled', { v });
  if (o.outcome === 'rolled_back') return t('updRolledBack', { v, running: o.running ?? '?', why: o.error ?? '' });
  return t('updFailed', { why: o.error ?? '' });
}

export function updateCard(): { el: HTMLElement; stop: () => void } {
  const versions = h('p', { id: 'update-versions' });
  const file = h('input', { id: 'update-file', type: 'file', accept: '.hcdb' });
  const send = h('button', { type: 'button', class: 'btn', id: 'update-upload', disabled: true }, t('updUpload'));
  const progress = h('progress', { id: 'update-progress', max: 1, value: 0, hidden: true });
  const checked = h('div', { class: 'stack notice-box', id: 'update-checked', hidden: true });
  const state = h('p', { role: 'status', id: 'update-state' });
  const msg = h('p', { role: 'alert', class: 'error', id: 'update-msg' });
  const back = h('button', { type: 'button', class: 'btn', id: 'update-rollback', hidden: true }, t('updRollback'));
  const reload = h('button', { type: 'button', class: 'btn primary', id: 'update-reload', hidden: true, onclick: () => location.reload() }, t('updReload'));

  let status: UpdateStatusResponse | null = null;
  let poll: number | undefined;
  let stopped = false;
  /** The version the page was loaded with: once another one runs, the page should be reloaded. */
  let loadedWith: string | null | undefined;

  const show = (s: UpdateStatusResponse) => {
    status = s;
    loadedWith ??= s.running.version;
    versions.textContent =
      t('updRunning', { v: s.running.version ?? '?' }) + ' ' + (s.previous ? t('updPrevious', { v: s.previous.version ?? '?' }) : t('updNoPrevious'));
    const busy = s.pending !== null;
    back.hidden = !s.previous || busy;
    send.disabled = busy || !file.files?.length;
    file.disabled = busy;
    if (s.pending) {
      checked.hidden = true;
      state.textContent =
        s.pending.action === 'rollback' ? t('updPendingRollback', { v: s.pending.version ?? '?' }) : t('updPending', { v: s.pending.version ?? '?' });
    } else {
      state.textContent = s.last ? outcomeText(s.last) : '';
    }
    reload.hidden = busy || s.running.version === loadedWith;
  };

  const load = async (): Promise<void> => {
    try {
      show(await api<UpdateStatusResponse>('GET', '/api/admin/update'));
      msg.textContent = '';
    } catch (err) {
      // While the daemon restarts nothing answers: say so and keep asking.
      if (status?.pending && err instanceof ApiError && (err.code === 'network' || err.status >= 500)) state.textContent = t('updRestarting');
      else msg.textContent = errorText(err);
    }
    window.clearTimeout(poll);
    if (!stopped && status?.pending) poll = window.setTimeout(() => void load(), POLL_MS);
  };

  file.addEventListener('change', () => {
    checked.hidden = true;
    msg.textContent = '';
    send.disabled = !file.files?.length || status?.pending != null;
  });

  send.addEventListener('click', async () => {
    const f = file.files?.[0];
    if (!f) return;
    msg.textContent = '';
    checked.hidden = true;
    send.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    state.textContent = t('updUploading');
    try {
      const r = await upload(f, (x) => {
        progress.value = x;
        if (x >= 1) state.textContent = t('updChecking');
      });
      state.textContent = '';
      const install = h('button', { type: 'button', class: 'btn primary', id: 'update-install' }, t('updInstall'));
      install.addEventListener('click', async () => {
        const ok = await confirmDialog(t('updConfirmTitle', { v: r.manifest.version }), t('updConfirmText', { v: r.manifest.version }), t('updInstall'));
        if (!ok) return;
        install.disabled = true;
        try {
          await api('POST', '/api/admin/update/install', { id: r.id });
          checked.hidden = true;
          file.value = '';
          await load();
        } catch (err) {
          install.disabled = false;
          msg.textContent = errorText(err);
        }
      });
      replace(
        checked,
        h(
          'p',
          { id: 'update-summary' },
          t('updSummary', {
            from: r.running.version ?? '?',
            to: r.manifest.version,
            mb: (r.bytes / 1e6).toLocaleString(currentLang(), { maximumSignificantDigits: 3 }),
          }),
        ),
        h('div', { class: 'row-actions' }, install),
      );
      checked.hidden = false;
    } catch (err) {
      state.textContent = '';
      msg.textContent = errorText(err);
    } finally {
      progress.hidden = true;
      send.disabled = !file.files?.length;
    }
  });

  back.addEventListener('click', async () => {
    const v = status?.previous?.version ?? '?';
    if (!(await confirmDialog(t('updRollbackTitle', { v }), t('updRollbackText', { v }), t('updRollback')))) return;
    try {
      await api('POST', '/api/admin/update/rollback');
      await load();
    } catch (err) {
      msg.textContent = errorText(err);
    }
  });

  const el = h(
    'section',
    { class: 'card stack', 'aria-labelledby': 'update-title', id: 'update-card' },
    h('h3', { id: 'update-title' }, t('updTitle')),
    h('p', { class: 'hint' }, t('updHelp')),
    versions,
    h('div', { class: 'field' }, h('label', { for: 'update-file' }, t('updFile')), file),
    h('div', { class: 'row-actions wrap' }, send, back, reload),
    progress,
    checked,
    state,
    msg,
  );
  void load();
  return {
    el,
    stop: () => {
      stopped = true;
      window.clearTimeout(poll);
    },
  };
}
