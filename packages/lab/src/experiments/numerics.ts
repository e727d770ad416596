/**
 * Experiment 9, numerics: normalization of data with a large common offset.
 * Rows x = offset + s z (z ~ N(0, 1)) are stored in float32 for offsets
 * 1e0..1e8; the reference is the exact two-pass computation in float64 on
 * those same float32 values. Compared:
 *
 * - normkit: `nk.F.layerNorm` (output) and its kernel's cached statistics
 *   (var = 1/rstd^2 - eps), which shift each row by an element and accumulate
 *   in float64 (src/kernels/js/layernorm.ts);
 * - naive float32: var = E[x^2] - E[x]^2 with float32 arithmetic (every
 *   operation rounded with Math.fround), clamped at 0 as libraries do;
 * - naive, float64 sums: the same formula with float64 sums of the
 *   float32 inputs (cancellation is delayed, not avoided).
 *
 * The noise scale s is 1, raised to 16 float32 ulps of the offset where that
 * is larger (above 2^24 ~ 1.7e7 a float32 cannot hold offset + N(0, 1): at
 * 1e8 its spacing is 8); the table shows offset / s, the ratio that drives
 * the cancellation.
 */
import * as nk from 'normkit';
import { layernormForward } from 'normkit/kernels';
import type { Experiment, Profile, RunOutput, RunResult, RunSpec } from '../experiment.js';
import { lineChart, type Row } from '../report/charts.js';

const OFFSETS = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];
const METHODS = ['normkit', 'naive float32', 'naive, float64 sums'] as const;
type Method = (typeof METHODS)[number];
const EPS = 1e-5;
const ROWS = 16;
const C = 256;

/** normkit stays accurate: bound on the relative variance error and the max output error. */
const NORMKIT_TOL = 1e-4;
/** The naive float32 formula "breaks" when its variance is off by more than this. */
const BROKEN = 0.1;

const f = Math.fround;

/** float32 spacing at v (unit in the last place). */
function ulp32(v: number): number {
  return 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23);
}

export function noiseScale(offset: number): number {
  return Math.max(1, 16 * ulp32(offset));
}

/** Exact statistics of one row (two passes in float64 on the float32 values). */
function reference(x: Float32Array, lo: number): { mean: number; variance: number } {
  let s = 0;
  for (let c = 0; c < C; c++) s += x[lo + c]!;
  const mean = s / C;
  let v = 0;
  for (let c = 0; c < C; c++) v += (x[lo + c]! - mean) ** 2;
  return { mean, variance: v / C };
}

/** E[x^2] - E[x]^2, every operation rounded to float32 (or with float64 sums), clamped at 0. */
function naive(x: Float32Array, lo: number, f32: boolean): { mean: number; variance: number; out: Float64Array } {
  const r = f32 ? f : (v: number) => v;
  let s = 0;
  let s2 = 0;
  for (let c = 0; c < C; c++) {
    const v = x[lo + c]!;
    s = r(s + v);
    s2 = r(s2 + r(v * v));
  }
  const mean = r(s / C);
  const variance = Math.max(0, r(r(s2 / C) - r(mean * mean)));
  const rstd = r(1 / r(Math.sqrt(r(variance + EPS))));
  const out = new Float64Array(C);
  for (let c = 0; c < C; c++) out[c] = r(r(x[lo + c]! - mean) * rstd);
  return { mean, variance, out };
}

interface Errors {
  varErr: number;
  outErr: number;
}

