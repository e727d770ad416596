/**
 * Experiment 10, landscape: Santurkar et al. 2018 argue that BatchNorm helps
 * because it makes the loss landscape smoother (the loss and its gradient
 * change less along the gradient direction), not because it reduces
 * internal covariate shift: "noisy BN", which re-injects a random shift and
 * scale after every BN layer at every step, still trains about as well as
 * BN, and BN networks do not show less internal covariate shift by their
 * gradient-based measure.
 *
 * Our test: an MLP (4 x (Linear 64 -> norm -> ReLU) -> Linear 10) on noisy
 * rendered glyphs with plain SGD; variants none, BN, noisy BN. Every few
 * steps, on the current batch and along the step's gradient g, we evaluate
 * the loss and gradient at w - eta g for eta = lr x {0.5, 1, 2, 4}: the loss
 * range (max - min) and the largest l2 change of the gradient
 * ||grad L(w - eta g) - grad L(w)||; and the internal covariate shift of
 * the last hidden layer, ||G - G'|| where G' is its weight gradient after the
 * earlier layers take their SGD step (Santurkar et al., Definition 2.1).
 */
import type { Experiment, Judgement, Profile, RunContext, RunOutput, RunResult, RunSpec, ReportTable, ChartSpec } from '../experiment.js';
import { Tensor } from 'normkit';
import { Rng } from 'normkit';
import { noGrad } from 'normkit';
import { Module } from 'normkit/nn';
import { Linear } from 'normkit/nn';
import { normal_, zeros_ } from 'normkit/nn/init';
import { BatchNorm1d } from 'normkit';
import { relu, mul, add } from 'normkit/functional';
import { crossEntropy } from 'normkit/functional';
import { SGD } from 'normkit/optim';
import { glyphImages } from '../data/glyphs.js';
import { trainLoop, evaluate, finiteOrNull, mean, std, median, type Batch, type ClassificationData } from '../train-utils.js';
import { lineChart, barChart, metricRows, seriesRows } from '../report/charts.js';
import { snapshotBuffers, seedsNeeded } from './learning-rate.js';

/** The variants compared (Santurkar et al. 2018, Figure 2 and 4). */
export const LANDSCAPE_VARIANTS = ['none', 'batchnorm', 'noisy-bn'] as const;
export type LandscapeVariant = (typeof LANDSCAPE_VARIANTS)[number];
/** Step sizes of the landscape probes, in units of the learning rate. */
export const PROBE_STEPS = [0.5, 1, 2, 4] as const;

/**
 * Noise of "noisy BN", re-drawn every training step and per unit: the BN
 * output z becomes s z + m with s ~ U(1 - NOISE.scale, 1 + NOISE.scale) and
 * m ~ U(-NOISE.shift, NOISE.shift). Mean scale 1 and mean shift 0, so the
 * noise-free network is the natural one to evaluate; a shift of up to one
 * standard deviation and a scale varying by 2x make every unit's
 * distribution jump from step to step (deliberate covariate shift).
 */
export const NOISE = { scale: 0.5, shift: 1 };

const SIDE = 8;
const WIDTH = 64;
const DEPTH = 4;
const BATCH = 64;
/** Plain SGD rate for all variants (the landscape is compared at the same rate). */
export const LANDSCAPE_LR = 0.1;

interface Sizes { nTrain: number; nTest: number; steps: number; probeEvery: number; evalEvery: number; seeds: number }
const SIZES: Record<Profile, Sizes> = {
  smoke: { nTrain: 256, nTest: 200, steps: 12, probeEvery: 4, evalEvery: 6, seeds: 1 },
  quick: { nTrain: 3000, nTest: 1000, steps: 1500, probeEvery: 25, evalEvery: 100, seeds: 3 },
  full: { nTrain: 12000, nTest: 2000, steps: 6000, probeEvery: 50, evalEvery: 250, seeds: 3 },
};

/** Thresholds of the verdict rule (fixed before any run). */
export const LANDSCAPE_RULE = {
  /** Noisy BN "trains about as well": final test accuracy at least BN's minus this (mean over seeds). */
  noisyTolerance: 0.03,
};

