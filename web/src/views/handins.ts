// Hand-in folders: the list (/handins), a member's page (instructions, hand a file in, receipts, withdraw)
// and an administrator's page (settings, close, delete, the roster with each person's files, the zip).
import type { GroupsResponse, HandinItem, HandinList, HandinRoster, RosterLine, Submission } from '../../../daemon/src/api-types.js';
import { ApiError, api } from '../api.js';
import { isAdmin, type App } from '../app.js';
import { announce, h, icon, replace } from '../dom.js';
import { fmtDate, fmtSize, t } from '../i18n/index.js';
import { confirmDialog, errorText, modal } from './dialogs.js';
import { clockIsOff, setClockButton } from './health-clock.js';
import { clockTime } from './health-format.js';

const base = (id: number) => `/api/handins/${id}`;
const fileUrl = (s: Submission, download: boolean) => `${base(s.handinId)}/submissions/${s.id}${download ? '?download=1' : ''}`;

export function renderHandins(main: HTMLElement, app: App): () => void {
  const m = /^\/handins\/(\d+)\/?$/.exec(location.pathname);
  if (m) return renderHandin(main, app, Number(m[1]));
  return renderList(main, app);
}

// ---- pieces shared by the pages ---------------------------------------------------------------

/** "Due 5 Dec 2026, 18:00 · Group: CM2 B", and the closed / past-deadline badges. */
function summary(it: HandinItem): HTMLElement {
  const parts = [
    it.deadline ? t('handinDue', { date: fmtDate(it.deadline) }) : t('handinNoDeadline'),
    it.groupMissing ? t('handinGroupMissing') : it.group ? t('handinGroupOf', { name: it.group.name }) : t('handinForEveryone'),
  ];
  return h(
    'span',
    { class: 'meta handin-meta' },
    parts.join(' · '),
    it.closed ? h('span', { class: 'badge handin-closed' }, t('handinClosed')) : null,
    !it.closed && it.pastDeadline ? h('span', { class: 'badge handin-past' }, t('handinPastDeadline')) : null,
  );
}

/** The drive's clock against this browser's: a warning with "set the clock" when they disagree (deadlines and receipts use the drive's). */
function clockWarning(nowIso: string, reload: () => void): HTMLElement | null {
  const offsetMs = Date.parse(nowIso) - Date.now();
  if (!clockIsOff({ offsetMs })) return null;
  const status = h('p', { role: 'status' });
  return h(
    'section',
    { class: 'clock-warning', id: 'handin-clock-warning', 'aria-labelledby': 'handin-clock-title' },
    h('h3', { id: 'handin-clock-title' }, t('handinClockTitle')),
    h('p', null, t('handinClockBody', { device: clockTime(Date.now() + offsetMs), browser: clockTime(Date.now()) })),
    setClockButton(true, status, reload),
    status,
  );
}

/** A submission's line: name, size, time by the drive's clock, receipt, late badge; `actions` beside it. */
function submissionRow(s: Submission, actions: (HTMLElement | null)[]): HTMLElement {
  return h(
    'li',
    { class: 'entry submission', 'data-receipt': s.receipt },
    h('span', { class: 'kind' }, icon('file')),
    h(
      'div',
      { class: 'entry-text' },
      h('span', { class: 'name' }, s.name),
      h(
        'span',
        { class: 'meta' },
        `${fmtSize(s.size)} · ${clockTime(Date.parse(s.submittedAt))} · `,
        h('span', { class: 'receipt-code' }, t('handinReceipt', { code: s.receipt })),
        s.late ? h('span', { class: 'badge late' }, t('handinLate')) : null,
      ),
    ),
    h('div', { class: 'entry-actions' }, actions),
  );
}

const downloadLink = (s: Submission) =>
  h('a', { class: 'icon-btn', href: fileUrl(s, true), download: s.name, 'aria-label': t('handinDownloadFile', { name: s.name }) }, icon('download'));

