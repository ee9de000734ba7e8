// Modal dialogs on <dialog>: the browser traps focus, Esc closes, and focus returns where it was.
import { ApiError } from '../api.js';
import { h, icon, type Child } from '../dom.js';
import { t, type Key } from '../i18n/index.js';

export function modal(title: string, body: Child[], opts: { wide?: boolean; onClose?: () => void } = {}): { dialog: HTMLDialogElement; close: () => void } {
  const back = document.activeElement as HTMLElement | null;
  const dialog = h('dialog', { class: opts.wide ? 'wide' : undefined, 'aria-labelledby': 'dlg-title' });
  const close = () => dialog.close();
  dialog.append(
    h(
      'header',
      { class: 'dlg-head' },
      h('h2', { id: 'dlg-title' }, title),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('close'), onclick: close }, icon('close')),
    ),
    h('div', { class: 'dlg-body' }, body),
  );
  dialog.addEventListener('close', () => {
    dialog.remove();
    opts.onClose?.();
    back?.focus?.();
  });
  // A click on the backdrop (outside the box) closes, as people expect on phones.
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) close();
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, close };
}

export function confirmDialog(title: string, message: string, confirmLabel: string, danger = false): Promise<boolean> {
  return new Promise((resolve) => {
    let ok = false;
    const m = modal(
      title,
      [
        h('p', null, message),
        h(
          'div',
          { class: 'dlg-actions' },
          h('button', { type: 'button', class: 'btn', onclick: () => m.close() }, t('cancel')),
          h('button', { type: 'button', class: danger ? 'btn danger' : 'btn primary', onclick: () => ((ok = true), m.close()) }, confirmLabel),
        ),
      ],
      { onClose: () => resolve(ok) },
    );
    m.dialog.querySelector<HTMLButtonElement>('.dlg-actions .btn:last-child')?.focus();
  });
}

export interface PromptOptions {
  type?: string;
  hint?: string;
  confirmLabel?: string;
  autocomplete?: string;
  /** Returns an error message, or null when the value is fine. */
  validate?: (v: string) => string | null;
  /** Runs the action; a thrown ApiError is shown in the dialog, which then stays open. */
  submit: (v: string) => Promise<void>;
}

export function promptDialog(title: string, label: string, value: string, opts: PromptOptions): void {
  const input = h('input', {
    id: 'dlg-input',
    type: opts.type ?? 'text',
    value,
    required: true,
    autocomplete: opts.autocomplete ?? 'off',
    'aria-describedby': 'dlg-hint dlg-error',
  });
  const error = h('p', { id: 'dlg-error', class: 'error', role: 'alert' });
  const submitBtn = h('button', { type: 'submit', class: 'btn primary' }, opts.confirmLabel ?? t('save'));
  const form = h(
    'form',
    { class: 'stack' },
    h('label', { for: 'dlg-input' }, label),
    input,
    opts.hint ? h('p', { id: 'dlg-hint', class: 'hint' }, opts.hint) : null,
    error,
    h('div', { class: 'dlg-actions' }, h('button', { type: 'button', class: 'btn', onclick: () => m.close() }, t('cancel')), submitBtn),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = input.value.trim() === '' ? '' : input.value;
    const problem = opts.validate?.(v) ?? (v === '' ? t('required') : null);
    if (problem) {
      error.textContent = problem;
      input.focus();
      return;
    }
    submitBtn.disabled = true;
    try {
      await opts.submit(v);
      m.close();
    } catch (err) {
      error.textContent = errorText(err);
      submitBtn.disabled = false;
      input.focus();
    }
  });
  const m = modal(title, [form]);
  input.focus();
  // Select the name without its extension, as file managers do for a rename.
  const dot = value.lastIndexOf('.');
  input.setSelectionRange(0, dot > 0 ? dot : value.length);
}

/** A translated sentence for an API or upload error; the server's own message when we have none. */
export function errorText(err: unknown): string {
  const e = err as { code?: string; message?: string; retryAfter?: number };
  if (err instanceof ApiError && err.code === 'too_many_attempts') return t('err_too_many_attempts', { n: err.retryAfter ?? 30 });
  const key = `err_${e?.code ?? 'unknown'}` as Key;
  const s = t(key, { message: e?.message ?? '' });
  if (s !== key && s !== undefined) return s;
  return e?.message && e.message !== e.code ? e.message : t('err_unknown');
}