/** Per-unit random scale and shift after a BN layer, held fixed within a step (set by `redraw`), off in eval mode. */
class UnitNoise extends Module {
  scale: Tensor;
  shift: Tensor;
  constructor(readonly width: number) {
    super();
    this.scale = new Tensor(new Float32Array(width).fill(1), [1, width]);
    this.shift = new Tensor(new Float32Array(width), [1, width]);
  }
  redraw(rng: Rng): void {
    for (let j = 0; j < this.width; j++) {
      this.scale.data[j] = 1 + NOISE.scale * (2 * rng.uniform() - 1);
      this.shift.data[j] = NOISE.shift * (2 * rng.uniform() - 1);
    }
  }
  forward(x: Tensor): Tensor {
    return this.training ? add(mul(x, this.scale), this.shift) : x;
  }
}

/** DEPTH x (Linear WIDTH -> [BN [-> noise]] -> ReLU) -> Linear 10. */
class LandscapeMlp extends Module {
  readonly fcs: Linear[] = [];
  readonly bns: (BatchNorm1d | null)[] = [];
  readonly noises: UnitNoise[] = [];
  readonly head: Linear;
  constructor(inF: number, variant: LandscapeVariant, rng: Rng) {
    super();
    for (let l = 0; l < DEPTH; l++) {
      const fc = new Linear(l === 0 ? inF : WIDTH, WIDTH, { rng });
      // He init (Santurkar et al.'s VGG is properly initialized): the plain net then trains, so the comparison is of landscapes, not of a stalled baseline
      noGrad(() => {
        normal_(fc.weight!, 0, Math.sqrt(2 / fc.inFeatures), { rng });
        zeros_(fc.bias!);
      });
      this.fcs.push(this.registerModule(`fc${l + 1}`, fc));
      this.bns.push(this.registerModule(`bn${l + 1}`, variant === 'none' ? null : new BatchNorm1d(WIDTH)));
      if (variant === 'noisy-bn') this.noises.push(this.registerModule(`noise${l + 1}`, new UnitNoise(WIDTH)));
    }
    this.head = this.registerModule('head', new Linear(WIDTH, 10, { rng }));
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (let l = 0; l < DEPTH; l++) {
      h = this.fcs[l]!.forward(h);
      const bn = this.bns[l];
      if (bn) h = bn.forward(h);
      const nz = this.noises[l];
      if (nz) h = nz.forward(h);
      h = relu(h);
    }
    return this.head.forward(h);
  }
}

function flatGlyphs(n: number, seed: number): ClassificationData {
  const d = glyphImages({ n, seed, size: SIDE, channels: 1 });
  return { ...d, featureShape: [SIDE * SIDE] };
}

/** ||a - b||^2 over two arrays of equal length. */
function sqDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return s;
}

/** What one landscape probe measures at the current weights and batch. */
export interface ProbeResult {
  /** max - min of the loss over w - eta g, eta in lr x PROBE_STEPS (null if a probe loss is not finite). */
  lossRange: number | null;
  /** max over eta of ||grad L(w - eta g) - grad L(w)||_2 over all parameters (null if not finite). */
  gradChange: number | null;
  /** ||G - G'||_2 of the last hidden layer's weight gradient when the earlier layers take their SGD step first. */
  ics: number | null;
  /** ics / ||G||. */
  icsRel: number | null;
}

/**
 * Measure the landscape along the current gradient on batch `b`. Expects
 * `p.grad` set by the step's backward; leaves weights, gradients and BN
 * running statistics exactly as it found them.
 */
