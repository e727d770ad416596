/**
 * Experiment 7, invariances: Ba, Kiros & Hinton 2016 ("Layer Normalization",
 * arXiv:1607.06450), Table 1, checked numerically. A linear layer a = W x is
 * followed by BatchNorm (batch statistics per unit), weight normalization
 * (a_i = g_i w_i.x / ||w_i||, the real `nk.weightNorm` parametrization of a
 * `Linear`, g fixed while the direction v is transformed) or LayerNorm
 * (statistics per case over units). Each of six transformations is applied
 * and the max relative change of the layer output is measured:
 *
 *   max |y' - y| / max |y|
 *
 * in float64 with eps = 0 in the normalizations (the paper's invariances are
 * exact for the idealized formulas; a nonzero eps breaks scale invariance by
 * O(eps / var)). A cell is "invariant" below 1e-9 (float64 rounding is
 * ~1e-15), "not invariant" above 1e-3; anything in between is ambiguous.
 */
import * as nk from 'normkit';
import type { Experiment, Json, Profile, ReportTable, RunOutput, RunResult, RunSpec } from '../experiment.js';
import { barChart, type Row } from '../report/charts.js';

const NORMS = ['BatchNorm', 'WeightNorm', 'LayerNorm'] as const;
type Norm = (typeof NORMS)[number];

const TRANSFORMS = [
  'weight-matrix re-scaling',
  'weight-matrix re-centering',
  'weight-vector re-scaling',
  'dataset re-scaling',
  'dataset re-centering',
  'single-case re-scaling',
] as const;
type Transform = (typeof TRANSFORMS)[number];

/** Ba et al. 2016, Table 1: true = invariant. */
const PAPER: Record<Norm, Record<Transform, boolean>> = {
  BatchNorm: {
    'weight-matrix re-scaling': true,
    'weight-matrix re-centering': false,
    'weight-vector re-scaling': true,
    'dataset re-scaling': true,
    'dataset re-centering': true,
    'single-case re-scaling': false,
  },
  WeightNorm: {
    'weight-matrix re-scaling': true,
    'weight-matrix re-centering': false,
    'weight-vector re-scaling': true,
    'dataset re-scaling': false,
    'dataset re-centering': false,
    'single-case re-scaling': false,
  },
  LayerNorm: {
    'weight-matrix re-scaling': true,
    'weight-matrix re-centering': true,
    'weight-vector re-scaling': false,
    'dataset re-scaling': true,
    'dataset re-centering': false,
    'single-case re-scaling': true,
  },
};

const INVARIANT_BELOW = 1e-9;
const CHANGED_ABOVE = 1e-3;

/** Problem size: N cases, D inputs, H units. */
const SIZE = { N: 32, D: 20, H: 16 };

const key = (n: Norm, t: Transform) => `${n}: ${t}`;

/** The layer output of `norm` for weights W [H, D] and data X [N, D] (float64 arrays). */
function layerOutput(norm: Norm, W: Float64Array, X: Float64Array, g: Float64Array): Float64Array {
  const { N, D, H } = SIZE;
  const x = nk.tensor(X, [N, D], { dtype: 'float64' });
  return nk.noGrad(() => {
    if (norm === 'WeightNorm') {
      // nk.weightNorm on a Linear: w_i = g_i v_i / ||v_i||; v is the transformed matrix, g stays fixed.
      const lin = new nk.nn.Linear(D, H, { bias: false });
      lin.registerParameter('weight', nk.tensor(W, [H, D], { dtype: 'float64' }));
      nk.weightNorm(lin, { name: 'weight', dim: 0 });
      lin.getParameter('weight_g')!.data.set(g);
      return Float64Array.from(lin.forward(x).data);
    }
    const a = nk.F.linear(x, nk.tensor(W, [H, D], { dtype: 'float64' }));
    const y = norm === 'BatchNorm' ? nk.F.batchNorm(a, null, null, null, null, true, 0.1, 0) : nk.F.layerNorm(a, [H], null, null, 0);
    return Float64Array.from(y.data);
  });
}

