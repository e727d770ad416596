/**
 * Experiment 2, signal-propagation: gradient norms per layer of deep MLPs at
 * initialization (vanishing / flat / exploding), and whether the nets train.
 * BatchNorm without residual connections makes gradients explode toward the
 * input (Yang et al. 2019); LayerNorm or a residual path avoid it.
 */
import type { Experiment, Profile, RunOutput, RunResult, RunSpec, Judgement, ChartSpec, ReportTable } from '../experiment.js';
import { Tensor } from 'normkit';
import { Rng } from 'normkit';
import { Module } from 'normkit/nn';
import { Linear } from 'normkit/nn';
import { normal_, zeros_ } from 'normkit/nn/init';
import { noGrad } from 'normkit';
import { relu, tanh, add } from 'normkit/functional';
import { crossEntropy } from 'normkit/functional';
import { SGD } from 'normkit/optim';
import { warpedMixture } from '../data/mixtures.js';
import { trainClassifier, gather, mean, std, finiteOrNull, type ClassificationData } from '../train-utils.js';
import { makeNorm } from 'normkit/nn';
import type { UnaryModule } from 'normkit/nn';
import { lineChart, barChart, seriesRows, metricRows } from '../report/charts.js';

/** The configurations: activation, weight variance (times 1/fan_in), normalization, residual. */
const CONFIGS: Record<string, { act: 'tanh' | 'relu'; varW: number; norm: 'none' | 'batchnorm' | 'layernorm'; residual: boolean; label: string }> = {
  'tanh-0.5': { act: 'tanh', varW: 0.5, norm: 'none', residual: false, label: 'tanh, var 0.5 (vanishing)' },
  'tanh-1': { act: 'tanh', varW: 1, norm: 'none', residual: false, label: 'tanh, var 1' },
  'tanh-2': { act: 'tanh', varW: 2, norm: 'none', residual: false, label: 'tanh, var 2' },
  'relu-he': { act: 'relu', varW: 2, norm: 'none', residual: false, label: 'ReLU + He' },
  'relu-bn': { act: 'relu', varW: 2, norm: 'batchnorm', residual: false, label: 'ReLU + BN' },
  'relu-ln': { act: 'relu', varW: 2, norm: 'layernorm', residual: false, label: 'ReLU + LN' },
  'relu-bn-res': { act: 'relu', varW: 2, norm: 'batchnorm', residual: true, label: 'ReLU + BN + residual' },
};
const NAMES = Object.keys(CONFIGS);

interface Size { width: number; batch: number; depths: number[]; seeds: number; train: { depth: number; width: number; batch: number; steps: number; n: number } }
const SIZES: Record<Profile, Size> = {
  smoke: { width: 32, batch: 32, depths: [6], seeds: 1, train: { depth: 6, width: 16, batch: 16, steps: 10, n: 160 } },
  quick: { width: 128, batch: 64, depths: [10, 20, 50], seeds: 3, train: { depth: 20, width: 48, batch: 32, steps: 60, n: 1600 } },
  full: { width: 256, batch: 128, depths: [10, 20, 50], seeds: 3, train: { depth: 50, width: 128, batch: 64, steps: 400, n: 4000 } },
};
const IN_DIM = 32;

/** h <- act(norm(W h + b)), or h <- h + act(norm(W h + b)) with residuals (after the first layer). */
class DeepMlp extends Module {
  readonly layers: Linear[] = [];
  private readonly norms: UnaryModule[] = [];
  private readonly head: Linear;
  /** When set, forward keeps each layer's pre-activation (linear output) with retainGrad, for the probes. */
  probe: Tensor[] | null = null;
  constructor(private readonly cfg: (typeof CONFIGS)[string], depth: number, width: number, rng: Rng) {
    super();
    for (let l = 0; l < depth; l++) {
      const fanIn = l === 0 ? IN_DIM : width;
      const lin = new Linear(fanIn, width, { rng });
      noGrad(() => {
        normal_(lin.weight!, 0, Math.sqrt(cfg.varW / fanIn), { rng });
        zeros_(lin.bias!);
      });
      this.layers.push(this.registerModule(`fc${l + 1}`, lin));
      this.norms.push(this.registerModule(`norm${l + 1}`, makeNorm(cfg.norm, width)));
    }
    this.head = this.registerModule('head', new Linear(width, 10, { rng }));
  }
  forward(x: Tensor): Tensor {
    let h = x;
    this.layers.forEach((lin, l) => {
      let z = lin.forward(h);
      if (this.probe) this.probe.push(z.retainGrad());
      z = this.norms[l]!.forward(z);
      z = this.cfg.act === 'tanh' ? tanh(z) : relu(z);
      h = this.cfg.residual && l > 0 ? add(h, z) : z;
    });
    return this.head.forward(h);
  }
}

