// The "Device" tab's disks card (issue 17 item 3): the disks the Pi sees, with what each one is to
// the drive (the SD card holding the system, the disk holding the storage, anything else); preparing
// a disk as the storage after typing its name; importing a USB stick into the workspace; exporting a
// workspace folder to a stick; ejecting. Each action is a job on the drive: the card polls it every
// second, with a progress bar, until it ends, then says how it ended and lists the disks again.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { fmtSize, t, type Key } from '../i18n/index.js';
import { confirmDialog, errorText, modal, promptDialog } from './dialogs.js';

// The wire shapes of /api/admin/disks (provisioning/helper/disks.ts's Disk, provisioning/disks-job.ts's
// JobProgress), restated: the web build does not compile the provisioning code.
export interface DiskPartition {
  path: string;
  fsType: string | null;
  label: string | null;
  sizeBytes: number;
  mountpoint: string | null;
}
export interface ListedDisk {
  path: string;
  name: string;
  model: string | null;
  displayName: string;
  sizeBytes: number;
  transport: 'usb' | 'nvme' | 'sata' | 'mmc' | null;
  removable: boolean;
  readOnly: boolean;
  partitions: DiskPartition[];
  role: 'storage' | 'system' | 'other';
}
export interface DiskJob {
  id: string;
  command: 'prepare' | 'import' | 'export' | 'eject';
  state: 'queued' | 'running' | 'done' | 'failed';
  step: string;
  target: string;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  skipped: string[];
  skippedCount: number;
  renamedCount: number;
  destination: string | null;
  note: string | null;
  error: { code: string; message: string } | null;
  startedAt: string;
  finishedAt: string | null;
  reconciled?: { added: number } | null;
}

/** What an import reads and an export writes (the helper decides; these only choose which buttons show). */
const IMPORTABLE = ['vfat', 'exfat', 'ntfs', 'ntfs3', 'ext4'];
const EXPORTABLE = ['vfat', 'exfat'];

const normalise = (s: string) => s.trim().replace(/\s+/g, ' ');

/** The same rule as the helper's, said before the drive is asked. */
export function folderProblem(v: string): string | null {
  const parts = v.split('/');
  if (v.trim() === '') return t('required');
  if (parts.length > 8 || parts.some((p) => p === '' || p === '.' || p === '..' || p.trim() !== p || /[\\\u0000-\u001f\u007f]/.test(p)))
    return t('disksFolderBad');
  return null;
}

function fsName(p: DiskPartition): string {
  const names: Record<string, string> = { vfat: 'FAT', exfat: 'exFAT', ntfs: 'NTFS', ntfs3: 'NTFS', ext4: 'ext4' };
  return p.fsType ? (names[p.fsType] ?? p.fsType) : t('disksNoFs');
}