/** Apply transformation `t` to (W, X), drawing its constants from `rng`. */
function transform(t: Transform, W: Float64Array, X: Float64Array, rng: nk.Rng): { W: Float64Array; X: Float64Array; what: string } {
  const { N, D, H } = SIZE;
  const W2 = W.slice();
  const X2 = X.slice();
  const scale = () => (rng.uniform() < 0.5 ? 0.2 + 0.6 * rng.uniform() : 1.5 + 3.5 * rng.uniform());
  switch (t) {
    case 'weight-matrix re-scaling': {
      const d = scale();
      for (let i = 0; i < W2.length; i++) W2[i]! *= d;
      return { W: W2, X: X2, what: `W <- ${d.toFixed(3)} W` };
    }
    case 'weight-matrix re-centering': {
      // W <- W + 1 gamma^T: the same vector added to every row (every unit's weights).
      const gamma = Array.from({ length: D }, () => rng.normal());
      for (let i = 0; i < H; i++) for (let j = 0; j < D; j++) W2[i * D + j]! += gamma[j]!;
      return { W: W2, X: X2, what: 'W <- W + 1 gamma^T' };
    }
    case 'weight-vector re-scaling': {
      // One unit's weight vector scaled: w_i <- delta w_i.
      const i = Math.floor(rng.uniform() * H);
      const d = scale();
      for (let j = 0; j < D; j++) W2[i * D + j]! *= d;
      return { W: W2, X: X2, what: `w_${i} <- ${d.toFixed(3)} w_${i}` };
    }
    case 'dataset re-scaling': {
      const d = scale();
      for (let i = 0; i < X2.length; i++) X2[i]! *= d;
      return { W: W2, X: X2, what: `x <- ${d.toFixed(3)} x for every case` };
    }
    case 'dataset re-centering': {
      const gamma = Array.from({ length: D }, () => rng.normal());
      for (let n = 0; n < N; n++) for (let j = 0; j < D; j++) X2[n * D + j]! += gamma[j]!;
      return { W: W2, X: X2, what: 'x <- x + gamma for every case' };
    }
    case 'single-case re-scaling': {
      const n = Math.floor(rng.uniform() * N);
      const d = scale();
      for (let j = 0; j < D; j++) X2[n * D + j]! *= d;
      return { W: W2, X: X2, what: `x_${n} <- ${d.toFixed(3)} x_${n}` };
    }
  }
}

function maxRelChange(y0: Float64Array, y1: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < y0.length; i++) {
    num = Math.max(num, Math.abs(y1[i]! - y0[i]!));
    den = Math.max(den, Math.abs(y0[i]!));
  }
  return num / den;
}

function classify(v: number | null): 'invariant' | 'not invariant' | 'ambiguous' {
  if (v === null || !Number.isFinite(v)) return 'not invariant';
  if (v < INVARIANT_BELOW) return 'invariant';
  if (v > CHANGED_ABOVE) return 'not invariant';
  return 'ambiguous';
}

/** A run: the layer sizes (recorded for the report; the measurement uses SIZE). */
export type InvariancesConfig = { N: number; D: number; H: number };

function measure(spec: RunSpec<InvariancesConfig>): RunOutput {
  const { N, D, H } = SIZE;
  const rng = new nk.Rng(spec.seed);
  // Data with a nonzero mean per input and weights with a nonzero mean per unit, so no invariance holds by accident.
  const mu = Array.from({ length: D }, () => 2 * rng.normal());
  const X = Float64Array.from({ length: N * D }, (_, k) => mu[k % D]! + rng.normal());
  const W = Float64Array.from({ length: H * D }, () => 0.5 + rng.normal() / Math.sqrt(D));
  const g = Float64Array.from({ length: H }, () => 0.5 + rng.uniform());
  const metrics: { [k: string]: number | null } = {};
  const what: { [k: string]: Json } = {};
  for (const t of TRANSFORMS) {
    const tr = transform(t, W, X, rng);
    what[t] = tr.what;
    for (const n of NORMS) metrics[key(n, t)] = maxRelChange(layerOutput(n, W, X, g), layerOutput(n, tr.W, tr.X, g));
  }
  return { status: 'ok', metrics, extra: { transforms: what } };
}

