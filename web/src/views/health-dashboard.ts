// The admin health dashboard (a lazily loaded chunk): alerts, the device's clock, readings now, history charts, scheduled jobs.
import type { Alert, HealthNow } from '../../../daemon/src/api-types.js';
import { api } from '../api.js';
import { noticeText } from './notice.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n/index.js';
import { errorText } from './dialogs.js';
import { clockParts, clockIsOff, type ClockState } from './health-clock.js';
import { celsius, clockTime, pct, when } from './health-format.js';
import { historySection } from './health-history.js';
import { jobsTable } from './health-jobs.js';
import { cpuCard, powerCard, storageCard, systemCard, wifiCard } from './health-readings.js';

// Readings change once a minute (the sampler's pace); each refresh makes the Pi read every sensor.
const REFRESH_MS = 60_000;
const HISTORY_REFRESH_MS = 5 * 60_000;

/** An alert in the reader's language (by its key and value); the daemon's English text otherwise. */
function alertText(a: Alert): string {
  const v = a.value;
  switch (a.key) {
    case 'ssd_missing':
      return t('health_alert_ssd_missing');
    case 'disk_full:data':
      return v === null ? a.message : t('health_alert_disk_data', { pct: pct(v, 0) });
    case 'disk_full:root':
      return v === null ? a.message : t('health_alert_disk_root', { pct: pct(v, 0) });
    case 'battery_low':
      return v === null ? a.message : t(a.severity === 'critical' ? 'health_alert_battery_critical' : 'health_alert_battery_low', { pct: pct(v, 0) });
    case 'under_voltage':
      return t(a.severity === 'critical' ? 'health_alert_uv_now' : 'health_alert_uv_boot');
    case 'throttled':
      return t('health_alert_throttled');
    case 'wifi_clients': {
      const max = /about (\d+)/.exec(a.message)?.[1];
      return v === null || !max ? a.message : t(a.severity === 'critical' ? 'health_alert_wifi_full' : 'health_alert_wifi_near', { n: v, max: Number(max) });
    }
    case 'cpu_hot':
      return v === null ? a.message : t('health_alert_cpu_hot', { temp: celsius(v) });
    default:
      return a.message;
  }
}

/** Active alerts and the public notice; the all-clear line only when nothing else (the clock) is wrong either. */
function banners(n: HealthNow, clockOff: boolean): HTMLElement | null {
  const items: HTMLElement[] = [];
  if (n.notice) {
    items.push(h('li', { class: 'hbanner critical', 'data-alert': n.notice.code }, h('strong', null, t('health_notice')), ' ', noticeText(n.notice)));
  }
  for (const a of n.alerts) {
    items.push(
      h(
        'li',
        { class: `hbanner ${a.severity}`, 'data-alert': a.key },
        h('strong', null, a.severity === 'critical' ? t('health_critical') : t('health_warning')),
        ' ',
        alertText(a),
        ' ',
        h('span', { class: 'since' }, t('health_since', { time: when(a.raisedAt) })),
      ),
    );
  }
  if (items.length === 0 && clockOff) return null;
  return h(
    'section',
    { class: 'health-alerts', 'aria-label': t('health_alerts') },
    items.length ? h('ul', { class: 'hbanners' }, items) : h('p', { class: 'hbanner none', id: 'no-alerts' }, t('health_noAlerts')),
  );
}

function recentAlerts(n: HealthNow): HTMLElement | null {
  if (n.recentAlerts.length === 0) return null;
  return h(
    'details',
    { class: 'card recent-alerts' },
    h('summary', null, t('health_recentAlerts', { n: n.recentAlerts.length })),
    h(
      'ul',
      null,
      n.recentAlerts.map((a) =>
        h(
          'li',
          null,
          h(
            'span',
            { class: `job-badge ${a.severity === 'critical' ? 'failed' : 'warn'}` },
            a.severity === 'critical' ? t('health_critical') : t('health_warning'),
          ),
          ' ',
          alertText(a),
          ' ',
          h('span', { class: 'since' }, t('health_fromTo', { from: when(a.raisedAt), to: a.clearedAt ? when(a.clearedAt) : '' })),
        ),
      ),
    ),
  );
}

export function renderDashboard(section: HTMLElement): () => void {
  let now: HealthNow | null = null;
  let clock: ClockState = { offsetMs: 0 };
  let tick: () => void = () => {};
  let gone = false;
  let loading = false;
  let refocus: string | null = null;

  // These survive each refresh: messages stay readable and focus is not lost.
  const status = h('p', { role: 'status', class: 'muted', id: 'health-status' });
  const updated = h('span', { class: 'muted updated' });
  const refreshBtn = h('button', { type: 'button', class: 'btn small', id: 'health-refresh' }, t('health_refresh'));
  const top = h('div', { class: 'health-top' });
  const grid = h('div', { class: 'health-grid' });
  const jobsBox = h('div');
  const jobStatus = h('p', { role: 'status', class: 'muted', id: 'job-status' });
  const history = historySection(() => now);

  replace(
    section,
    h('div', { class: 'section-head health-head' }, h('h2', null, t('health_title')), h('div', { class: 'head-actions' }, updated, refreshBtn)),
    status,
    top,
    grid,
    history.el,
    h('section', { class: 'health-jobs', 'aria-labelledby': 'hj-title' }, h('h3', { id: 'hj-title' }, t('health_jobs')), jobStatus, jobsBox),
  );

  async function load(): Promise<void> {
    if (loading || gone) return;
    loading = true;
    refreshBtn.disabled = true;
    try {
      const r = await api<HealthNow>('GET', '/api/admin/health');
      // The answer's clock is read right before it is sent: compare it with when it arrived.
      const arrived = Date.now();
      if (gone) return;
      now = r;
      clock = { offsetMs: Date.parse(r.clock.now) - arrived };
      render(r);
    } catch (err) {
      if (!gone) {
        status.className = 'error';
        status.textContent = errorText(err);
      }
    } finally {
      loading = false;
      refreshBtn.disabled = false;
    }
  }

  function render(n: HealthNow) {
    const focused = document.activeElement?.id;
    const c = clockParts(clock, status, () => void load());
    tick = c.tick;
    replace(top, banners(n, clockIsOff(clock)), c.warning, recentAlerts(n));
    replace(grid, powerCard(n), wifiCard(n), cpuCard(n), storageCard(n), systemCard(n), c.card);
    replace(
      jobsBox,
      jobsTable(
        n.jobs,
        (name) => {
          refocus = `job-run-${name}`;
          void load();
          if (name === 'sample' || name === 'rollup') void history.load();
        },
        jobStatus,
      ),
    );
    updated.textContent = t('health_updated', { time: clockTime(Date.parse(n.at)) });
    // A refresh rebuilds the cards: give focus back to the same control (or to the job button just used).
    const back = refocus ?? focused;
    refocus = null;
    if (back && (document.activeElement === document.body || document.activeElement === null)) document.getElementById(back)?.focus({ preventScroll: true });
  }

  refreshBtn.addEventListener('click', () => {
    void load();
    void history.load();
  });

  void load().then(() => history.load());
  const every = setInterval(() => {
    if (!document.hidden) void load();
  }, REFRESH_MS);
  const everyHistory = setInterval(() => {
    if (!document.hidden) void history.load();
  }, HISTORY_REFRESH_MS);
  const seconds = setInterval(() => tick(), 1000);
  return () => {
    gone = true;
    clearInterval(every);
    clearInterval(everyHistory);
    clearInterval(seconds);
    history.destroy();
  };
}
