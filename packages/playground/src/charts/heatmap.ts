/**
 * The picture of Ioffe & Szegedy's Figure 1 (b, c): how one layer's
 * pre-activations are distributed over training. Each column is one
 * snapshot's histogram (darker = more values; columns scaled to their own
 * maximum), with the 15th, 50th and 85th percentiles drawn over it, on a
 * fixed value range so racers can be compared.
 */
import { HIST_BINS, HIST_RANGE, type Histogram } from '../race/trainer.js';

export interface HeatColumn {
  step: number;
  hist: Histogram;
}

/** Draw `cols` into `canvas` (device-pixel aware); `color` tints the percentile lines. */
export function drawHistogramHeatmap(canvas: HTMLCanvasElement, cols: HeatColumn[], color: string): void {
  const dpr = Math.min(2, globalThis.devicePixelRatio || 1);
  const cssW = canvas.clientWidth || 240, cssH = canvas.clientHeight || 140;
  if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const padL = 26, padB = 14;
  const w = cssW - padL, h = cssH - padB;
  ctx.clearRect(0, 0, cssW, cssH);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(padL, 0, w, h);
  const n = cols.length;
  const cw = n ? w / n : w;
  const yOf = (v: number) => h - ((Math.max(-HIST_RANGE, Math.min(HIST_RANGE, v)) + HIST_RANGE) / (2 * HIST_RANGE)) * h;
  cols.forEach((c, i) => {
    const max = Math.max(1, ...c.hist.counts);
    const bh = h / HIST_BINS;
    c.hist.counts.forEach((k, b) => {
      if (!k) return;
      const a = Math.sqrt(k / max);
      ctx.fillStyle = `rgba(17, 24, 39, ${(0.08 + 0.85 * a).toFixed(3)})`;
      ctx.fillRect(padL + i * cw, h - (b + 1) * bh, Math.ceil(cw), Math.ceil(bh));
    });
  });
  for (const [key, width] of [['p15', 1.5], ['p50', 2.5], ['p85', 1.5]] as const) {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    cols.forEach((c, i) => {
      const x = padL + (i + 0.5) * cw, y = yOf(c.hist[key]);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
  ctx.fillStyle = '#374151';
  ctx.font = '10px system-ui, sans-serif';
  ctx.textAlign = 'right';
  for (const v of [-HIST_RANGE, 0, HIST_RANGE]) ctx.fillText(String(v), padL - 4, Math.min(h - 2, Math.max(9, yOf(v) + 3)));
  ctx.textAlign = 'left';
  if (n) {
    ctx.fillText(`step ${cols[0]!.step}`, padL, cssH - 2);
    ctx.textAlign = 'right';
    ctx.fillText(`${cols[n - 1]!.step}`, cssW - 2, cssH - 2);
  }
}