/** Standardize features with the training set's per-feature mean and std (the raw mixture is ill-scaled on purpose). */
function standardize(train: ClassificationData, others: ClassificationData[]): void {
  const d = train.featureShape[0]!;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < train.n; i++) m += train.x[i * d + j]!;
    m /= train.n;
    let v = 0;
    for (let i = 0; i < train.n; i++) v += (train.x[i * d + j]! - m) ** 2;
    const s = Math.sqrt(v / train.n) || 1;
    for (const ds of [train, ...others]) for (let i = 0; i < ds.n; i++) ds.x[i * d + j] = (ds.x[i * d + j]! - m) / s;
  }
}

/** Least-squares slope of log(g_l) against l; returns exp(-slope): the factor by which the gradient grows per layer toward the input. */
export function growthPerLayer(gradNorms: readonly (number | null)[]): number {
  const pts = gradNorms.map((g, l) => [l, g] as const).filter((p): p is readonly [number, number] => typeof p[1] === 'number' && p[1] > 0 && Number.isFinite(p[1]));
  if (pts.length < 2) return NaN;
  const mx = pts.reduce((a, p) => a + p[0], 0) / pts.length;
  const my = pts.reduce((a, p) => a + Math.log(p[1]), 0) / pts.length;
  let sxy = 0;
  let sxx = 0;
  for (const [x, g] of pts) {
    sxy += (x - mx) * (Math.log(g) - my);
    sxx += (x - mx) ** 2;
  }
  return Math.exp(-sxy / sxx);
}

const RULE =
  'At the deepest depth of the profile, fit log ||dL/dz_l|| (z_l: layer l\'s pre-activation, i.e. the back-propagated signal) against l; growth = exp(-slope), the factor per layer toward the input. ' +
  'Reproduced if (a) ReLU+BN without residuals has mean growth >= 1.1 and >= 1.1 in every seed, (b) tanh var 0.5 has mean growth <= 0.95, ' +
  '(c) ReLU+He is flat (0.9..1.1), and (d) LN and BN+residual each grow less than plain BN. Not reproduced if (a) fails on the mean; inconclusive otherwise.';

/** A run: a configuration's gradients at initialization at one depth, or its brief training. */
export type SpConfig = { phase: 'init'; name: string; depth: number } | { phase: 'train'; name: string };
type SpRun = RunResult<SpConfig>;
type InitRun = RunResult<Extract<SpConfig, { phase: 'init' }>>;
const isInit = (r: SpRun): r is InitRun => r.config.phase === 'init';

/** The configuration of a run, checked (names come back from disk as JSON). */
function configOf(name: string): (typeof CONFIGS)[string] {
  const c = CONFIGS[name];
  if (!c) throw new RangeError(`signal-propagation: unknown configuration '${name}', expected one of ${NAMES.join(', ')}`);
  return c;
}

/** The verdict rule, on finished runs (exported for tests). */
export function judgeSignalPropagation(runs: SpRun[]): Judgement {
  const init = runs.filter(isInit);
  if (init.length === 0) return { verdict: 'inconclusive', metrics: {}, explanation: 'No initialization runs finished.' };
  const depth = Math.max(...init.map((r) => r.config.depth));
  const g = (c: string) => init.filter((r) => r.config.name === c && r.config.depth === depth).map((r) => r.metrics.growth ?? null);
  const metrics: Judgement['metrics'] = { depth };
  for (const c of NAMES) {
    metrics[`${c}.weightGrowth`] = finiteOrNull(mean(init.filter((r) => r.config.name === c && r.config.depth === depth).map((r) => r.metrics.weightGrowth ?? null)));
    metrics[`${c}.growth`] = finiteOrNull(mean(g(c)));
    metrics[`${c}.growthStd`] = finiteOrNull(std(g(c)));
    const span = init.filter((r) => r.config.name === c && r.config.depth === depth).map((r) => r.metrics.firstOverLast ?? null);
    metrics[`${c}.firstOverLast`] = finiteOrNull(mean(span));
  }
  const bn = mean(g('relu-bn'));
  const a = bn >= 1.1 && g('relu-bn').every((v) => v !== null && v >= 1.1);
  const b = mean(g('tanh-0.5')) <= 0.95;
  const he = mean(g('relu-he'));
  const c = he >= 0.9 && he <= 1.1;
  const d = mean(g('relu-ln')) < bn && mean(g('relu-bn-res')) < bn;
  const train = runs.filter((r) => r.config.phase === 'train');
  const drop = (cname: string) => mean(train.filter((r) => r.config.name === cname).map((r) => r.metrics.lossDrop ?? null));
  for (const cn of NAMES) metrics[`${cn}.trainLossDrop`] = finiteOrNull(drop(cn));
  for (const cn of NAMES) metrics[`${cn}.trainTestAcc`] = finiteOrNull(mean(train.filter((r) => r.config.name === cn).map((r) => r.metrics.testAcc ?? null)));
  const verdict = a && b && c && d ? 'reproduced' : !(bn >= 1.1) ? 'not reproduced' : 'inconclusive';
  const f = (k: string) => (metrics[`${k}.growth`] ?? NaN).toFixed(3);
  const explanation =
    `Growth per layer at depth ${depth}: BN ${f('relu-bn')} (paper ~1.21), tanh 0.5 ${f('tanh-0.5')}, tanh 1 ${f('tanh-1')}, tanh 2 ${f('tanh-2')}, ReLU+He ${f('relu-he')}, LN ${f('relu-ln')}, BN+residual ${f('relu-bn-res')}. ` +
    (train.length ? `Brief training (loss drop, first to last tenth): ${NAMES.map((n) => `${n} ${(metrics[`${n}.trainLossDrop`] ?? NaN).toFixed(2)}`).join(', ')}.` : '') +
    (verdict !== 'reproduced' ? ` Failed parts: ${[a ? '' : '(a) BN explosion', b ? '' : '(b) tanh vanishing', c ? '' : '(c) ReLU+He flat', d ? '' : '(d) LN/residual below BN'].filter(Boolean).join(', ')}.` : '');
  return { verdict, metrics, explanation };
}

