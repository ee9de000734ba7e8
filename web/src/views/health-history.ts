// The health dashboard's history: 24 h (minute samples) or 7 days (hourly averages) charts, each with a text summary.
import type { Coded, HealthNow, History, HistoryRange, Metric } from '../../../daemon/src/api-types.js';
import { api } from '../api.js';
import { extremes, timeChart, type Chart } from '../charts.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n/index.js';
import { errorText } from './dialogs.js';
import { axisTime, celsius, pct, when } from './health-format.js';
import { reasonText } from './health-messages.js';

/** An unknown reading's reason in the reader's language; null when the reading is known. */
const why = (r: { value: unknown; reason?: string; reasonCode?: Coded }): string | null => (r.value === null ? reasonText(r) : null);

interface Line {
  metric: Metric;
  label: () => string;
  color: string;
  dash?: number[];
}

interface ChartDef {
  id: string;
  title: () => string;
  lines: Line[];
  fmt: (v: number) => string;
  yRange?: [number, number];
  /** Why the metric has no data, from the reading now (e.g. no sensor). */
  reason: (n: HealthNow) => string | null;
}

// Colours: 4.5:1 or better on white, and told apart by the legend's text, not by colour alone.
const BLUE = '#1f55c9';
const GREEN = '#11795f';
const ORANGE = '#b45309';
const RED = '#b42318';

const CHARTS: ChartDef[] = [
  {
    id: 'temp',
    title: () => t('health_chartTemp'),
    lines: [{ metric: 'cpu_temp', label: () => t('health_temperature'), color: RED }],
    fmt: (v) => celsius(v),
    reason: (n) => why(n.cpu.temperatureC),
  },
  {
    id: 'cpu',
    title: () => t('health_chartCpuMem'),
    lines: [
      { metric: 'cpu_pct', label: () => t('health_cpuUse'), color: BLUE },
      { metric: 'mem_pct', label: () => t('health_memory'), color: GREEN, dash: [6, 3] },
    ],
    fmt: (v) => pct(v, 0),
    yRange: [0, 100],
    reason: (n) => why(n.cpu.load),
  },
  {
    id: 'storage',
    title: () => t('health_chartStorage'),
    lines: [
      { metric: 'data_pct', label: () => t('health_dataUsage'), color: BLUE },
      { metric: 'root_pct', label: () => t('health_sdUsage'), color: ORANGE, dash: [6, 3] },
    ],
    fmt: (v) => pct(v, 0),
    yRange: [0, 100],
    reason: (n) => why(n.storage.data) ?? why(n.storage.root),
  },
  {
    id: 'battery',
    title: () => t('health_chartBattery'),
    lines: [{ metric: 'battery_pct', label: () => t('health_batteryCharge'), color: GREEN }],
    fmt: (v) => pct(v, 0),
    yRange: [0, 100],
    reason: (n) => why(n.battery) ?? (n.battery.value ? why(n.battery.value.percent) : null),
  },
  {
    id: 'power',
    title: () => t('health_chartPower'),
    lines: [
      { metric: 'under_voltage', label: () => t('health_underVoltageNow'), color: RED },
      { metric: 'throttled', label: () => t('health_throttlingNow'), color: ORANGE, dash: [6, 3] },
    ],
    // 0/1 per minute; an hour's average is the share of that hour.
    fmt: (v) => pct(v * 100, 0),
    yRange: [0, 1],
    reason: (n) => why(n.power.throttled),
  },
];

const METRICS = [...new Set(CHARTS.flatMap((c) => c.lines.map((l) => l.metric)))];

/** The sentence a screen reader (and everyone) reads instead of the picture. */
function summary(def: ChartDef, hist: History): string {
  const parts: string[] = [];
  for (const l of def.lines) {
    const e = extremes(hist.series[l.metric] ?? []);
    if (!e) continue;
    // Hourly roll-ups keep each hour's own extremes: the true peak, not the peak of the averages.
    const lo = extremes(hist.min?.[l.metric] ?? [])?.min ?? e.min;
    const hi = extremes(hist.max?.[l.metric] ?? [])?.max ?? e.max;
    parts.push(t('health_chartLine', { label: l.label(), last: def.fmt(e.last), min: def.fmt(lo), max: def.fmt(hi) }));
  }
  return parts.join(' ');
}