function probeLandscape(model: LandscapeMlp, b: Batch, lr: number): ProbeResult {
  const named = model.namedParameters();
  const ps = named.map(([, p]) => p);
  const w0 = ps.map((p) => p.data.slice());
  const g0 = ps.map((p) => p.grad);
  if (g0.some((g) => g === null)) throw new Error('landscape probe: a parameter has no gradient; call backward() before probing');
  const restoreBuffers = snapshotBuffers(model);
  const lossGrad = (): { loss: number; grads: (Tensor | null)[] } => {
    for (const p of ps) p.grad = null;
    const loss = crossEntropy(model.forward(b.x), b.y);
    const v = loss.item();
    if (Number.isFinite(v)) loss.backward();
    return { loss: v, grads: ps.map((p) => p.grad) };
  };
  const gradDist = (gs: (Tensor | null)[], only?: (i: number) => boolean): number => {
    let s = 0;
    for (let i = 0; i < ps.length; i++) if (!only || only(i)) s += gs[i] ? sqDiff(gs[i]!.data, g0[i]!.data) : NaN;
    return Math.sqrt(s);
  };
  const losses: number[] = [];
  let change = 0;
  for (const f of PROBE_STEPS) {
    const eta = lr * f;
    ps.forEach((p, i) => {
      const d = p.data, w = w0[i]!, g = g0[i]!.data;
      for (let j = 0; j < d.length; j++) d[j] = w[j]! - eta * g[j]!;
    });
    const r = lossGrad();
    losses.push(r.loss);
    // Math.max propagates NaN: one non-finite probe makes the whole measurement null
    change = Math.max(change, Number.isFinite(r.loss) ? gradDist(r.grads) : NaN);
  }
  // Internal covariate shift (Santurkar et al., Definition 2.1) of the last hidden Linear:
  // G = its gradient now; G' = its gradient after every earlier layer takes its SGD step.
  const last = `fc${DEPTH}.`;
  const layerIdx = named.findIndex(([n]) => n === `${last}weight`);
  const earlier = (n: string) => {
    const m = /^(fc|bn)(\d+)\./.exec(n);
    return m !== null && Number(m[2]) < DEPTH;
  };
  ps.forEach((p, i) => {
    const d = p.data, w = w0[i]!, g = g0[i]!.data;
    const step = earlier(named[i]![0]) ? lr : 0;
    for (let j = 0; j < d.length; j++) d[j] = w[j]! - step * g[j]!;
  });
  const r = lossGrad();
  const ics = Number.isFinite(r.loss) ? gradDist(r.grads, (i) => i === layerIdx) : NaN;
  let gNorm = 0;
  for (const v of g0[layerIdx]!.data) gNorm += v * v;
  gNorm = Math.sqrt(gNorm);
  // restore
  ps.forEach((p, i) => {
    p.data.set(w0[i]!);
    p.grad = g0[i]!;
  });
  restoreBuffers();
  const range = losses.every(Number.isFinite) ? Math.max(...losses) - Math.min(...losses) : NaN;
  return { lossRange: finiteOrNull(range), gradChange: finiteOrNull(change), ics: finiteOrNull(ics), icsRel: finiteOrNull(ics / gNorm) };
}