function runInit(spec: RunSpec<Extract<SpConfig, { phase: 'init' }>>, s: Size): RunOutput {
  const cfg = configOf(spec.config.name);
  const depth = spec.config.depth;
  const rng = new Rng(spec.seed);
  const data = warpedMixture({ n: s.batch, seed: 500 + spec.seed });
  standardize(data, []);
  const model = new DeepMlp(cfg, depth, s.width, rng);
  model.train();
  model.probe = [];
  const b = gather(data, Int32Array.from({ length: data.n }, (_, i) => i));
  const loss = crossEntropy(model.forward(b.x), b.y);
  const lv = loss.item();
  if (!Number.isFinite(lv)) return { status: 'diverged', divergedAt: 0, metrics: { growth: null, firstOverLast: null } };
  loss.backward();
  const norm2 = (t: Tensor | null) => {
    if (!t) return 0;
    let ss = 0;
    for (let i = 0; i < t.size; i++) ss += t.data[i]! * t.data[i]!;
    return Math.sqrt(ss);
  };
  // the back-propagated signal dL/dz_l (what vanishes or explodes), and the weight gradients dL/dW_l
  const deltas = model.probe.map((z) => norm2(z.grad));
  const wgrads = model.layers.map((l) => norm2(l.weight!.grad));
  // layer 1 has a different fan-in (the data), so the fits and the spans use the hidden layers 2..L
  const hidden = deltas.slice(1);
  const hw = wgrads.slice(1);
  return {
    status: 'ok',
    metrics: {
      growth: finiteOrNull(growthPerLayer(hidden)), firstOverLast: finiteOrNull(hidden[0]! / hidden[hidden.length - 1]!),
      weightGrowth: finiteOrNull(growthPerLayer(hw)), weightFirstOverLast: finiteOrNull(hw[0]! / hw[hw.length - 1]!), loss: lv,
    },
    series: { gradNorm: deltas.map(finiteOrNull), weightGradNorm: wgrads.map(finiteOrNull) },
  };
}

function runTrain(spec: RunSpec<SpConfig>, s: Size, progress: (f: number) => void): RunOutput {
  const cfg = configOf(spec.config.name);
  const t = s.train;
  const train = warpedMixture({ n: t.n, seed: 600 + spec.seed });
  const test = warpedMixture({ n: 500, seed: 700 + spec.seed });
  standardize(train, [test]);
  const model = new DeepMlp(cfg, t.depth, t.width, new Rng(spec.seed));
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const r = trainClassifier({ model, optimizer: opt, train, test, batchSize: t.batch, steps: t.steps, evalEvery: t.steps, seed: spec.seed, progress });
  const k = Math.max(1, Math.floor(r.losses.length / 10));
  const first = mean(r.losses.slice(0, k));
  const last = mean(r.losses.slice(-k));
  return {
    status: r.status,
    ...(r.divergedAt !== undefined ? { divergedAt: r.divergedAt } : {}),
    metrics: { lossDrop: r.status === 'ok' ? finiteOrNull(first - last) : null, finalLoss: finiteOrNull(last), testAcc: finiteOrNull(r.testAcc[0] ?? NaN) },
    series: { loss: r.losses.map(finiteOrNull) },
  };
}

