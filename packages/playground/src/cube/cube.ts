/**
 * The cube of Wu & He 2018 (Group Normalization, Figure 2): a feature map
 * batch `[N, C, H, W]` drawn as N x C x (H, W); each normalization computes
 * one mean and variance over a set of cells and normalizes those cells with
 * it:
 *
 * | norm         | cells sharing statistics with (n, c, s)     | module here                |
 * |--------------|---------------------------------------------|----------------------------|
 * | BatchNorm    | every n, same c, every s                    | BatchNorm2d(C), training   |
 * | LayerNorm    | same n, every c, every s                    | LayerNorm([C, H, W])       |
 * | InstanceNorm | same n, same c, every s                     | InstanceNorm2d(C)          |
 * | GroupNorm    | same n, c in the same group of C/G, every s | GroupNorm(G, C)            |
 * | RMSNorm      | same n, every c, every s (RMS, no mean)     | RMSNorm([C, H, W])         |
 *
 * The page does not take this table on trust: `sharedCells` asks the
 * library. It perturbs the input at the selected cell and marks every output
 * that changed, which is exactly the set of cells whose statistics include
 * that cell (an output depends on another cell's input only through the
 * shared mean and variance). The test checks the result against the table.
 */
import * as nk from 'normkit';
import type { Tensor } from 'normkit';

/** Cube sizes: batch, channels, and a 2x2 spatial map (H x W = 4 cells on the third axis). */
export const CUBE = { N: 4, C: 8, H: 2, W: 2 } as const;
export const CUBE_S = CUBE.H * CUBE.W;

export const CUBE_NORMS = ['batchnorm', 'layernorm', 'instancenorm', 'groupnorm', 'rmsnorm'] as const;
export type CubeNorm = (typeof CUBE_NORMS)[number];
export const CUBE_LABELS: Record<CubeNorm, string> = {
  batchnorm: 'BatchNorm', layernorm: 'LayerNorm', instancenorm: 'InstanceNorm', groupnorm: 'GroupNorm', rmsnorm: 'RMSNorm',
};
/** Group counts that divide C. */
export const CUBE_GROUPS = [1, 2, 4, 8] as const;

export interface CubeState {
  norm: CubeNorm;
  groups: number;
  /** The selected cell (n, c, s). */
  cell: [number, number, number];
}

export const DEFAULT_CUBE: CubeState = { norm: 'groupnorm', groups: 2, cell: [0, 0, 0] };

/** A valid cube state (unknown values take the defaults, the cell is clamped). */
export function normalizeCube(c: Partial<CubeState>): CubeState {
  const norm = CUBE_NORMS.includes(c.norm as CubeNorm) ? (c.norm as CubeNorm) : DEFAULT_CUBE.norm;
  const groups = (CUBE_GROUPS as readonly number[]).includes(c.groups as number) ? (c.groups as number) : DEFAULT_CUBE.groups;
  const cl = (v: number | undefined, n: number) => Math.min(n - 1, Math.max(0, Math.round(v ?? 0)));
  const cell: [number, number, number] = c.cell ? [cl(c.cell[0], CUBE.N), cl(c.cell[1], CUBE.C), cl(c.cell[2], CUBE_S)] : [...DEFAULT_CUBE.cell];
  return { norm, groups, cell };
}

/** Flat index of (n, c, s) in `[N, C, H, W]` row-major (s = h * W + w). */
export const cellIndex = (n: number, c: number, s: number): number => (n * CUBE.C + c) * CUBE_S + s;

/** The module of a cube norm (no affine part: weight 1, bias 0 either way at init). */
export function cubeModule(norm: CubeNorm, groups: number): nk.Module & { forward(x: Tensor): Tensor } {
  const { C, H, W } = CUBE;
  switch (norm) {
    case 'batchnorm': return new nk.BatchNorm2d(C);
    case 'layernorm': return new nk.LayerNorm([C, H, W]);
    case 'instancenorm': return new nk.InstanceNorm2d(C);
    case 'groupnorm': return new nk.GroupNorm(groups, C);
    case 'rmsnorm': return new nk.RMSNorm([C, H, W]);
  }
}

/**
 * A seeded batch `[N, C, H, W]` with a different scale and offset per sample
 * and per channel, so the statistics of different sets really differ.
 */
export function cubeBatch(seed = 1): Tensor {
  const { N, C, H, W } = CUBE;
  const rng = new nk.Rng(seed);
  const x = nk.randn([N, C, H, W], { rng });
  const sampleShift = Array.from({ length: N }, () => 2 * rng.normal());
  const channelScale = Array.from({ length: C }, () => 0.5 + 2 * rng.uniform());
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let s = 0; s < CUBE_S; s++) {
    const i = cellIndex(n, c, s);
    x.data[i] = x.data[i]! * channelScale[c]! + sampleShift[n]! + 0.5 * c;
  }
  return x;
}

/**
 * The cells whose normalization statistics include `cell`, found with the
 * library: outputs that change when the input at `cell` changes. Returns
 * flat indices (sorted) and both outputs.
 */
export function sharedCells(x: Tensor, norm: CubeNorm, groups: number, cell: [number, number, number]): { cells: number[]; y: Float32Array } {
  const m = cubeModule(norm, groups);
  const y0 = nk.noGrad(() => m.forward(x));
  const x1 = nk.tensor(Float32Array.from(x.data), x.shape);
  x1.data[cellIndex(...cell)] = x1.data[cellIndex(...cell)]! + 1;
  const y1 = nk.noGrad(() => cubeModule(norm, groups).forward(x1));
  const cells: number[] = [];
  for (let i = 0; i < y0.data.length; i++) if (Math.abs(y1.data[i]! - y0.data[i]!) > 1e-6 * Math.max(1, Math.abs(y0.data[i]!))) cells.push(i);
  return { cells, y: Float32Array.from(y0.data) };
}

/** Mean, variance (biased, as the norms use), RMS of `values` at `cells`. */
export function cellStats(values: ArrayLike<number>, cells: number[]): { mean: number; variance: number; rms: number; count: number } {
  let s = 0, s2 = 0;
  for (const i of cells) { s += values[i]!; s2 += values[i]! * values[i]!; }
  const n = cells.length || 1;
  const mean = s / n;
  return { mean, variance: Math.max(0, s2 / n - mean * mean), rms: Math.sqrt(s2 / n), count: cells.length };
}

/** In words: which cells share the statistics (for the caption and screen readers). */
export function describeSet(norm: CubeNorm, groups: number, cell: [number, number, number]): string {
  const [n, c] = cell;
  const per = CUBE.C / groups;
  const g = Math.floor(c / per);
  switch (norm) {
    case 'batchnorm': return `channel ${c + 1} across all ${CUBE.N} samples and all ${CUBE_S} positions`;
    case 'layernorm': return `sample ${n + 1}: all ${CUBE.C} channels and all ${CUBE_S} positions`;
    case 'instancenorm': return `sample ${n + 1}, channel ${c + 1}: its ${CUBE_S} positions`;
    case 'groupnorm': return `sample ${n + 1}, group ${g + 1} of ${groups} (channels ${g * per + 1}-${(g + 1) * per}): all ${CUBE_S} positions`;
    case 'rmsnorm': return `sample ${n + 1}: all ${CUBE.C} channels and all ${CUBE_S} positions (root mean square only, no mean subtracted)`;
  }
}