export function historySection(getNow: () => HealthNow | null): { el: HTMLElement; load: () => Promise<void>; destroy: () => void } {
  let range: HistoryRange = '24h';
  let charts: Chart[] = [];
  const body = h('div', { class: 'charts' });
  const status = h('p', { class: 'muted', role: 'status' });
  const buttons = (['24h', '7d'] as const).map((r) => {
    const b = h(
      'button',
      { type: 'button', class: 'btn small', 'aria-pressed': String(r === range), 'data-range': r },
      r === '24h' ? t('health_range24h') : t('health_range7d'),
    );
    b.addEventListener('click', () => {
      if (range === r) return;
      range = r;
      buttons.forEach((x) => x.setAttribute('aria-pressed', String(x.dataset.range === r)));
      void load();
    });
    return b;
  });
  const el = h(
    'section',
    { class: 'health-history', 'aria-labelledby': 'hh-title' },
    h(
      'div',
      { class: 'section-head' },
      h('h3', { id: 'hh-title' }, t('health_history')),
      h('div', { class: 'range-switch', role: 'group', 'aria-label': t('health_range') }, buttons),
    ),
    status,
    body,
  );

  const destroyCharts = () => {
    charts.forEach((c) => c.destroy());
    charts = [];
  };

  async function load(): Promise<void> {
    let hist: History;
    try {
      hist = await api<History>('GET', `/api/admin/health/history?range=${range}&metric=${METRICS.join(',')}`);
    } catch (err) {
      status.textContent = errorText(err);
      return;
    }
    const now = getNow();
    destroyCharts();
    const first = hist.t[0];
    status.textContent =
      first === undefined
        ? range === '24h'
          ? t('health_noSamples')
          : t('health_noHourly')
        : t(range === '24h' ? 'health_samplesSince' : 'health_hoursSince', { n: hist.t.length, since: when(first * 1000) });
    const figures = CHARTS.map((def) => {
      const lines = def.lines.filter((l) => (hist.series[l.metric] ?? []).some((v) => v !== null));
      const fig = h('figure', { class: 'card chart', 'data-chart': def.id, 'data-state': lines.length ? 'chart' : 'empty', 'aria-labelledby': `ch-${def.id}` });
      const caption = h('figcaption', null, h('h4', { id: `ch-${def.id}` }, def.title()));
      if (lines.length === 0) {
        const why = now ? def.reason(now) : null;
        replace(
          fig,
          caption,
          h(
            'p',
            { class: 'chart-empty' },
            hist.t.length ? t('health_chartNoData') : t('health_chartNothingYet'),
            why ? h('span', { class: 'reason' }, why) : null,
          ),
        );
        return { fig, draw: null };
      }
      const box = h('div', { class: 'chart-box', 'aria-hidden': 'true' });
      replace(fig, caption, h('p', { class: 'chart-summary' }, summary(def, hist)), box);
      return {
        fig,
        draw: () =>
          charts.push(
            timeChart(box, {
              t: hist.t,
              step: hist.step,
              lines: lines.map((l) => ({ label: l.label(), values: hist.series[l.metric] ?? [], color: l.color, dash: l.dash })),
              fmtValue: def.fmt,
              fmtTime: axisTime,
              timeLabel: t('health_time'),
              yRange: def.yRange,
              minSpan: range === '24h' ? 3600 : 86400,
            }),
          ),
      };
    });
    // Charts with data first: empty ones (no battery, not a Pi) are one line each below them.
    figures.sort((a, b) => Number(a.draw === null) - Number(b.draw === null));
    replace(
      body,
      figures.map((f) => f.fig),
    );
    // Drawn once in the page, so uPlot measures the real width of each box.
    for (const f of figures) f.draw?.();
    body.dataset.points = String(hist.t.length);
  }

  return { el, load, destroy: destroyCharts };
}