/** A run's per-probe median of a metric (null when it has no finite probe). */
function med(r: RunResult, k: string): number | null {
  const v = r.metrics[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Final accuracy of a run; a run without one (diverged before any evaluation) counts as chance. */
function finalAcc(r: LsRun): number {
  const v = r.metrics.finalAcc;
  return typeof v === 'number' && Number.isFinite(v) ? v : 0.1;
}

/** The verdict rule, on finished runs (exported for tests). */
export function judgeLandscape(runs: LsRun[]): Judgement {
  const find = (v: LandscapeVariant, seed: number) => runs.find((r) => r.config.variant === v && r.seed === seed);
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b).filter((s) => find('none', s) && find('batchnorm', s));
  const metrics: Judgement['metrics'] = {};
  for (const v of LANDSCAPE_VARIANTS) {
    const rs = runs.filter((r) => r.config.variant === v);
    for (const k of ['lossRange', 'gradChange', 'ics', 'icsRel']) metrics[`${k}_${v}`] = finiteOrNull(mean(rs.map((r) => med(r, k))));
    metrics[`finalAcc_${v}`] = rs.length ? finiteOrNull(mean(rs.map(finalAcc))) : null;
    metrics[`finalAccStd_${v}`] = rs.length ? finiteOrNull(std(rs.map(finalAcc))) : null;
    metrics[`diverged_${v}`] = rs.filter((r) => r.status === 'diverged').length;
  }
  if (seeds.length === 0) return { verdict: 'inconclusive', metrics, explanation: 'No seed has both a no-normalization and a BatchNorm run: nothing to compare.' };
  // a variant with no finite probe has no measurable landscape: none then counts as rough, BN as not smoother
  let smootherSeeds = 0;
  for (const s of seeds) {
    const n = find('none', s)!;
    const b = find('batchnorm', s)!;
    const lower = (k: string) => {
      const bv = med(b, k);
      const nv = med(n, k) ?? Infinity;
      return bv !== null && bv < nv;
    };
    if (lower('lossRange') && lower('gradChange')) smootherSeeds++;
  }
  const need = seedsNeeded(seeds.length);
  metrics.smootherSeeds = smootherSeeds;
  metrics.seedsNeeded = need;
  const smooth = smootherSeeds >= need;
  const bnRuns = runs.filter((r) => r.config.variant === 'batchnorm');
  const noisyRuns = runs.filter((r) => r.config.variant === 'noisy-bn');
  const accBn = mean(bnRuns.map(finalAcc));
  const accNoisy = noisyRuns.length ? mean(noisyRuns.map(finalAcc)) : NaN;
  const noisyOk = Number.isFinite(accNoisy) && accNoisy >= accBn - LANDSCAPE_RULE.noisyTolerance;
  const g = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? 'n/a' : x.toPrecision(d));
  const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
  const base =
    `Median loss range along the gradient: none ${g(metrics.lossRange_none)}, BN ${g(metrics.lossRange_batchnorm)}, noisy BN ${g(metrics['lossRange_noisy-bn'])}; ` +
    `largest gradient change: none ${g(metrics.gradChange_none)}, BN ${g(metrics.gradChange_batchnorm)}, noisy BN ${g(metrics['gradChange_noisy-bn'])}; ` +
    `BN lower on both in ${smootherSeeds} of ${seeds.length} seeds (needed ${need}). Final test accuracy: none ${pct(mean(runs.filter((r) => r.config.variant === 'none').map(finalAcc)))}, BN ${pct(accBn)}, noisy BN ${pct(accNoisy)}. ` +
    `Internal covariate shift ||G - G'|| of the last hidden layer: none ${g(metrics.ics_none)}, BN ${g(metrics.ics_batchnorm)}, noisy BN ${g(metrics['ics_noisy-bn'])}.`;
  if (smooth && noisyOk) {
    return { verdict: 'reproduced', metrics, explanation: `${base} BN makes the landscape smoother along the gradient, and noisy BN, with its deliberately shifting distributions, trains about as well as BN.` };
  }
  if (!smooth && !noisyOk) {
    return {
      verdict: 'not reproduced', metrics,
      explanation: `${base} Neither part shows: at this size and rate the plain MLP's landscape is not rougher than BN's along the gradient, and the injected noise costs accuracy.`,
    };
  }
  return {
    verdict: 'inconclusive', metrics,
    explanation: smooth
      ? `${base} BN's landscape is smoother, but noisy BN ends more than ${LANDSCAPE_RULE.noisyTolerance * 100} points below BN: here the injected distribution shift does hurt.`
      : `${base} Noisy BN trains about as well as BN, but BN's landscape is not smoother on both measures in enough seeds: the plain MLP at this rate is already smooth enough along its gradient.`,
  };
}

/** One run: a landscape variant. */
export type LandscapeConfig = { variant: LandscapeVariant };
type LsRun = RunResult<LandscapeConfig>;

