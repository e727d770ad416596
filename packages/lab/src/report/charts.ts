/**
 * Chart helpers for lab experiments: small builders of Vega-Lite specs with
 * inline data (`data: { values: [...] }`), so an experiment's `charts(runs)`
 * stays a few lines and every chart in the report looks the same (size,
 * fonts, legends, log axes). The report renders the specs to static SVG in
 * Node (vega-lite compile + vega View, renderer 'none'), so no script is
 * needed to view them.
 *
 * ```ts
 * import { lineChart, seriesRows } from './charts.js';
 * charts(runs) {
 *   return [lineChart({ title: 'Training loss', data: seriesRows(runs, 'loss', (r) => r.config.norm as string),
 *     x: 'step', y: 'value', color: 'series', logY: true, yTitle: 'loss' })];
 * }
 * ```
 *
 * Log axes: rows whose value on a log axis is null, non-finite or <= 0 are
 * dropped (a log scale cannot show them), so a diverged run's NaN tail does
 * not break the chart.
 */
import type { ChartSpec, Json, RunConfig, RunResult } from '../experiment.js';

/** One data row of a chart: field -> value. */
export type Row = { [field: string]: Json };

/** Options shared by every chart builder. */
export interface ChartBase {
  /** Chart title (shown above the chart). */
  title: string;
  /** Optional subtitle (a second, smaller line: e.g. the set-up). */
  subtitle?: string;
  /** The rows to plot. */
  data: Row[];
  /** Field on the x axis. */
  x: string;
  /** Field on the y axis. */
  y: string;
  /** Field that picks the color (one line / bar group per value). */
  color?: string;
  /** Axis titles (default: the field names; null hides the title). */
  xTitle?: string | null;
  yTitle?: string | null;
  /** Break x labels at spaces into several lines (long category names). */
  xLabelWrap?: boolean;
  /** Legend title (default: the color field name). */
  colorTitle?: string;
  /** Log-10 scales. */
  logX?: boolean;
  logY?: boolean;
  /** Plot size in pixels (default 420 x 240). */
  width?: number;
  height?: number;
  /** Optional column facet: one small chart per value of this field. */
  column?: string;
}

/** Line-chart options. */
export interface LineChartOptions extends ChartBase {
  /** Draw a point at each data point (default: only when there are <= 30 x values). */
  points?: boolean;
  /** Field for the dash pattern (e.g. a second grouping variable). */
  strokeDash?: string;
  /** Type of the x field (default quantitative). */
  xType?: 'quantitative' | 'ordinal' | 'nominal';
  /** Horizontal reference line(s) at these y values (e.g. a target loss). */
  rules?: { y: number; label?: string }[];
}

/** Bar-chart options. */
export interface BarChartOptions extends ChartBase {
  /** Field for side-by-side bars within each x category (grouped bars). */
  group?: string;
  /** Field with the error bar's half-width (e.g. the std over seeds). */
  error?: string;
}

/** Scatter-plot options. */
export interface ScatterOptions extends ChartBase {
  /** Field for the mark shape. */
  shape?: string;
  /** Type of the x field (default quantitative). */
  xType?: 'quantitative' | 'ordinal' | 'nominal';
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

function positive(v: Json | undefined): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}

function finite(v: Json | undefined): boolean {
  return typeof v === 'number' ? Number.isFinite(v) : v !== null && v !== undefined;
}

/** Drop rows a chart cannot draw: null/NaN on numeric axes, <= 0 on log axes. */
function cleanRows(o: ChartBase, xQuantitative: boolean): Row[] {
  return o.data.filter((r) => {
    if (o.logY ? !positive(r[o.y]) : !finite(r[o.y])) return false;
    if (xQuantitative && (o.logX ? !positive(r[o.x]) : !finite(r[o.x]))) return false;
    return true;
  });
}

function axisScale(log: boolean | undefined, zero = false): Json {
  return log ? { type: 'log' } : { zero };
}

/** Axis title: the field name unless given (null: none). */
function axisTitle(t: string | null | undefined, field: string): Json {
  return t === undefined ? field : t;
}

/** Log axes label every decade as 1e-6, 1e+0, 1e+8 (not 0.000001 or 10,000,000,000). */
function logAxis(log: boolean | undefined): { [k: string]: Json } {
  return log ? { axis: { format: '.0e' } } : {};
}

function base(o: ChartBase): ChartSpec {
  const title: { [k: string]: Json } = { text: o.title, anchor: 'start', fontSize: 14 };
  if (o.subtitle) title.subtitle = o.subtitle;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: o.width ?? 420,
    height: o.height ?? 240,
    config: {
      font: 'Helvetica, Arial, sans-serif',
      axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.5 },
      legend: { labelFontSize: 11, titleFontSize: 12, orient: 'right', labelLimit: 220 },
      range: { category: PALETTE },
      view: { stroke: '#ccc' },
    },
  };
}