/** The create / edit form, in a dialog; `done` gets the saved hand-in. */
async function openForm(existing: HandinItem | null, done: (it: HandinItem) => void): Promise<void> {
  const title = h('input', { id: 'handin-title', type: 'text', required: true, maxlength: 200, value: existing?.title ?? '' });
  const instructions = h('textarea', { id: 'handin-instructions', rows: 4, maxlength: 4000 });
  instructions.value = existing?.instructions ?? '';
  const deadline = h('input', {
    id: 'handin-deadline',
    type: 'datetime-local',
    'aria-describedby': 'handin-deadline-hint',
    value: localInput(existing?.deadline ?? null),
  });
  const group = h('select', { id: 'handin-group' }, h('option', { value: '' }, t('handinEveryone')));
  const error = h('p', { class: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn primary wide' }, existing ? t('save') : t('handinCreate'));
  const form = h(
    'form',
    { class: 'stack handin-form' },
    h('label', { for: 'handin-title' }, t('handinTitleLabel')),
    title,
    h('label', { for: 'handin-instructions' }, t('handinInstructions')),
    instructions,
    h('label', { for: 'handin-deadline' }, t('handinDeadline')),
    deadline,
    h('p', { class: 'hint', id: 'handin-deadline-hint' }, t('handinDeadlineHint')),
    h('label', { for: 'handin-group' }, t('handinGroup')),
    group,
    error,
    submit,
  );
  const dlg = modal(existing ? t('handinEditTitle', { title: existing.title }) : t('handinNew'), [form], { wide: true });
  title.focus();
  try {
    const { groups } = await api<GroupsResponse>('GET', '/api/admin/groups');
    for (const g of groups) group.append(h('option', { value: String(g.id), selected: existing?.group?.id === g.id }, `${g.name} (${g.members})`));
  } catch (err) {
    error.textContent = errorText(err);
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    if (!title.value.trim()) {
      error.textContent = t('required');
      title.focus();
      return;
    }
    const body = {
      title: title.value.trim(),
      instructions: instructions.value,
      deadline: deadline.value ? new Date(deadline.value).toISOString() : null,
      groupId: group.value ? Number(group.value) : null,
    };
    submit.disabled = true;
    try {
      const saved = existing ? await api<HandinItem>('PATCH', base(existing.id), body) : await api<HandinItem>('POST', '/api/handins', body);
      dlg.close();
      done(saved);
    } catch (err) {
      error.textContent = errorText(err);
      submit.disabled = false;
    }
  });
}

/** An ISO time as a datetime-local input's value, in this browser's time zone. */
function localInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

// ---- the list ------------------------------------------------------------------------------------

function renderList(main: HTMLElement, app: App): () => void {
  document.title = `${t('handinsTitle')} · ${t('appName')}`;
  const admin = isAdmin(app.me);
  const status = h('p', { class: 'muted', role: 'status' }, t('loading'));
  const warning = h('div');
  const list = h('ul', { class: 'entries handins' });
  replace(
    main,
    h(
      'div',
      { class: 'title-row' },
      h('h1', { tabindex: -1 }, t('handinsTitle')),
      admin
        ? h(
            'button',
            { type: 'button', class: 'btn primary', onclick: () => void openForm(null, (it) => app.navigate(`/handins/${it.id}`)) },
            icon('plus'),
            t('handinNew'),
          )
        : null,
    ),
    warning,
    status,
    list,
  );
  const load = async () => {
    try {
      const r = await api<HandinList>('GET', '/api/handins');
      if (admin)
        replace(
          warning,
          clockWarning(r.now, () => void load()),
        );
      status.textContent = r.handins.length ? '' : admin ? t('handinsNoneAdmin') : t('handinsNone');
      replace(
        list,
        r.handins.map((it) =>
          h(
            'li',
            { class: 'entry handin', 'data-id': String(it.id) },
            h('span', { class: 'kind' }, icon('upload')),
            h(
              'div',
              { class: 'entry-text' },
              h('a', { class: 'name', href: `/handins/${it.id}`, 'data-nav': '' }, it.title),
              summary(it),
              h('span', { class: 'meta' }, it.submitters !== null ? t('handinSubmitters', { n: it.submitters }) : t('handinMineCount', { n: it.mine.length })),
            ),
          ),
        ),
      );
    } catch (err) {
      status.textContent = errorText(err);
    }
  };
  void load();
  return () => {};
}

// ---- one hand-in ---------------------------------------------------------------------------------

function renderHandin(main: HTMLElement, app: App, id: number): () => void {
  const admin = isAdmin(app.me);
  const status = h('p', { class: 'muted', role: 'status' }, t('loading'));
  const body = h('div', { class: 'handin-page' });
  replace(main, h('p', null, h('a', { href: '/handins', 'data-nav': '' }, `← ${t('handinBack')}`)), body, status);
  let alive = true;
  let focused = false;

  const load = async () => {
    try {
      if (admin) {
        const r = await api<HandinRoster>('GET', `${base(id)}/roster`);
        if (alive) showAdmin(r);
      } else {
        const it = await api<HandinItem>('GET', base(id));
        if (alive) showMember(it);
      }
      status.textContent = '';
      // The heading arrives with the data: focus it once, as the router does for pages drawn at once.
      if (!focused) body.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true });
      focused = true;
    } catch (err) {
      status.textContent = errorText(err);
      if (err instanceof ApiError && err.status === 404) replace(body, h('h1', { tabindex: -1 }, t('notFound')));
    }
  };

  const head = (it: HandinItem) => {
    document.title = `${it.title} · ${t('appName')}`;
    return [h('h1', { tabindex: -1 }, it.title), h('p', null, summary(it)), it.instructions ? h('p', { class: 'handin-instructions' }, it.instructions) : null];
  };

  // ---- a member: hand files in, see one's receipts, withdraw until the deadline ----
  const receiptBox = h('div', { class: 'receipts', 'aria-live': 'polite' });
  function showMember(it: HandinItem) {
    const picker = h('input', { id: 'handin-file', type: 'file', multiple: true, class: 'visually-hidden' });
    const progress = h('p', { class: 'muted', role: 'status' });
    picker.addEventListener('change', () => {
      const files = [...(picker.files ?? [])];
      picker.value = '';
      void sendAll(it, files, progress);
    });
    const mine = h(
      'ul',
      { class: 'entries mine' },
      it.mine.map((s) => submissionRow(s, [downloadLink(s), it.canWithdraw ? withdrawButton(s) : null])),
    );
    replace(
      body,
      ...head(it),
      it.canSubmit
        ? h(
            'section',
            { class: 'card stack handin-send', 'aria-labelledby': 'handin-send-title' },
            h('h2', { id: 'handin-send-title', class: 'visually-hidden' }, t('handinPick')),
            h(
              'label',
              { for: 'handin-file', class: 'btn primary wide', role: 'button', tabindex: 0, onkeydown: keyClick(picker) },
              icon('upload'),
              t('handinPick'),
            ),
            picker,
            h('p', { class: 'hint' }, t('handinPickHint')),
            it.pastDeadline ? h('p', { class: 'hint late-hint' }, t('handinLockedHint')) : null,
            progress,
          )
        : h('p', { class: 'banner info' }, it.closed ? t('handinClosedHint') : t('handinGroupMissing')),
      receiptBox,
      h('h2', null, t('handinMyFiles')),
      h('p', { class: 'muted' }, t('handinMineCount', { n: it.mine.length })),
      mine,
    );
  }

  const keyClick = (input: HTMLInputElement) => (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      input.click();
    }
  };

  async function sendAll(it: HandinItem, files: File[], progress: HTMLElement) {
    for (const f of files) {
      try {
        const s = await send(it, f, '', progress);
        if (s) showReceipt(s);
      } catch (err) {
        progress.className = 'error';
        progress.textContent = `${f.name}: ${errorText(err)}`;
        announce(progress.textContent);
        await load();
        return;
      }
    }
    progress.textContent = '';
    await load();
  }

  /** One file; a name already handed in is replaced (asked first) before the deadline, kept beside it after. */
  async function send(it: HandinItem, f: File, query: string, progress: HTMLElement): Promise<Submission | null> {
    progress.className = 'muted';
    try {
      return await putFile(`${base(it.id)}/files/${encodeURIComponent(f.name)}${query}`, f, (p) => {
        progress.textContent = t('handinSending', { name: f.name, percent: Math.floor(p * 100) });
      });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'exists') || query) throw err;
      if (!it.canWithdraw) return send(it, f, '?rename=1', progress);
      if (!(await confirmDialog(t('handinReplaceTitle', { name: f.name }), t('handinReplaceBody'), t('handinReplace')))) return null;
      return send(it, f, '?overwrite=1', progress);
    }
  }

  function showReceipt(s: Submission) {
    receiptBox.prepend(
      h(
        'section',
        { class: 'card receipt', 'aria-label': t('handinReceipt', { code: s.receipt }) },
        h('p', { class: 'ok' }, t('handinReceiptTitle')),
        h('p', { class: 'receipt-big' }, s.receipt),
        h(
          'p',
          null,
          h('strong', null, s.name),
          ` · ${fmtSize(s.size)} · ${clockTime(Date.parse(s.submittedAt))}`,
          s.late ? h('span', { class: 'badge late' }, t('handinLate')) : null,
        ),
      ),
    );
    announce(`${t('handinReceiptTitle')} ${s.receipt}`);
  }

  const withdrawButton = (s: Submission) =>
    h(
      'button',
      {
        type: 'button',
        class: 'btn small danger',
        'aria-label': `${t('handinWithdraw')} ${s.name}`,
        onclick: async () => {
          if (!(await confirmDialog(t('handinWithdrawTitle', { name: s.name }), t('handinWithdrawBody'), t('handinWithdraw'), true))) return;
          try {
            await api('DELETE', `${base(s.handinId)}/submissions/${s.id}`);
            status.textContent = t('handinWithdrawn', { name: s.name });
            announce(status.textContent);
          } catch (err) {
            status.textContent = errorText(err);
          }
          await load();
        },
      },
      t('handinWithdraw'),
    );

  // ---- an administrator: settings, the roster, the zip ----
  function showAdmin(r: HandinRoster) {
    const it = r.handin;
    const done = r.lines.filter((l) => l.member && l.submissions.length > 0).length;
    const members = r.lines.filter((l) => l.member).length;
    const patch = async (change: Record<string, unknown>) => {
      try {
        await api('PATCH', base(id), change);
      } catch (err) {
        status.textContent = errorText(err);
      }
      await load();
    };
    const remove = async () => {
      const n = it.files ?? 0;
      if (!(await confirmDialog(t('handinDeleteTitle', { title: it.title }), t('handinDeleteBody', { n }), t('delete'), true))) return;
      try {
        await api('DELETE', base(id));
        app.navigate('/handins');
      } catch (err) {
        status.textContent = errorText(err);
      }
    };
    replace(
      body,
      clockWarning(r.now, () => void load()),
      ...head(it),
      h(
        'div',
        { class: 'toolbar handin-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => void openForm(it, () => void load()) }, t('handinEdit')),
        h('button', { type: 'button', class: 'btn', onclick: () => void patch({ closed: !it.closed }) }, it.closed ? t('handinReopen') : t('handinClose')),
        h('a', { class: 'btn', href: `${base(id)}/zip`, download: '' }, icon('zip'), t('handinDownloadAll')),
        h('button', { type: 'button', class: 'btn danger', onclick: () => void remove() }, t('delete')),
      ),
      h('h2', null, t('handinRoster')),
      h(
        'p',
        { class: 'muted', id: 'handin-count' },
        it.group ? t('handinOfRoster', { done, total: members }) : t('handinSubmitters', { n: it.submitters ?? 0 }),
      ),
      h('ul', { class: 'roster' }, r.lines.map(rosterLine)),
    );
  }

  function rosterLine(l: RosterLine): HTMLElement {
    return h(
      'li',
      { class: `card roster-line${l.submissions.length ? '' : ' nothing'}`, 'data-user': l.username },
      h(
        'div',
        { class: 'roster-head' },
        h('h3', null, l.displayName ?? l.username),
        l.displayName ? h('span', { class: 'muted' }, l.username) : null,
        l.member ? null : h('span', { class: 'badge' }, t('handinNotMember')),
      ),
      l.submissions.length
        ? h(
            'ul',
            { class: 'entries' },
            l.submissions.map((s) =>
              submissionRow(s, [
                h(
                  'a',
                  { class: 'btn small', href: fileUrl(s, false), target: '_blank', rel: 'noopener', 'aria-label': t('handinOpenFile', { name: s.name }) },
                  t('open'),
                ),
                downloadLink(s),
              ]),
            ),
          )
        : h('p', { class: 'muted nothing-yet' }, t('handinNothingYet')),
    );
  }

  void load();
  return () => {
    alive = false;
  };
}

/** PUT with upload progress (fetch reports none); the contract's error body becomes an ApiError. */
function putFile(url: string, file: File, onProgress: (fraction: number) => void): Promise<Submission> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'network'));
    xhr.onload = () => {
      let json: unknown = null;
      try {
        json = JSON.parse(xhr.responseText);
      } catch {
        json = null;
      }
      if (xhr.status === 201) return resolve(json as Submission);
      const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
      reject(new ApiError(xhr.status, (err?.code as ApiError['code']) ?? `http_${xhr.status}`, err?.message ?? xhr.statusText));
    };
    onProgress(0);
    xhr.send(file);
  });
}
