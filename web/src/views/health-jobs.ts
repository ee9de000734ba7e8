// The scheduled jobs' table on the health dashboard: last run and its outcome, next run, and "run now".
import type { Coded, JobRunResponse, JobStatus } from '../../../daemon/src/api-types.js';
import { api } from '../api.js';
import { announce, h } from '../dom.js';
import { fmtDuration, fmtSize, t } from '../i18n/index.js';
import { errorText } from './dialogs.js';
import { tOr, when } from './health-format.js';
import { coded } from './health-messages.js';

/** A job's summary in the reader's language, from its coded phrases ("3 éléments de plus de 30 jours supprimés"). */
function summaryText(name: string, s: unknown, phrases: Coded[] | null | undefined): string {
  if (phrases && phrases.length > 0) return phrases.map((p) => coded(p, '')).join(' · ');
  // A summary the daemon did not code (an older daemon): its raw "key value" pairs.
  if (name === 'sample' || !s || typeof s !== 'object') return '';
  return Object.entries(s as Record<string, unknown>)
    .filter(([k, v]) => k !== 'at' && v !== null && typeof v !== 'object')
    .map(([k, v]) => `${k} ${typeof v === 'number' && /bytes$/i.test(k) ? fmtSize(v) : String(v)}`)
    .join(' · ')
    .slice(0, 160);
}

const duration = (ms: number | null) => (ms === null ? '' : ms < 1000 ? `${ms} ms` : fmtDuration(ms / 1000));

function outcomeBadge(j: JobStatus): HTMLElement {
  if (j.running || (j.lastRun && j.lastRun.outcome === null)) return h('span', { class: 'job-badge running' }, t('health_jobRunning'));
  if (!j.lastRun) return h('span', { class: 'job-badge never' }, t('health_jobNever'));
  return j.lastRun.outcome === 'ok' ? h('span', { class: 'job-badge ok' }, t('health_jobOk')) : h('span', { class: 'job-badge failed' }, t('health_jobFailed'));
}

/**
 * The table; `onRun` is called after a manual run finished (the dashboard reloads). On phones the
 * rows become stacked blocks whose cells carry their column name (styles.css, data-label).
 */
export function jobsTable(jobs: JobStatus[], onRun: (name: string, r: JobRunResponse | null) => void, status: HTMLElement): HTMLElement {
  const cols = [t('health_jobName'), t('health_jobLastRun'), t('health_jobOutcome'), t('health_jobNextRun'), t('actions')];
  const row = (j: JobStatus) => {
    const label = tOr(`health_job_${j.name.replace(/-/g, '_')}`, j.name);
    const desc = tOr(`health_jobDesc_${j.name.replace(/-/g, '_')}`, j.description);
    const btn = h(
      'button',
      { type: 'button', class: 'btn small', id: `job-run-${j.name}`, 'aria-label': t('health_runNowLabel', { job: label }), disabled: j.running },
      t('health_runNow'),
    );
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      btn.textContent = t('health_jobRunning');
      status.className = 'muted';
      status.textContent = t('health_jobStarted', { job: label });
      try {
        const r = await api<JobRunResponse>('POST', `/api/admin/health/jobs/${encodeURIComponent(j.name)}/run`);
        status.className = r.outcome === 'ok' ? 'ok' : 'error';
        status.textContent =
          r.outcome === 'ok'
            ? t('health_jobDone', { job: label, time: duration(r.durationMs) })
            : t('health_jobFailedMsg', { job: label, error: coded(r.errorCode, r.error ?? '') });
        announce(status.textContent);
        onRun(j.name, r);
      } catch (err) {
        status.className = 'error';
        status.textContent = errorText(err);
        announce(status.textContent);
        onRun(j.name, null);
      }
    });
    const last = j.lastRun;
    const summary = last ? summaryText(j.name, last.summary, last.summaryCode) : '';
    return h(
      'tr',
      { 'data-job': j.name },
      h('th', { scope: 'row', 'data-label': cols[0] }, h('span', { class: 'job-name' }, label), h('span', { class: 'job-desc' }, desc)),
      h(
        'td',
        { 'data-label': cols[1] },
        last ? [when(last.startedAt), last.trigger === 'manual' ? h('span', { class: 'job-desc' }, t('health_byHand')) : null] : '—',
      ),
      h(
        'td',
        { 'data-label': cols[2] },
        outcomeBadge(j),
        last?.durationMs !== null && last?.durationMs !== undefined ? h('span', { class: 'job-desc' }, duration(last.durationMs)) : null,
        last?.error ? h('span', { class: 'job-error' }, coded(last.errorCode, last.error)) : null,
        summary ? h('span', { class: 'job-desc job-summary' }, summary) : null,
        j.failures > 0 ? h('span', { class: 'job-desc' }, t('health_jobFailures', { n: j.failures, runs: j.runs })) : null,
      ),
      h('td', { 'data-label': cols[3] }, j.nextRunAt ? when(j.nextRunAt) : t('health_notScheduled')),
      h('td', { 'data-label': cols[4], class: 'job-action' }, btn),
    );
  };
  return h(
    'div',
    { class: 'table-wrap jobs-wrap' },
    h(
      'table',
      { class: 'jobs' },
      h('caption', { class: 'visually-hidden' }, t('health_jobs')),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          cols.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h('tbody', null, jobs.map(row)),
    ),
  );
}