/** Worst (largest) change over seeds per cell, null when some seed's value is missing. */
function worst(runs: RunResult<InvariancesConfig>[]): Map<string, number | null> {
  const m = new Map<string, number | null>();
  for (const n of NORMS) {
    for (const t of TRANSFORMS) {
      const vs = runs.map((r) => r.metrics[key(n, t)]);
      m.set(key(n, t), vs.some((v) => v === null || v === undefined) ? null : Math.max(...(vs as number[])));
    }
  }
  return m;
}

export const invariances: Experiment<InvariancesConfig> = {
  name: 'invariances',
  title: 'Invariance properties of BatchNorm, weight norm and LayerNorm',
  claim:
    'Under re-scaling and re-centering of the weights and the data, BatchNorm, weight normalization and LayerNorm leave the layer output unchanged in exactly the cases of Ba et al. 2016, Table 1 (e.g. only LayerNorm is invariant to re-centering the weight matrix and to re-scaling a single training case).',
  paper: {
    citation: 'Ba, Kiros & Hinton 2016, "Layer Normalization", arXiv:1607.06450, Section 5.1 and Table 1.',
    setup: 'Analytical: the summed inputs a = W x of one layer are normalized, h = f(g/sigma (a - mu) + b); invariance of h under each transformation is derived from the formulas.',
    numbers: 'Table 1 (invariant / no): BatchNorm: yes, no, yes, yes, yes, no; weight norm: yes, no, yes, no, no, no; LayerNorm: yes, yes, no, yes, no, yes (columns as in the table).',
    table: {
      title: 'Ba et al. 2016, Table 1',
      columns: ['', ...TRANSFORMS],
      rows: NORMS.map((n) => [n, ...TRANSFORMS.map((t) => (PAPER[n][t] ? 'invariant' : 'no'))]),
    },
  },
  setup: (profile) =>
    `A linear layer (${SIZE.D} inputs, ${SIZE.H} units, no bias) on a batch of ${SIZE.N} cases, float64, eps = 0, followed by nk.F.batchNorm (training mode, batch statistics), nk.weightNorm (dim 0, g fixed) or nk.F.layerNorm. ` +
    `Each transformation uses random factors in [0.2, 0.8] or [1.5, 5] and random shift vectors; ${invariances.runs(profile).length} seed(s). ` +
    `Max relative change max|y'-y|/max|y|: invariant below ${INVARIANT_BELOW}, changed above ${CHANGED_ABOVE}.`,
  rule: `reproduced if, with the worst change over seeds, every one of the 18 cells is classified (invariant: < ${INVARIANT_BELOW}; not invariant: > ${CHANGED_ABOVE}) and matches Table 1; not reproduced if a classified cell disagrees; inconclusive if a cell falls in between.`,
  runs(profile: Profile, seeds?: number): RunSpec<InvariancesConfig>[] {
    const n = seeds ?? (profile === 'smoke' ? 1 : profile === 'quick' ? 2 : 3);
    return Array.from({ length: n }, (_, s) => ({ id: `s${s + 1}`, seed: 7000 + s, config: { N: SIZE.N, D: SIZE.D, H: SIZE.H } }));
  },
  run: (spec) => measure(spec),
  judge(runs) {
    const w = worst(runs);
    let mismatches: string[] = [];
    const ambiguous: string[] = [];
    for (const n of NORMS) {
      for (const t of TRANSFORMS) {
        const c = classify(w.get(key(n, t)) ?? null);
        if (c === 'ambiguous') ambiguous.push(key(n, t));
        else if ((c === 'invariant') !== PAPER[n][t]) mismatches.push(`${key(n, t)} (measured ${c})`);
      }
    }
    const metrics: { [k: string]: number | null } = {};
    const inv = [...w.entries()].filter(([k]) => PAPER[k.split(': ')[0] as Norm][k.split(': ')[1] as Transform]).map(([, v]) => v ?? Infinity);
    const non = [...w.entries()].filter(([k]) => !PAPER[k.split(': ')[0] as Norm][k.split(': ')[1] as Transform]).map(([, v]) => v ?? 0);
    metrics['largest change in a cell the paper calls invariant'] = Math.max(...inv);
    metrics['smallest change in a cell the paper calls not invariant'] = Math.min(...non);
    metrics['cells matching the paper'] = 18 - mismatches.length - ambiguous.length;
    if (mismatches.length > 0) {
      return { verdict: 'not reproduced', metrics, explanation: `${mismatches.length} of 18 cells disagree with Table 1: ${mismatches.join('; ')}.` };
    }
    if (ambiguous.length > 0) {
      return { verdict: 'inconclusive', metrics, explanation: `${ambiguous.length} cells changed by between ${INVARIANT_BELOW} and ${CHANGED_ABOVE}: ${ambiguous.join('; ')}.` };
    }
    mismatches = [];
    return {
      verdict: 'reproduced',
      metrics,
      explanation: `All 18 cells match Table 1: the invariant cells change by at most ${Math.max(...inv).toExponential(1)} (float64 rounding), the others by at least ${Math.min(...non).toExponential(1)}.`,
    };
  },
  tables(runs): ReportTable[] {
    const w = worst(runs);
    const cell = (n: Norm, t: Transform) => {
      const v = w.get(key(n, t)) ?? null;
      const c = classify(v);
      const agree = c === 'ambiguous' ? '?' : (c === 'invariant') === PAPER[n][t] ? '' : ' ✗ differs from paper';
      return `${c === 'invariant' ? 'invariant' : c === 'ambiguous' ? 'ambiguous' : 'no'} (${v === null ? 'NaN' : v.toExponential(1)})${agree}`;
    };
    return [
      {
        title: 'Measured: max relative change of the layer output (worst over seeds), beside the paper',
        columns: ['', ...TRANSFORMS],
        rows: NORMS.flatMap((n) => [
          [`${n} (measured)`, ...TRANSFORMS.map((t) => cell(n, t))],
          [`${n} (paper)`, ...TRANSFORMS.map((t) => (PAPER[n][t] ? 'invariant' : 'no'))],
        ]),
      },
      {
        title: 'Transformations applied (first seed)',
        columns: ['transformation', 'applied as'],
        rows: TRANSFORMS.map((t) => [t, String((runs[0]?.extra?.transforms as { [k: string]: Json } | undefined)?.[t] ?? '-')]),
      },
    ];
  },
  charts(runs) {
    const w = worst(runs);
    const rows: Row[] = [];
    // Exact zeros cannot sit on a log axis: shown at the 1e-17 floor (below float64 rounding).
    for (const n of NORMS) for (const t of TRANSFORMS) rows.push({ transformation: t, norm: n, change: Math.max(w.get(key(n, t)) ?? 1, 1e-17) });
    return [
      barChart({
        title: 'Max relative change of the layer output',
        subtitle: `log scale; below ${INVARIANT_BELOW} = invariant (float64 rounding), exact zeros shown at 1e-17`,
        data: rows,
        x: 'transformation',
        y: 'change',
        group: 'norm',
        logY: true,
        xTitle: null,
        xLabelWrap: true,
        yTitle: "max |y' - y| / max |y|",
        width: 720,
        height: 260,
      }),
    ];
  },
};