export const landscape: Experiment<LandscapeConfig> = {
  name: 'landscape',
  title: 'Does BatchNorm smooth the loss landscape (and is internal covariate shift beside the point)?',
  claim:
    'With BatchNorm the loss and its gradient change much less along the gradient direction (a smoother landscape, so larger steps are safe); "noisy BN", which adds a random per-step shift and scale after each BN, trains about as well as BN, so reducing internal covariate shift is not what helps.',
  paper: {
    citation: 'S. Santurkar, D. Tsipras, A. Ilyas, A. Madry. How Does Batch Normalization Help Optimization? NeurIPS 2018 (arXiv:1805.11604).',
    setup:
      'VGG on CIFAR-10 (and a 25-layer deep linear network), SGD; at each step the loss and gradient are evaluated along the gradient direction over a range of step sizes: loss landscape variation, gradient predictiveness (l2 change of the gradient) and effective beta-smoothness. "Noisy" BN adds time-varying non-zero-mean, non-unit-variance noise after each BN layer. ICS (Definition 2.1): ||G - G\'|| and the cosine between a layer\'s gradient before and after the earlier layers update.',
    numbers:
      'Figures only, no table: Figure 4 shows the loss variation and the gradient change along the gradient several-fold smaller with BN throughout training (at lr 0.1 and 0.4); Figure 2: VGG with standard BN and with noisy BN reach about the same training and test accuracy, both above the network without BN, although noisy BN\'s activations are visibly less stable; Figure 5: networks with BN show as much or more ICS (larger ||G - G\'||, lower cosine) than without.',
  },
  setup(profile) {
    const s = SIZES[profile];
    return `Noisy rendered ${SIDE}x${SIDE} glyphs (10 classes, 64 pixel inputs), ${s.nTrain} training / ${s.nTest} test examples; MLP ${DEPTH} x (Linear ${WIDTH} -> norm -> ReLU) -> Linear 10; ` +
      `plain SGD lr ${LANDSCAPE_LR}, batch ${BATCH}, ${s.steps} steps; variants ${LANDSCAPE_VARIANTS.join(', ')} (noisy BN: per unit and step, scale U(${1 - NOISE.scale}, ${1 + NOISE.scale}) and shift U(-${NOISE.shift}, ${NOISE.shift}) after each BN, no noise at evaluation). ` +
      `Every ${s.probeEvery} steps, on that step's batch, the loss and gradient at w - eta g for eta = lr x {${PROBE_STEPS.join(', ')}} (BN with batch statistics, running statistics restored), and the ICS of layer ${DEPTH}; test accuracy every ${s.evalEvery} steps; ${s.seeds} seed(s).`;
  },
  rule:
    'Per run, the median over probes of the loss range (max - min over the four step sizes) and of the largest l2 change of the gradient. ' +
    '(a) smoother: BN\'s medians are lower than none\'s on both measures, in at least 2/3 of the seeds (rounded up; a run without a finite probe counts as rough for none and as not smoother for BN). ' +
    `(b) noisy BN trains about as well: its mean final test accuracy is at least BN's minus ${LANDSCAPE_RULE.noisyTolerance * 100} points (a run without an evaluation counts as chance, 10%). ` +
    'Reproduced if (a) and (b); not reproduced if neither; inconclusive if exactly one holds. The ICS measure is reported, not judged.',
  runs(profile, seeds) {
    const n = seeds ?? SIZES[profile].seeds;
    const out: RunSpec<LandscapeConfig>[] = [];
    for (let s = 1; s <= n; s++) for (const v of LANDSCAPE_VARIANTS) out.push({ id: `${v}-s${s}`, seed: s, config: { variant: v } });
    return out;
  },
  run(spec: RunSpec<LandscapeConfig>, ctx: RunContext): RunOutput {
    const s = SIZES[ctx.profile];
    const variant = spec.config.variant;
    if (!LANDSCAPE_VARIANTS.includes(variant)) throw new RangeError(`landscape: unknown variant '${String(spec.config.variant)}', expected one of ${LANDSCAPE_VARIANTS.join(', ')}`);
    const train = flatGlyphs(s.nTrain, 500 + spec.seed);
    const test = flatGlyphs(s.nTest, 8000 + spec.seed);
    const model = new LandscapeMlp(SIDE * SIDE, variant, new Rng(spec.seed));
    const noiseRng = new Rng(1_000_003 * spec.seed + 17);
    const opt = new SGD(model.parameters(), { lr: LANDSCAPE_LR });
    const series: { [k: string]: (number | null)[] } = { lossRange: [], gradChange: [], ics: [], icsRel: [], probeStep: [], testAcc: [], evalStep: [] };
    const lossOf = (logits: Tensor, y: Int32Array) => crossEntropy(logits, y).item();
    model.train();
    const res = trainLoop({
      data: train, batchSize: BATCH, steps: s.steps, seed: spec.seed, evalEvery: s.evalEvery, progress: ctx.progress,
      step: (b, i) => {
        for (const nz of model.noises) nz.redraw(noiseRng);
        opt.zeroGrad();
        const loss = crossEntropy(model.forward(b.x), b.y);
        const v = loss.item();
        if (!Number.isFinite(v)) return v;
        loss.backward();
        if (i % s.probeEvery === 0) {
          const p = probeLandscape(model, b, LANDSCAPE_LR);
          series.lossRange!.push(p.lossRange);
          series.gradChange!.push(p.gradChange);
          series.ics!.push(p.ics);
          series.icsRel!.push(p.icsRel);
          series.probeStep!.push(i);
        }
        opt.step();
        return v;
      },
      onEval: (done) => {
        model.eval();
        const r = noGrad(() => evaluate(test, (x) => model.forward(x), lossOf, 1000));
        model.train();
        series.testAcc!.push(finiteOrNull(r.accuracy));
        series.evalStep!.push(done);
      },
    });
    const acc = series.testAcc!.filter((v): v is number => v !== null);
    const m = (k: string) => finiteOrNull(median(series[k]!));
    return {
      status: res.status,
      ...(res.divergedAt !== undefined ? { divergedAt: res.divergedAt } : {}),
      metrics: {
        lossRange: m('lossRange'), gradChange: m('gradChange'), ics: m('ics'), icsRel: m('icsRel'),
        finalAcc: res.status === 'ok' && acc.length ? acc[acc.length - 1]! : null,
        bestAcc: acc.length ? Math.max(...acc) : null,
        finalTrainLoss: finiteOrNull(mean(res.losses.slice(-50))),
      },
      series,
      extra: { probeEvery: s.probeEvery },
    };
  },
  judge: (runs) => judgeLandscape(runs),
  charts(runs: LsRun[]): ChartSpec[] {
    const label = (r: LsRun) => r.config.variant;
    const every = Number(runs[0]?.extra?.probeEvery ?? 1);
    const evalEvery = (() => {
      const st = runs.find((r) => (r.series?.evalStep?.length ?? 0) > 0)?.series?.evalStep;
      return typeof st?.[0] === 'number' ? st[0] : 1;
    })();
    return [
      lineChart({
        title: 'Loss range along the gradient (max - min over lr x 0.5, 1, 2, 4)',
        subtitle: 'Santurkar et al. 2018, Figure 4(a); mean over seeds',
        data: seriesRows(runs, 'lossRange', label, { stepEvery: every }), x: 'step', y: 'value', color: 'series', logY: true, yTitle: 'loss range', colorTitle: 'variant', points: false,
      }),
      lineChart({
        title: 'Gradient predictiveness: largest l2 change of the gradient along the gradient',
        subtitle: 'Santurkar et al. 2018, Figure 4(b); mean over seeds',
        data: seriesRows(runs, 'gradChange', label, { stepEvery: every }), x: 'step', y: 'value', color: 'series', logY: true, yTitle: '||grad change||', colorTitle: 'variant', points: false,
      }),
      lineChart({
        title: "Internal covariate shift of the last hidden layer, ||G - G'||",
        subtitle: 'Santurkar et al. 2018, Definition 2.1; mean over seeds',
        data: seriesRows(runs, 'ics', label, { stepEvery: every }), x: 'step', y: 'value', color: 'series', logY: true, yTitle: "||G - G'||", colorTitle: 'variant', points: false,
      }),
      lineChart({
        title: 'Test accuracy during training (noise off at evaluation)',
        data: seriesRows(runs, 'testAcc', label, { stepEvery: evalEvery, stepOffset: evalEvery }), x: 'step', y: 'value', color: 'series', yTitle: 'test accuracy', colorTitle: 'variant',
      }),
      barChart({
        title: 'Final test accuracy', subtitle: 'mean and std over seeds',
        data: metricRows(runs, 'finalAcc', label), x: 'group', y: 'mean', error: 'std', xTitle: 'variant', yTitle: 'final test accuracy',
      }),
    ];
  },
  tables(runs: LsRun[]): ReportTable[] {
    const j = judgeLandscape(runs);
    const f = (x: number | null | undefined) => (x === null || x === undefined ? null : +x.toPrecision(3));
    const paper: Record<LandscapeVariant, string> = {
      none: 'rough: large loss variation and gradient change; lowest accuracy',
      batchnorm: 'several-fold smaller loss variation and gradient change; ICS not lower',
      'noisy-bn': 'accuracy about that of BN despite unstable activations',
    };
    return [{
      title: "Santurkar et al. 2018's findings beside ours (medians over probes, mean over seeds)",
      columns: ['variant', 'paper (VGG, CIFAR-10)', 'loss range', 'gradient change', "ICS ||G - G'||", "ICS / ||G||", 'final test acc', 'std', 'diverged runs'],
      rows: LANDSCAPE_VARIANTS.map((v) => [
        v, paper[v], f(j.metrics[`lossRange_${v}`]), f(j.metrics[`gradChange_${v}`]), f(j.metrics[`ics_${v}`]), f(j.metrics[`icsRel_${v}`]),
        f(j.metrics[`finalAcc_${v}`]), f(j.metrics[`finalAccStd_${v}`]), j.metrics[`diverged_${v}`] ?? 0,
      ]),
    }];
  },
};