/**
 * Wrap a layer/encoding in a column facet when `o.column` is set. The facet
 * partitions the data it is given, so the chart's data must sit on the facet
 * itself, not inside the inner spec: with the data inside, Vega-Lite draws
 * the axes of every cell and no marks (five report charts were empty so).
 * Layers with their own data (reference rules) are drawn in every cell.
 */
function maybeFacet(o: ChartBase, spec: ChartSpec, inner: ChartSpec): ChartSpec {
  if (!o.column) return { ...spec, ...inner };
  const { width, height, ...outer } = spec;
  const { data, ...rest } = inner;
  // numbers (depths, batch sizes) facet in numeric order; names keep the data's order
  const numeric = o.data.length > 0 && o.data.every((r) => typeof r[o.column!] === 'number');
  return {
    ...outer,
    data,
    facet: { column: numeric ? { field: o.column, type: 'ordinal', title: o.column, sort: 'ascending' } : { field: o.column, type: 'nominal', title: o.column, sort: null } },
    spec: { width: Math.min(Number(width), 260), height, ...rest },
    resolve: { scale: { y: 'shared' } },
  };
}

function colorEncoding(o: ChartBase): Json {
  return o.color
    ? { field: o.color, type: 'nominal', title: o.colorTitle ?? o.color, sort: null }
    : { value: PALETTE[0] };
}

/**
 * A line chart: one line per value of `color` (and `strokeDash`), `x` vs `y`,
 * optional log axes and horizontal reference rules.
 */