/** Per method: the worst relative variance error and worst absolute output error over the rows (output is O(1)). */
function measureOffset(offset: number, rng: nk.Rng): Record<Method, Errors> {
  const s = noiseScale(offset);
  const x = new Float32Array(ROWS * C);
  for (let i = 0; i < x.length; i++) x[i] = offset + s * rng.normal();
  const nkOut = nk.noGrad(() => nk.F.layerNorm(nk.tensor(x, [ROWS, C]), [C], null, null, EPS)).data;
  const kOut = new Float32Array(ROWS * C);
  const mean = new Float64Array(ROWS);
  const rstd = new Float64Array(ROWS);
  layernormForward(kOut, mean, rstd, x, null, null, ROWS, C, EPS);
  const res = Object.fromEntries(METHODS.map((m) => [m, { varErr: 0, outErr: 0 }])) as Record<Method, Errors>;
  for (let n = 0; n < ROWS; n++) {
    const lo = n * C;
    const ref = reference(x, lo);
    const refRstd = 1 / Math.sqrt(ref.variance + EPS);
    const cand: Record<Method, { variance: number; out: ArrayLike<number>; at: number }> = {
      normkit: { variance: 1 / (rstd[n]! * rstd[n]!) - EPS, out: nkOut, at: lo },
      'naive float32': { ...naive(x, lo, true), at: 0 },
      'naive, float64 sums': { ...naive(x, lo, false), at: 0 },
    };
    for (const m of METHODS) {
      const c = cand[m];
      const ve = Math.abs(c.variance - ref.variance) / ref.variance;
      let oe = 0;
      for (let k = 0; k < C; k++) oe = Math.max(oe, Math.abs(c.out[c.at + k]! - (x[lo + k]! - ref.mean) * refRstd));
      res[m].varErr = Math.max(res[m].varErr, Number.isFinite(ve) ? ve : Infinity);
      res[m].outErr = Math.max(res[m].outErr, Number.isFinite(oe) ? oe : Infinity);
    }
  }
  return res;
}

const mkey = (m: Method, what: 'var' | 'out', offset: number) => `${m} ${what} err @ ${offset.toExponential(0)}`;

/** A run: the sizes and eps (recorded for the report; the measurement uses ROWS, C and EPS). */
export type NumericsConfig = { rows: number; cols: number; eps: number };

function measure(spec: RunSpec<NumericsConfig>): RunOutput {
  const rng = new nk.Rng(spec.seed);
  const metrics: { [k: string]: number | null } = {};
  for (const o of OFFSETS) {
    const r = measureOffset(o, rng);
    for (const m of METHODS) {
      metrics[mkey(m, 'var', o)] = r[m].varErr;
      metrics[mkey(m, 'out', o)] = r[m].outErr;
    }
  }
  return { status: 'ok', metrics };
}

/** Worst value over seeds (a null, i.e. non-finite, counts as +Infinity). */
function worstOf(runs: RunResult<NumericsConfig>[], k: string): number {
  return Math.max(...runs.map((r) => r.metrics[k] ?? Infinity));
}

