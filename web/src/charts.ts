// Time-series line charts on uPlot (bundled, served by the device): fitted to their box, gaps where no sample exists, localised axes.
import uPlot from 'uplot';

export interface ChartLine {
  label: string;
  values: (number | null)[];
  color: string;
  dash?: number[];
}

export interface ChartSpec {
  /** Unix seconds, ascending. */
  t: number[];
  /** Seconds between points: a longer hole becomes a gap in the line (the device was off). */
  step: number;
  lines: ChartLine[];
  /** Formats a value for the axis and the legend ("52 °C", "40 %"). */
  fmtValue: (v: number) => string;
  /** The legend's name for the time ("Time", "Heure"). */
  timeLabel: string;
  /** Formats a time for the axis (`short`) and for the legend (`long`). */
  fmtTime: (sec: number, style: 'short' | 'long') => string;
  /** A fixed y range (percentages: 0–100); otherwise the data's own, padded. */
  yRange?: [number, number];
  /** The x axis spans at least this many seconds, ending at the last point: a fresh device's few minutes stay readable. */
  minSpan?: number;
}

export interface Chart {
  destroy(): void;
}

/** Min, max and the last known value of a series, or null when every value is unknown. */
export function extremes(values: readonly (number | null)[]): { min: number; max: number; last: number } | null {
  let min = Infinity;
  let max = -Infinity;
  let last: number | null = null;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    last = v;
  }
  return last === null ? null : { min, max, last };
}

/** Inserts a null point in every hole longer than 2.5 steps, so uPlot breaks the line there instead of bridging it. */
export function withGaps(t: readonly number[], cols: readonly (readonly (number | null)[])[], step: number): { t: number[]; cols: (number | null)[][] } {
  const outT: number[] = [];
  const outCols: (number | null)[][] = cols.map(() => []);
  for (let i = 0; i < t.length; i++) {
    if (i > 0 && t[i]! - t[i - 1]! > step * 2.5) {
      outT.push(t[i - 1]! + step);
      outCols.forEach((c) => c.push(null));
    }
    outT.push(t[i]!);
    cols.forEach((c, k) => outCols[k]!.push(c[i] ?? null));
  }
  return { t: outT, cols: outCols };
}

const AXIS = { stroke: '#4d5b69', font: '12px system-ui, sans-serif', grid: { stroke: '#e3e8ee', width: 1 }, ticks: { stroke: '#d5dce3', width: 1, size: 4 } };

export function timeChart(container: HTMLElement, spec: ChartSpec): Chart {
  const { t, cols } = withGaps(
    spec.t,
    spec.lines.map((l) => l.values),
    spec.step,
  );
  const lastT = t[t.length - 1];
  const lasts = cols.map((c) => extremes(c)?.last ?? null);
  const counts = cols.map((c) => c.filter((v) => v !== null).length);
  const height = () => (container.clientWidth < 500 ? 170 : 210);
  const opts: uPlot.Options = {
    width: Math.max(200, container.clientWidth),
    height: height(),
    scales: {
      x: {
        time: true,
        range: (_u, min, max) => (min === null || max === null ? [0, 1] : [Math.min(min, max - (spec.minSpan ?? 0)), max]),
      },
      y: {
        range: spec.yRange
          ? () => spec.yRange!
          : (_u, min, max) => {
              if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
              const pad = Math.max(1, (max - min) * 0.15);
              return [Math.floor(min - pad), Math.ceil(max + pad)];
            },
      },
    },
    axes: [
      { ...AXIS, space: 64, values: (_u, splits) => splits.map((s) => spec.fmtTime(s, 'short')) },
      { ...AXIS, size: 58, values: (_u, splits) => splits.map((v) => spec.fmtValue(v)) },
    ],
    series: [
      // Away from the cursor, the legend shows the latest point rather than dashes.
      {
        label: spec.timeLabel,
        value: (_u, v, _s, idx) =>
          idx === null ? (lastT === undefined ? '—' : spec.fmtTime(lastT, 'long')) : v === null || v === undefined ? '—' : spec.fmtTime(v, 'long'),
      },
      ...spec.lines.map((l, k): uPlot.Series => ({
        label: l.label,
        stroke: l.color,
        width: 2,
        dash: l.dash,
        spanGaps: false,
        // A few points (a device that just started) are dots, or a line of them would be too short to see.
        points: { size: 6, show: counts[k]! <= 60 },
        value: (_u, v, _s, idx) => {
          const shown = idx === null ? lasts[k] : v;
          return shown === null || shown === undefined ? '—' : spec.fmtValue(shown);
        },
      })),
    ],
    cursor: { drag: { x: false, y: false }, points: { size: 7 } },
    legend: { live: true },
  };
  const plot = new uPlot(opts, [t, ...cols] as uPlot.AlignedData, container);
  // The box follows the page (phone rotation, laptop resize): redraw at the new width.
  let frame = 0;
  const ro = new ResizeObserver(() => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      const w = Math.max(200, container.clientWidth);
      if (w !== plot.width) plot.setSize({ width: w, height: height() });
    });
  });
  ro.observe(container);
  return {
    destroy() {
      ro.disconnect();
      cancelAnimationFrame(frame);
      plot.destroy();
    },
  };
}