export const signalPropagation: Experiment<SpConfig> = {
  name: 'signal-propagation',
  title: 'Signal propagation: gradient norms per layer at initialization',
  claim: 'At initialization, deep tanh nets with small weights have vanishing gradients, ReLU + He init keeps them flat, and BatchNorm without residual connections makes them explode toward the input (about 1.21x per layer); LayerNorm or residual connections avoid the explosion. The vanishing and deep-BN nets train poorly.',
  paper: {
    citation: 'Yang, Pennington, Rao, Sohl-Dickstein, Schoenholz, "A Mean Field Theory of Batch Normalization", ICLR 2019; Glorot & Bengio 2010; He et al. 2015.',
    setup: 'Fully connected nets at initialization, width ~1000, batch 128 statistics; gradient norms of each layer\'s weights.',
    numbers: 'BatchNorm with ReLU, no residuals: gradients grow by about 1.21x per layer toward the input (~1e4 at depth 50); deep BN nets without residuals cannot be trained.',
    table: { title: 'Paper', columns: ['configuration', 'growth per layer'], rows: [['ReLU + BN (no residual)', 1.21], ['ReLU + He', 1]] },
  },
  setup(profile) {
    const s = SIZES[profile];
    return `MLPs of width ${s.width}, depths ${s.depths.join('/')}, one batch of ${s.batch} standardized warped-mixture examples, cross-entropy loss; ` +
      `weights N(0, var/fan_in), zero biases; per-layer Frobenius norm of dL/dW at init. Brief training: depth ${s.train.depth}, width ${s.train.width}, batch ${s.train.batch}, SGD lr 0.01 momentum 0.9, ${s.train.steps} steps. ${s.seeds} seed(s).`;
  },
  rule: RULE,
  runs(profile, seeds) {
    const s = SIZES[profile];
    const n = seeds ?? s.seeds;
    const out: RunSpec<SpConfig>[] = [];
    for (const name of NAMES) {
      for (const d of s.depths) for (let k = 1; k <= n; k++) out.push({ id: `init-${name}-d${d}-s${k}`, seed: k, config: { phase: 'init', name, depth: d } });
      for (let k = 1; k <= n; k++) out.push({ id: `train-${name}-s${k}`, seed: k, config: { phase: 'train', name } });
    }
    return out;
  },
  run(spec, ctx) {
    const s = SIZES[ctx.profile];
    const c = spec.config;
    return c.phase === 'init' ? runInit({ ...spec, config: c }, s) : runTrain(spec, s, ctx.progress);
  },
  judge: (runs) => judgeSignalPropagation(runs),
  charts(runs: SpRun[]): ChartSpec[] {
    const init = runs.filter(isInit);
    const depth = Math.max(...init.map((r) => r.config.depth), 0);
    const lab = (r: SpRun) => CONFIGS[r.config.name]?.label ?? r.config.name;
    return [
      lineChart({ title: `Back-propagated gradient ||dL/dz|| per layer at init (depth ${depth}, mean over seeds)`, data: seriesRows(init.filter((r) => r.config.depth === depth), 'gradNorm', lab, { stepOffset: 1 }),
        x: 'step', y: 'value', color: 'series', xTitle: 'layer (1 = input side)', yTitle: '||dL/dz||', logY: true }),
      lineChart({ title: `Norm of each layer's weight gradient dL/dW at init (depth ${depth})`, data: seriesRows(init.filter((r) => r.config.depth === depth), 'weightGradNorm', lab, { stepOffset: 1 }),
        x: 'step', y: 'value', color: 'series', xTitle: 'layer (1 = input side)', yTitle: '||dL/dW||', logY: true }),
      barChart({ title: 'Gradient growth per layer toward the input', data: metricRows(init, 'growth', (r) => `${r.config.name} d${r.config.depth}`), x: 'group', y: 'mean', error: 'std', yTitle: 'growth factor per layer' }),
      lineChart({ title: 'Brief training: loss per step (mean over seeds)', data: seriesRows(runs.filter((r) => r.config.phase === 'train'), 'loss', lab, { maxPoints: 150 }),
        x: 'step', y: 'value', color: 'series', yTitle: 'training loss', logY: true }),
    ];
  },
  tables(runs: SpRun[]): ReportTable[] {
    const j = judgeSignalPropagation(runs);
    return [{
      title: `Growth per layer at depth ${j.metrics.depth ?? '?'} (ours) beside the paper`,
      columns: ['configuration', 'ours: growth per layer of dL/dz', 'ours: layer 2 / layer L', 'ours: growth of dL/dW', 'paper', 'training loss drop'],
      rows: NAMES.map((n) => [CONFIGS[n]!.label, j.metrics[`${n}.growth`] ?? null, j.metrics[`${n}.firstOverLast`] ?? null, j.metrics[`${n}.weightGrowth`] ?? null, n === 'relu-bn' ? '~1.21 (explodes)' : n === 'relu-he' ? '~1 (flat)' : n === 'tanh-0.5' ? '< 1 (vanishes)' : '', j.metrics[`${n}.trainLossDrop`] ?? null]),
    }];
  },
};
