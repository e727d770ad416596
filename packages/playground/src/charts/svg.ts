/**
 * Small SVG charts for the playground (no chart library): a line chart with
 * axes, ticks, optional log y and a legend. Returns markup; the caller puts
 * it into the page. The SVG scales with its container (viewBox) and carries
 * a title and a text description for screen readers.
 */

export interface Series {
  name: string;
  color: string;
  /** [x, y] pairs; non-finite y values break the line. */
  points: [number, number][];
  /** Dashed stroke (e.g. a second metric of the same racer). */
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  /** One sentence read by screen readers (what the chart shows, latest values). */
  description: string;
  series: Series[];
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  /** Fixed y range (default: the data's). */
  yDomain?: [number, number];
  /** Integer x ticks only (layer index). */
  integerX?: boolean;
  width?: number;
  height?: number;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** "Nice" tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const span = hi - lo;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Compact number for tick labels. */
export function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

let uid = 0;

/** A line chart as an SVG string. */
export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 480, H = o.height ?? 260;
  const m = { l: 54, r: 12, t: 28, b: 38 };
  const pw = W - m.l - m.r, ph = H - m.t - m.b;
  const tf = (y: number) => (o.logY ? Math.log10(y) : y);
  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
  for (const s of o.series) for (const [x, y] of s.points) {
    if (!Number.isFinite(y) || (o.logY && y <= 0)) continue;
    xMin = Math.min(xMin, x); xMax = Math.max(xMax, x);
    yMin = Math.min(yMin, tf(y)); yMax = Math.max(yMax, tf(y));
  }
  if (o.yDomain) [yMin, yMax] = [tf(o.yDomain[0]), tf(o.yDomain[1])];
  const empty = !Number.isFinite(xMin);
  if (empty) { xMin = 0; xMax = 1; yMin = 0; yMax = 1; }
  if (xMax === xMin) xMax = xMin + 1;
  if (yMax === yMin) { yMax += 0.5; yMin -= 0.5; }
  const sx = (x: number) => m.l + ((x - xMin) / (xMax - xMin)) * pw;
  const sy = (y: number) => m.t + ph - ((tf(y) - yMin) / (yMax - yMin)) * ph;
  const id = `c${++uid}`;
  const parts: string[] = [];
  parts.push(`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}t ${id}d" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<title id="${id}t">${esc(o.title)}</title><desc id="${id}d">${esc(o.description)}</desc>`);
  parts.push(`<text class="ct" x="${m.l}" y="16">${esc(o.title)}</text>`);
  // y ticks
  const yt = o.logY
    ? Array.from({ length: Math.floor(yMax) - Math.ceil(yMin) + 1 }, (_, i) => Math.ceil(yMin) + i)
    : niceTicks(yMin, yMax);
  const yTicks = o.logY && yt.length < 2 ? niceTicks(yMin, yMax).map((v) => v) : yt;
  for (const t of yTicks) {
    const py = m.t + ph - ((t - yMin) / (yMax - yMin)) * ph;
    if (py < m.t - 0.5 || py > m.t + ph + 0.5) continue;
    parts.push(`<line class="grid" x1="${m.l}" x2="${m.l + pw}" y1="${py.toFixed(1)}" y2="${py.toFixed(1)}"/>`);
    parts.push(`<text class="tick" x="${m.l - 6}" y="${(py + 4).toFixed(1)}" text-anchor="end">${fmtTick(o.logY ? 10 ** t : t)}</text>`);
  }
  const xt = o.integerX ? niceTicks(xMin, xMax, Math.min(10, xMax - xMin)).filter((v) => Number.isInteger(v)) : niceTicks(xMin, xMax);
  for (const t of xt) {
    const px = sx(t);
    parts.push(`<line class="axis" x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${m.t + ph}" y2="${m.t + ph + 4}"/>`);
    parts.push(`<text class="tick" x="${px.toFixed(1)}" y="${m.t + ph + 16}" text-anchor="middle">${fmtTick(t)}</text>`);
  }
  parts.push(`<line class="axis" x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}"/><line class="axis" x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}"/>`);
  parts.push(`<text class="al" x="${m.l + pw / 2}" y="${H - 4}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text class="al" transform="translate(12 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}${o.logY ? ' (log)' : ''}</text>`);
  parts.push(`<clipPath id="${id}clip"><rect x="${m.l}" y="${m.t - 2}" width="${pw}" height="${ph + 4}"/></clipPath><g clip-path="url(#${id}clip)">`);
  for (const s of o.series) {
    let d = '';
    let pen = false;
    for (const [x, y] of s.points) {
      if (!Number.isFinite(y) || (o.logY && y <= 0)) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${sx(x).toFixed(1)} ${sy(y).toFixed(1)}`;
      pen = true;
    }
    if (s.points.length === 1 && pen) d += `h0.01`;
    parts.push(`<path class="line" data-series="${esc(s.name)}" d="${d}" stroke="${s.color}"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
  }
  parts.push('</g>');
  if (empty) parts.push(`<text class="tick" x="${m.l + pw / 2}" y="${m.t + ph / 2}" text-anchor="middle">no data yet</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/** A legend (HTML) for series colors. */
export function legend(items: { name: string; color: string; dashed?: boolean }[]): string {
  return `<ul class="legend">${items.map((i) => `<li><span class="sw${i.dashed ? ' dashed' : ''}" style="--c:${i.color}"></span>${esc(i.name)}</li>`).join('')}</ul>`;
}

/** Distinct colors with at least 3:1 contrast on white (Okabe-Ito-like, darkened). */
export const PALETTE = ['#1f5fa8', '#c2410c', '#15803d', '#9333ea', '#b91c1c', '#0e7490', '#a16207', '#4b5563', '#be185d', '#4d7c0f'];

export { esc };