export function disksCard(): { el: HTMLElement; stop: () => void } {
  const list = h('ul', { class: 'stack disks', id: 'disks-list' });
  const msg = h('p', { role: 'alert', class: 'error', id: 'disks-msg' });
  const bar = h('progress', { id: 'disks-progress', max: 1, value: 0, 'aria-label': t('disksProgress') });
  const jobText = h('p', { id: 'disks-job-text' });
  const jobBox = h('div', { class: 'stack notice-box', id: 'disks-job', role: 'status', hidden: true }, jobText, bar);
  const refresh = h('button', { type: 'button', class: 'btn', id: 'disks-refresh' }, t('disksRefresh'));
  let poll: number | undefined;
  let running: DiskJob | null = null;
  let stopped = false;

  const showJob = (j: DiskJob) => {
    jobBox.hidden = false;
    const target = j.target;
    if (j.state === 'queued' || j.state === 'running') {
      bar.hidden = false;
      // Bytes where there are some to count; otherwise the steps' indeterminate bar.
      if (j.bytesTotal > 0) {
        bar.max = j.bytesTotal;
        bar.value = j.bytesDone;
      } else bar.removeAttribute('value');
      const step = t(`disksStep_${j.step}` as Key);
      const count =
        j.bytesTotal > 0 ? ` ${t('disksCopied', { done: fmtSize(j.bytesDone), total: fmtSize(j.bytesTotal), files: j.filesDone, all: j.filesTotal })}` : '';
      jobText.textContent = `${t(`disksDoing_${j.command}` as Key, { target })} ${step.startsWith('disksStep_') ? '' : step}${count}`;
      return;
    }
    bar.hidden = true;
    if (j.state === 'failed') {
      jobText.textContent = t(`disksFailed_${j.command}` as Key, { target, why: j.error?.message ?? '' });
      return;
    }
    const lines = [t(`disksDone_${j.command}` as Key, { target, folder: j.destination ?? '', files: j.filesDone, size: fmtSize(j.bytesDone) })];
    if (j.skippedCount > 0) lines.push(t('disksSkipped', { n: j.skippedCount, list: j.skipped.slice(0, 5).join(', ') }));
    if (j.renamedCount > 0) lines.push(t('disksRenamed', { n: j.renamedCount }));
    if (j.note) lines.push(j.note);
    jobText.textContent = lines.join(' ');
  };

  const follow = (id: string) => {
    window.clearTimeout(poll);
    const tick = async () => {
      if (stopped) return;
      try {
        const j = await api<DiskJob>('GET', `/api/admin/disks/jobs/${encodeURIComponent(id)}`);
        running = j;
        showJob(j);
        if (j.state === 'queued' || j.state === 'running') poll = window.setTimeout(() => void tick(), 1000);
        else {
          running = null;
          void load();
        }
      } catch (err) {
        msg.textContent = errorText(err);
        poll = window.setTimeout(() => void tick(), 1000);
      }
    };
    void tick();
  };

  const start = async (path: string, body: unknown) => {
    const r = await api<{ id: string }>('POST', `/api/admin/disks/${path}`, body);
    msg.textContent = '';
    // The buttons are disabled until the job ends (the drive runs one at a time).
    running = { id: r.id, state: 'queued' } as DiskJob;
    follow(r.id);
    void load();
  };

  const prepareDialog = (d: ListedDisk) => {
    const input = h('input', { id: 'disks-confirm', autocomplete: 'off', autocapitalize: 'none', spellcheck: false, 'aria-describedby': 'disks-confirm-hint' });
    const error = h('p', { class: 'error', role: 'alert', id: 'disks-confirm-error' });
    const go = h('button', { type: 'submit', class: 'btn danger', id: 'disks-confirm-go', disabled: true }, t('disksPrepareGo'));
    const form = h(
      'form',
      { class: 'stack' },
      h('p', null, t('disksPrepareWarn', { size: fmtSize(d.sizeBytes) })),
      h('p', { id: 'disks-confirm-hint' }, t('disksPrepareType'), ' ', h('code', { id: 'disks-confirm-name' }, d.displayName)),
      h('label', { for: 'disks-confirm' }, t('disksPrepareLabel')),
      input,
      error,
      h('div', { class: 'dlg-actions' }, h('button', { type: 'button', class: 'btn', onclick: () => m.close() }, t('cancel')), go),
    );
    input.addEventListener('input', () => (go.disabled = normalise(input.value) !== normalise(d.displayName)));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (go.disabled) return;
      go.disabled = true;
      try {
        await start('prepare', { disk: d.path, confirm: input.value });
        m.close();
      } catch (err) {
        error.textContent = errorText(err);
        go.disabled = false;
      }
    });
    const m = modal(t('disksPrepareTitle', { name: d.displayName }), [form]);
    input.focus();
  };

  const importDialog = (d: ListedDisk, p: DiskPartition) =>
    promptDialog(t('disksImportTitle', { name: p.label ?? p.path }), t('disksImportLabel'), p.label ?? 'Import', {
      hint: t('disksImportHint'),
      confirmLabel: t('disksImportGo'),
      validate: folderProblem,
      submit: (folder) => start('import', { partition: p.path, folder: folder.trim() }),
    });

  const exportDialog = (d: ListedDisk, p: DiskPartition) =>
    promptDialog(t('disksExportTitle', { name: p.label ?? d.displayName }), t('disksExportLabel'), '', {
      hint: t('disksExportHint'),
      confirmLabel: t('disksExportGo'),
      validate: folderProblem,
      submit: (folder) => start('export', { partition: p.path, folder: folder.trim() }),
    });

  const ejectDisk = async (d: ListedDisk) => {
    if (!(await confirmDialog(t('disksEjectTitle', { name: d.displayName }), t('disksEjectWarn'), t('disksEject')))) return;
    try {
      await start('eject', { disk: d.path });
    } catch (err) {
      msg.textContent = errorText(err);
    }
  };

  const row = (d: ListedDisk) => {
    const busy = running !== null;
    const badge =
      d.role === 'storage'
        ? h('span', { class: 'badge disk-storage disk-role' }, t('disksRoleStorage'))
        : d.role === 'system'
          ? h('span', { class: 'badge disk-role' }, t('disksRoleSystem'))
          : null;
    const parts = d.partitions.map((p) => {
      const actions: HTMLElement[] = [];
      if (d.role === 'other' && !p.mountpoint && p.fsType && IMPORTABLE.includes(p.fsType))
        actions.push(h('button', { type: 'button', class: 'btn part-import', disabled: busy, onclick: () => importDialog(d, p) }, t('disksImport')));
      if (d.role === 'other' && !p.mountpoint && !d.readOnly && p.fsType && EXPORTABLE.includes(p.fsType))
        actions.push(h('button', { type: 'button', class: 'btn part-export', disabled: busy, onclick: () => exportDialog(d, p) }, t('disksExport')));
      return h(
        'li',
        { class: 'disk-part', 'data-path': p.path },
        h('span', { class: 'mono' }, p.path),
        ' · ',
        fsName(p),
        p.label ? ` · « ${p.label} »` : '',
        ` · ${fmtSize(p.sizeBytes)}`,
        p.mountpoint ? ` · ${t('disksMountedAt', { where: p.mountpoint })}` : '',
        actions.length ? h('div', { class: 'row-actions wrap' }, ...actions) : null,
      );
    });
    const diskActions: HTMLElement[] = [];
    if (d.role === 'other') {
      diskActions.push(h('button', { type: 'button', class: 'btn danger disk-prepare', disabled: busy, onclick: () => prepareDialog(d) }, t('disksPrepare')));
      if (/^\/dev\/sd[a-z]+$/.test(d.path))
        diskActions.push(h('button', { type: 'button', class: 'btn disk-eject', disabled: busy, onclick: () => void ejectDisk(d) }, t('disksEject')));
    }
    return h(
      'li',
      { class: 'stack disk', 'data-path': d.path, 'data-role': d.role },
      h('div', null, h('strong', { class: 'disk-name' }, d.model ?? d.path), ' ', badge),
      h(
        'p',
        { class: 'hint' },
        `${d.path} · ${fmtSize(d.sizeBytes)}${d.transport ? ` · ${d.transport.toUpperCase()}` : ''}${d.readOnly ? ` · ${t('disksReadOnly')}` : ''}`,
      ),
      parts.length ? h('ul', { class: 'disk-parts stack' }, ...parts) : h('p', { class: 'hint' }, t('disksBlank')),
      diskActions.length ? h('div', { class: 'row-actions wrap' }, ...diskActions) : null,
    );
  };

  const load = async () => {
    try {
      const r = await api<{ disks: ListedDisk[]; job: DiskJob | null }>('GET', '/api/admin/disks');
      msg.textContent = '';
      if (r.job && (r.job.state === 'queued' || r.job.state === 'running') && !running) {
        running = r.job;
        showJob(r.job);
        follow(r.job.id);
      }
      replace(list, ...(r.disks.length ? r.disks.map(row) : [h('li', { class: 'hint' }, t('disksNone'))]));
    } catch (err) {
      msg.textContent = errorText(err);
    }
  };
  refresh.addEventListener('click', () => void load());

  const el = h(
    'section',
    { class: 'card stack', 'aria-labelledby': 'disks-title', id: 'disks-card' },
    h('h3', { id: 'disks-title' }, t('disks')),
    h('p', { class: 'hint' }, t('disksHelp')),
    jobBox,
    msg,
    list,
    h('div', { class: 'row-actions wrap' }, refresh),
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
