/**
 * Noisy rendered glyphs and textures: small synthetic image classification
 * tasks (8x8 or 16x16, 1 or 3 channels) for the lab's CNN experiments,
 * generated in code from a seed.
 *
 * Ten shapes are defined in continuous coordinates `[-1, 1]^2` (bars,
 * diagonals, ring, disk, plus, X, square outline, checker texture) and
 * rendered with a random shift, scale, rotation and stroke intensity, plus a
 * random per-image brightness and pixel noise.
 *
 * `mode: 'shape'` (default): class = shape (10 classes), one color for all
 * channels.
 *
 * `mode: 'background'` (3 channels): class = 5 shapes x 2 background colors.
 * The glyph gets a random foreground color (no information), the background a
 * class-dependent color plus a brightness offset shared by all channels. The
 * background color is a per-channel mean: after the first convolution it
 * is a per-feature-map constant, which InstanceNorm subtracts away per image
 * while BatchNorm, LayerNorm and GroupNorm (statistics shared across
 * channels or images) keep it. So this task needs a cue across channels
 * that InstanceNorm discards (Wu & He 2018 report IN worst on ImageNet).
 */
import { Rng } from 'normkit';
import { checkData, type ClassificationData } from '../train-utils.js';

/** Names of the ten shapes, in class order for `mode: 'shape'`. */
export const GLYPH_NAMES = ['hbar', 'vbar', 'diag', 'antidiag', 'ring', 'disk', 'plus', 'x', 'square', 'checker'] as const;

/** Coverage in [0, 1] of shape `k` at point (u, v) of [-1, 1]^2. */
function shapeAt(k: number, u: number, v: number): number {
  const r = Math.hypot(u, v);
  const au = Math.abs(u);
  const av = Math.abs(v);
  const w = 0.22; // stroke half-width
  switch (k) {
    case 0: return av < w && au < 0.75 ? 1 : 0;
    case 1: return au < w && av < 0.75 ? 1 : 0;
    case 2: return Math.abs(u - v) < w * 1.4 && r < 0.9 ? 1 : 0;
    case 3: return Math.abs(u + v) < w * 1.4 && r < 0.9 ? 1 : 0;
    case 4: return Math.abs(r - 0.6) < w ? 1 : 0;
    case 5: return r < 0.5 ? 1 : 0;
    case 6: return (au < w && av < 0.75) || (av < w && au < 0.75) ? 1 : 0;
    case 7: return (Math.abs(u - v) < w * 1.4 || Math.abs(u + v) < w * 1.4) && r < 0.9 ? 1 : 0;
    case 8: { const m = Math.max(au, av); return m > 0.45 && m < 0.75 ? 1 : 0; }
    case 9: return Math.sin(4 * u) * Math.sin(4 * v) > 0 && au < 0.85 && av < 0.85 ? 1 : 0;
    default: throw new RangeError(`shape index ${k} outside [0, 10)`);
  }
}

/** Shapes used by `mode: 'background'` (5 shapes x 2 background colors). */
const BG_SHAPES = [0, 4, 6, 7, 9];
/** The two class background colors (RGB), differing in their ratio across channels, not in brightness. */
const BG_COLORS = [
  [0.55, 0.15, 0.3],
  [0.15, 0.55, 0.3],
];

/** Options of {@link glyphImages}. */
export interface GlyphOptions {
  n: number;
  seed: number;
  /** Image side, 8 or 16 (any value >= 6 works). Default 16. */
  size?: number;
  /** 1 or 3 channels (default 1; `mode: 'background'` needs 3). */
  channels?: number;
  /** `'shape'` (10 shapes) or `'background'` (5 shapes x 2 background colors). Default `'shape'`. */
  mode?: 'shape' | 'background';
  /** Pixel noise standard deviation (default 0.35). */
  noise?: number;
}

/**
 * Render `n` noisy glyph images `[n, channels, size, size]` (float32),
 * balanced classes, deterministic in `seed`.
 */
export function glyphImages(o: GlyphOptions): ClassificationData {
  const size = o.size ?? 16;
  const mode = o.mode ?? 'shape';
  const channels = o.channels ?? (mode === 'background' ? 3 : 1);
  const noise = o.noise ?? 0.35;
  if (!(Number.isInteger(o.n) && o.n > 0)) throw new RangeError(`glyphImages: n must be a positive integer, got ${o.n}`);
  if (!(Number.isInteger(size) && size >= 6)) throw new RangeError(`glyphImages: size must be an integer >= 6, got ${size}`);
  if (!(Number.isInteger(channels) && channels >= 1)) throw new RangeError(`glyphImages: channels must be a positive integer, got ${channels}`);
  if (mode === 'background' && channels !== 3) throw new RangeError(`glyphImages: mode 'background' needs 3 channels, got ${channels}`);
  const classes = 10;
  const rng = new Rng(o.seed);
  const hw = size * size;
  const x = new Float32Array(o.n * channels * hw);
  const y = new Int32Array(o.n);
  const order = rng.permutation(o.n);
  const cover = new Float64Array(hw);
  const fg = new Float64Array(channels);
  const bg = new Float64Array(channels);
  for (let i = 0; i < o.n; i++) {
    const c = order[i]! % classes;
    y[i] = c;
    const shape = mode === 'shape' ? c : BG_SHAPES[c >> 1]!;
    // geometric jitter
    const du = 0.5 * (rng.uniform() - 0.5);
    const dv = 0.5 * (rng.uniform() - 0.5);
    const sc = 0.8 + 0.4 * rng.uniform();
    const th = 0.4 * (rng.uniform() - 0.5);
    const ct = Math.cos(th);
    const st = Math.sin(th);
    // 2x2 supersampling per pixel
    for (let py = 0; py < size; py++) {
      for (let px = 0; px < size; px++) {
        let s = 0;
        for (const oy of [0.25, 0.75]) {
          for (const ox of [0.25, 0.75]) {
            const u0 = ((px + ox) / size) * 2 - 1 - du;
            const v0 = ((py + oy) / size) * 2 - 1 - dv;
            const u = (ct * u0 + st * v0) / sc;
            const v = (-st * u0 + ct * v0) / sc;
            s += shapeAt(shape, u, v);
          }
        }
        cover[py * size + px] = s / 4;
      }
    }
    const brightness = 0.6 * (rng.uniform() - 0.5);
    if (mode === 'shape') {
      const amp = 0.7 + 0.6 * rng.uniform();
      fg.fill(amp);
      bg.fill(0);
    } else {
      // random foreground color of similar brightness: carries no class information
      for (let ch = 0; ch < channels; ch++) fg[ch] = 0.4 + 0.8 * rng.uniform();
      const col = BG_COLORS[c & 1]!;
      for (let ch = 0; ch < channels; ch++) bg[ch] = col[ch]!;
    }
    const base = i * channels * hw;
    for (let ch = 0; ch < channels; ch++) {
      for (let p = 0; p < hw; p++) {
        const a = cover[p]!;
        x[base + ch * hw + p] = a * fg[ch]! + (1 - a) * bg[ch]! + brightness + noise * rng.normal();
      }
    }
  }
  return checkData({ x, y, n: o.n, featureShape: [channels, size, size], numClasses: classes });
}