export const numerics: Experiment<NumericsConfig> = {
  name: 'numerics',
  title: 'Numerics: normalizing data with a large common offset',
  claim:
    'Computing the variance as E[x^2] - E[x]^2 in float32 loses all precision once the offset is large against the spread (catastrophic cancellation); normkit (shifted two-pass statistics accumulated in float64) stays accurate for offsets up to 1e8.',
  paper: {
    citation:
      'Chan, Golub & LeVeque 1983, "Algorithms for computing the sample variance: analysis and recommendations", The American Statistician 37(3); Welford 1962; Higham, "Accuracy and Stability of Numerical Algorithms" (2002), Section 1.9.',
    setup: 'Analysis of the one-pass textbook formula sum(x^2)/n - mean^2 against shifted and two-pass algorithms.',
    numbers:
      'The relative error of the textbook formula grows like eps * kappa^2, where kappa = sqrt(1 + mean^2/variance) is the condition number: with float32 (eps ~ 6e-8) all digits are gone once mean/std ~ 1e4; the two-pass algorithm is bounded by about n eps + n^2 eps^2 kappa^2, and a shift by a data value makes kappa ~ 1.',
  },
  setup: (profile) =>
    `${ROWS} rows of ${C} float32 values x = offset + s z, z ~ N(0, 1), offsets 1e0..1e8 (s = 1, or 16 float32 ulps of the offset above 2^24), eps = ${EPS}; ` +
    `errors against an exact float64 two-pass computation on the same float32 values; worst over rows and ${numerics.runs(profile).length} seed(s).`,
  rule: `reproduced if normkit's relative variance error and max output error stay below ${NORMKIT_TOL} at every offset, and the naive float32 formula's relative variance error exceeds ${BROKEN} at some offset (it breaks where normkit does not); not reproduced otherwise.`,
  runs(profile: Profile, seeds?: number): RunSpec<NumericsConfig>[] {
    const n = seeds ?? (profile === 'smoke' ? 1 : profile === 'quick' ? 2 : 3);
    return Array.from({ length: n }, (_, s) => ({ id: `s${s + 1}`, seed: 9000 + s, config: { rows: ROWS, cols: C, eps: EPS } }));
  },
  run: (spec) => measure(spec),
  judge(runs) {
    const nkVar = Math.max(...OFFSETS.map((o) => worstOf(runs, mkey('normkit', 'var', o))));
    const nkOut = Math.max(...OFFSETS.map((o) => worstOf(runs, mkey('normkit', 'out', o))));
    const breaks = OFFSETS.find((o) => worstOf(runs, mkey('naive float32', 'var', o)) > BROKEN);
    const breaks64 = OFFSETS.find((o) => worstOf(runs, mkey('naive, float64 sums', 'var', o)) > BROKEN);
    const metrics = {
      'normkit: worst relative variance error': nkVar,
      'normkit: worst output error': nkOut,
      'naive float32: first offset with variance error > 10%': breaks ?? null,
      'naive, float64 sums: first offset with variance error > 10%': breaks64 ?? null,
      'naive float32: variance error at 1e4': worstOf(runs, mkey('naive float32', 'var', 1e4)),
    };
    const accurate = nkVar < NORMKIT_TOL && nkOut < NORMKIT_TOL;
    const ok = accurate && breaks !== undefined;
    const naiveText = breaks === undefined ? `the naive float32 formula never exceeded ${BROKEN} variance error` : `the naive float32 formula is off by more than ${BROKEN * 100}% from offset ${breaks.toExponential(0)} on`;
    const f64Text = breaks64 === undefined ? 'with float64 sums it holds up to 1e8' : `with float64 sums from ${breaks64.toExponential(0)}`;
    return {
      verdict: ok ? 'reproduced' : 'not reproduced',
      metrics,
      explanation: accurate
        ? `normkit stays accurate at every offset (variance error <= ${nkVar.toExponential(1)}, output error <= ${nkOut.toExponential(1)}), while ${naiveText} (${f64Text}).`
        : `normkit lost accuracy: worst variance error ${nkVar.toExponential(2)}, output error ${nkOut.toExponential(2)} (bound ${NORMKIT_TOL}).`,
    };
  },
  tables(runs) {
    return [
      {
        title: 'Worst relative error of the variance (over rows and seeds)',
        columns: ['offset', 'offset / spread', ...METHODS],
        rows: OFFSETS.map((o) => [o.toExponential(0), o / noiseScale(o), ...METHODS.map((m) => worstOf(runs, mkey(m, 'var', o)))]),
      },
      {
        title: 'Worst absolute error of the normalized output (values are O(1))',
        columns: ['offset', ...METHODS],
        rows: OFFSETS.map((o) => [o.toExponential(0), ...METHODS.map((m) => worstOf(runs, mkey(m, 'out', o)))]),
      },
    ];
  },
  charts(runs) {
    const rows = (what: 'var' | 'out'): Row[] =>
      OFFSETS.flatMap((o) =>
        METHODS.map((m) => {
          const v = worstOf(runs, mkey(m, what, o));
          // log axes: exact results shown at the 1e-17 floor, non-finite ones at 1e17
          return { offset: o, method: m, error: Number.isFinite(v) ? Math.max(v, 1e-17) : 1e17 };
        }),
      );
    return [
      lineChart({
        title: 'Relative error of the variance',
        subtitle: 'float32 inputs, worst over rows and seeds; 1 = all digits lost',
        data: rows('var'),
        x: 'offset',
        y: 'error',
        color: 'method',
        logX: true,
        logY: true,
        xTitle: 'common offset',
        yTitle: '|var - var_exact| / var_exact',
        rules: [{ y: NORMKIT_TOL, label: `normkit bound ${NORMKIT_TOL}` }],
      }),
      lineChart({
        title: 'Error of the normalized output',
        subtitle: 'max |y - y_exact|, y is O(1)',
        data: rows('out'),
        x: 'offset',
        y: 'error',
        color: 'method',
        logX: true,
        logY: true,
        xTitle: 'common offset',
        yTitle: 'max |y - y_exact|',
      }),
    ];
  },
};