export function lineChart(o: LineChartOptions): ChartSpec {
  const xType = o.xType ?? 'quantitative';
  const values = cleanRows(o, xType === 'quantitative');
  const nx = new Set(values.map((r) => JSON.stringify(r[o.x]))).size;
  const points = o.points ?? nx <= 30;
  const enc: { [k: string]: Json } = {
    x: { field: o.x, type: xType, title: axisTitle(o.xTitle, o.x), scale: xType === 'quantitative' ? axisScale(o.logX) : null, ...logAxis(o.logX) },
    y: { field: o.y, type: 'quantitative', title: axisTitle(o.yTitle, o.y), scale: axisScale(o.logY), ...logAxis(o.logY) },
    color: colorEncoding(o),
  };
  if (o.strokeDash) enc.strokeDash = { field: o.strokeDash, type: 'nominal', title: o.strokeDash };
  const tooltip: Json[] = [o.x, o.y, ...(o.color ? [o.color] : [])].map((f) => ({ field: f }));
  enc.tooltip = tooltip;
  const line: ChartSpec = { mark: { type: 'line', point: points, strokeWidth: 1.8, clip: true }, encoding: enc };
  let inner: ChartSpec;
  if (o.rules && o.rules.length > 0) {
    const ruleLayer: ChartSpec = {
      data: { values: o.rules.map((r) => ({ y: r.y, label: r.label ?? '' })) },
      layer: [
        { mark: { type: 'rule', strokeDash: [4, 4], color: '#555' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
        {
          mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#555', fontSize: 10 },
          encoding: { y: { field: 'y', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } },
        },
      ],
    };
    inner = { data: { values }, layer: [line, ruleLayer] };
  } else {
    inner = { data: { values }, ...line };
  }
  return maybeFacet(o, base(o), inner);
}

/**
 * A bar chart: `x` categories, `y` heights; `group` draws side-by-side bars
 * within each category (colored by `group` unless `color` is given), `error`
 * adds error bars of that half-width.
 */
export function barChart(o: BarChartOptions): ChartSpec {
  const values = cleanRows(o, false);
  const colorField = o.color ?? o.group;
  const enc: { [k: string]: Json } = {
    x: {
      field: o.x,
      type: 'nominal',
      title: axisTitle(o.xTitle, o.x),
      sort: null,
      axis: o.xLabelWrap ? { labelAngle: 0, labelExpr: "split(datum.label, ' ')", labelLimit: 200 } : { labelAngle: 0 },
    },
    // stack: null: grouped bars are side by side, and a stacked bar has no baseline on a log scale.
    y: { field: o.y, type: 'quantitative', title: axisTitle(o.yTitle, o.y), scale: axisScale(o.logY, !o.logY), stack: null, ...logAxis(o.logY) },
    color: colorField ? { field: colorField, type: 'nominal', title: o.colorTitle ?? colorField, sort: null } : { value: PALETTE[0] },
    tooltip: [o.x, o.y, ...(colorField ? [colorField] : [])].map((f) => ({ field: f })),
  };
  if (o.group) enc.xOffset = { field: o.group, type: 'nominal', sort: null };
  const bar: ChartSpec = { mark: { type: 'bar' }, encoding: enc };
  let inner: ChartSpec;
  if (o.error) {
    const err = o.error;
    const withBounds = values.map((r) => {
      const v = r[o.y] as number;
      const e = typeof r[err] === 'number' && Number.isFinite(r[err] as number) ? (r[err] as number) : 0;
      return { ...r, __lo: o.logY ? Math.max(v - e, v * 1e-3) : v - e, __hi: v + e };
    });
    const errEnc: { [k: string]: Json } = {
      x: { field: o.x, type: 'nominal', sort: null },
      y: { field: '__lo', type: 'quantitative' },
      y2: { field: '__hi' },
    };
    if (o.group) errEnc.xOffset = { field: o.group, type: 'nominal', sort: null };
    inner = { data: { values: withBounds }, layer: [bar, { mark: { type: 'rule', color: '#222' }, encoding: errEnc }] };
  } else {
    inner = { data: { values }, ...bar };
  }
  return maybeFacet(o, base(o), inner);
}

/** A scatter plot: `x` vs `y`, colored by `color`, shaped by `shape`. */
export function scatter(o: ScatterOptions): ChartSpec {
  const xType = o.xType ?? 'quantitative';
  const values = cleanRows(o, xType === 'quantitative');
  const enc: { [k: string]: Json } = {
    x: { field: o.x, type: xType, title: axisTitle(o.xTitle, o.x), scale: xType === 'quantitative' ? axisScale(o.logX) : null, ...logAxis(o.logX) },
    y: { field: o.y, type: 'quantitative', title: axisTitle(o.yTitle, o.y), scale: axisScale(o.logY), ...logAxis(o.logY) },
    color: colorEncoding(o),
    tooltip: [o.x, o.y, ...(o.color ? [o.color] : [])].map((f) => ({ field: f })),
  };
  if (o.shape) enc.shape = { field: o.shape, type: 'nominal', title: o.shape };
  return maybeFacet(o, base(o), { data: { values }, mark: { type: 'point', filled: true, size: 50 }, encoding: enc });
}

/**
 * Turn one named series of each run into chart rows
 * `{ step, value, series, seed }` (step = index * stepEvery + stepOffset).
 * `label(run)` names the line; runs with the same label and different seeds
 * are averaged per step when `meanOverSeeds` is true (default), so a chart
 * shows one line per configuration.
 */
export function seriesRows<C extends RunConfig>(
  runs: RunResult<C>[],
  series: string,
  label: (r: RunResult<C>) => string,
  opts: { stepEvery?: number; stepOffset?: number; meanOverSeeds?: boolean; maxPoints?: number } = {},
): Row[] {
  const every = opts.stepEvery ?? 1;
  const offset = opts.stepOffset ?? 0;
  const groups = new Map<string, RunResult<C>[]>();
  for (const r of runs) {
    if (!r.series || !r.series[series]) continue;
    const k = label(r);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  const rows: Row[] = [];
  for (const [k, rs] of groups) {
    const perRun = rs.map((r) => r.series![series]!);
    const len = Math.max(...perRun.map((s) => s.length));
    const stride = opts.maxPoints && len > opts.maxPoints ? Math.ceil(len / opts.maxPoints) : 1;
    if (opts.meanOverSeeds ?? true) {
      for (let i = 0; i < len; i += stride) {
        let s = 0;
        let n = 0;
        for (const v of perRun) {
          const x = v[i];
          if (typeof x === 'number' && Number.isFinite(x)) {
            s += x;
            n++;
          }
        }
        rows.push({ step: i * every + offset, value: n > 0 ? s / n : null, series: k });
      }
    } else {
      rs.forEach((r, j) => {
        const v = perRun[j]!;
        for (let i = 0; i < v.length; i += stride) rows.push({ step: i * every + offset, value: v[i] ?? null, series: k, seed: r.seed });
      });
    }
  }
  return rows;
}

/**
 * Mean and sample standard deviation of one metric per group of runs
 * (e.g. per configuration, over seeds): rows `{ group, mean, std, n }`.
 * Null (diverged / non-finite) values are skipped and counted in `missing`.
 */
export function metricRows<C extends RunConfig>(runs: RunResult<C>[], metric: string, group: (r: RunResult<C>) => string): Row[] {
  const groups = new Map<string, (number | null)[]>();
  for (const r of runs) {
    const k = group(r);
    if (!groups.has(k)) groups.set(k, []);
    const v = r.metrics[metric];
    groups.get(k)!.push(typeof v === 'number' && Number.isFinite(v) ? v : null);
  }
  const rows: Row[] = [];
  for (const [k, vs] of groups) {
    const xs = vs.filter((v): v is number => v !== null);
    const { mean, std } = meanStd(xs);
    rows.push({ group: k, mean, std, n: xs.length, missing: vs.length - xs.length });
  }
  return rows;
}

/** Mean and sample standard deviation (std 0 for one value, null mean for none). */
export function meanStd(xs: number[]): { mean: number | null; std: number | null } {
  if (xs.length === 0) return { mean: null, std: null };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length === 1) return { mean, std: 0 };
  const v = xs.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (xs.length - 1);
  return { mean, std: Math.sqrt(v) };
}
