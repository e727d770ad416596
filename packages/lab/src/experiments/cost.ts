/**
 * Experiment 8, cost: does RMSNorm save running time against LayerNorm at
 * similar quality (Zhang & Sennrich 2019)?
 *
 * Two kinds of runs:
 * - `timing`: forward + backward (through autograd, gain and bias requiring
 *   gradients) of `layerNorm` and `rmsNorm` on [rows, width] float32 inputs for
 *   widths 64..4096 at a fixed number of elements, and of a pre-norm
 *   `TransformerBlock` with each normalization. LN and RMS alternate inside
 *   each repeat so machine noise hits both alike; the figure is the median.
 * - `train`: a small Transformer (embedding, learned positions, pre-norm
 *   blocks, linear head) learning to reverse token sequences with each
 *   normalization, same seed: the final loss, token accuracy and step time.
 *
 * Verdict from the measured ratio RMS / LN time, and quality parity.
 */
import * as nk from 'normkit';
import { Embedding } from 'normkit/nn';
import { Linear } from 'normkit/nn';
import { TransformerBlock } from 'normkit/nn';
import { Module } from 'normkit/nn';
import { Adam } from 'normkit/optim';
import { reversalBatch, type TokenBatch } from '../data/sequences.js';
import type { Experiment, Profile, RunContext, RunOutput, RunResult, RunSpec } from '../experiment.js';
import { barChart, lineChart, type Row } from '../report/charts.js';

type Norm = 'layernorm' | 'rmsnorm';
const NORMS: Norm[] = ['layernorm', 'rmsnorm'];
const WIDTHS = [64, 256, 1024, 4096];

interface Sizes {
  /** Elements per timed input (rows = elements / width). */
  elements: number;
  reps: number;
  /** Transformer block timed: width, heads, batch, tokens. */
  block: { d: number; heads: number; batch: number; tokens: number };
  /** Trained model. */
  train: { d: number; heads: number; depth: number; length: number; vocab: number; batch: number; steps: number };
  seeds: number;
}

const SIZES: Record<Profile, Sizes> = {
  smoke: { elements: 1 << 14, reps: 3, block: { d: 64, heads: 4, batch: 2, tokens: 8 }, train: { d: 16, heads: 2, depth: 1, length: 5, vocab: 5, batch: 8, steps: 12 }, seeds: 1 },
  quick: { elements: 1 << 18, reps: 9, block: { d: 256, heads: 4, batch: 8, tokens: 16 }, train: { d: 32, heads: 4, depth: 2, length: 6, vocab: 6, batch: 16, steps: 300 }, seeds: 2 },
  full: { elements: 1 << 20, reps: 15, block: { d: 512, heads: 8, batch: 8, tokens: 32 }, train: { d: 64, heads: 4, depth: 2, length: 8, vocab: 8, batch: 32, steps: 1500 }, seeds: 3 },
};

/** Thresholds of the verdict rule, fixed before any run. */
export const COST_RULE = {
  /** RMS/LN time ratio at or below this counts as the paper's minimum saving (7%). */
  saving: 0.93,
  /** Quality parity: RMS final loss within this factor of LN's (plus an absolute slack for near-zero losses). */
  lossFactor: 1.15,
  lossSlack: 0.05,
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Milliseconds of one call of `fn`, repeating it so a sample lasts >= 1 ms. */
function sample(fn: () => void, inner: number): number {
  const t = performance.now();
  for (let i = 0; i < inner; i++) fn();
  return (performance.now() - t) / inner;
}

function innerFor(fn: () => void): number {
  fn(); // warm-up
  const t = performance.now();
  fn();
  const once = performance.now() - t;
  return Math.max(1, Math.min(200, Math.ceil(1 / Math.max(once, 1e-3))));
}

/** Median ms of fwd+bwd for LN and RMS, alternating them inside each repeat. */
function timePair(fns: Record<Norm, () => void>, reps: number): Record<Norm, number> {
  const inner = { layernorm: innerFor(fns.layernorm), rmsnorm: innerFor(fns.rmsnorm) };
  const t: Record<Norm, number[]> = { layernorm: [], rmsnorm: [] };
  for (let r = 0; r < reps; r++) {
    const order: Norm[] = r % 2 ? ['rmsnorm', 'layernorm'] : ['layernorm', 'rmsnorm'];
    for (const k of order) t[k].push(sample(fns[k], inner[k]));
  }
  return { layernorm: median(t.layernorm), rmsnorm: median(t.rmsnorm) };
}

function normFwdBwd(norm: Norm, x: nk.Tensor, w: nk.Tensor, b: nk.Tensor, g: nk.Tensor, width: number): () => void {
  return () => {
    x.grad = null; w.grad = null; b.grad = null;
    const y = norm === 'layernorm' ? nk.F.layerNorm(x, [width], w, b) : nk.F.rmsNorm(x, [width], w);
    y.backward(g);
  };
}

function runTiming(s: Sizes, seed: number, ctx: RunContext): RunOutput {
  const rng = new nk.Rng(seed);
  const metrics: { [k: string]: number | null } = {};
  WIDTHS.forEach((width, i) => {
    const rows = Math.max(1, Math.floor(s.elements / width));
    const x = nk.randn([rows, width], { rng }).requiresGrad_();
    const g = nk.randn([rows, width], { rng });
    const w = nk.ones([width]).requiresGrad_();
    const b = nk.zeros([width]).requiresGrad_();
    const t = timePair({ layernorm: normFwdBwd('layernorm', x, w, b, g, width), rmsnorm: normFwdBwd('rmsnorm', x, w, b, g, width) }, s.reps);
    metrics[`ln_ms_w${width}`] = t.layernorm;
    metrics[`rms_ms_w${width}`] = t.rmsnorm;
    metrics[`ratio_w${width}`] = t.rmsnorm / t.layernorm;
    ctx.progress((i + 1) / (WIDTHS.length + 1));
  });
  const { d, heads, batch, tokens } = s.block;
  const blocks = { layernorm: new TransformerBlock({ dModel: d, nHeads: heads, norm: 'layernorm', rng: new nk.Rng(seed) }), rmsnorm: new TransformerBlock({ dModel: d, nHeads: heads, norm: 'rmsnorm', rng: new nk.Rng(seed) }) };
  const x = nk.randn([batch, tokens, d], { rng });
  const g = nk.randn([batch, tokens, d], { rng });
  const blockFn = (k: Norm) => () => {
    for (const p of blocks[k].parameters()) p.grad = null;
    blocks[k].forward(x).backward(g);
  };
  const tb = timePair({ layernorm: blockFn('layernorm'), rmsnorm: blockFn('rmsnorm') }, s.reps);
  metrics.block_ln_ms = tb.layernorm;
  metrics.block_rms_ms = tb.rmsnorm;
  metrics.block_ratio = tb.rmsnorm / tb.layernorm;
  ctx.progress(1);
  return { status: 'ok', metrics, extra: { backend: nk.getBackend(), elements: s.elements } };
}

/** Token embedding + learned positions -> pre-norm blocks -> final norm -> vocabulary logits. */
class CostModel extends Module {
  private readonly blocks: TransformerBlock[] = [];
  constructor(private readonly o: Sizes['train'] & { norm: Norm; rng: nk.Rng }) {
    super();
    this.registerModule('embed', new Embedding(o.vocab, o.d, { rng: o.rng }));
    const pos = this.registerParameter('pos', nk.randn([o.length, o.d], { rng: o.rng }))!;
    nk.noGrad(() => { for (let i = 0; i < pos.size; i++) pos.data[i] *= 1 / Math.sqrt(o.d); });
    for (let i = 0; i < o.depth; i++) {
      this.blocks.push(this.registerModule(`block${i}`, new TransformerBlock({ dModel: o.d, nHeads: o.heads, norm: o.norm, rng: o.rng })));
    }
    this.registerParameter('final_weight', nk.ones([o.d]));
    if (o.norm === 'layernorm') this.registerParameter('final_bias', nk.zeros([o.d]));
    this.registerModule('head', new Linear(o.d, o.vocab, { rng: o.rng }));
  }

  forward(tokens: Int32Array, batch: number, length: number): nk.Tensor {
    let h = (this._modules.get('embed') as Embedding).forward(tokens, [batch, length]);
    h = nk.add(h, this.param('pos')!);
    for (const b of this.blocks) h = b.forward(h);
    h = this.o.norm === 'layernorm'
      ? nk.F.layerNorm(h, [this.o.d], this.param('final_weight'), this.param('final_bias'))
      : nk.F.rmsNorm(h, [this.o.d], this.param('final_weight'));
    return (this._modules.get('head') as Linear).forward(h);
  }
}

function lossOn(model: CostModel, b: TokenBatch): nk.Tensor {
  return nk.crossEntropy(nk.reshape(model.forward(b.inputs, b.batch, b.length), [b.batch * b.length, b.vocab]), b.targets);
}

function runTrain(s: Sizes, norm: Norm, seed: number, ctx: RunContext): RunOutput {
  const t = s.train;
  const model = new CostModel({ ...t, norm, rng: new nk.Rng(seed) });
  const opt = new Adam(model.parameters(), { lr: 2e-3 });
  const data = new nk.Rng(7000 + seed);
  const losses: number[] = [];
  const stepMs: number[] = [];
  for (let step = 1; step <= t.steps; step++) {
    const b = reversalBatch(data, t.batch, t.length, t.vocab);
    const t0 = performance.now();
    const v = nk.tidy(() => { // the step's tensors go back to the backend at once
      opt.zeroGrad();
      const loss = lossOn(model, b);
      const lv = loss.item();
      if (Number.isFinite(lv)) {
        loss.backward();
        opt.step();
      }
      return lv;
    });
    if (!Number.isFinite(v)) return { status: 'diverged', divergedAt: step, metrics: {}, series: { loss: losses } };
    stepMs.push(performance.now() - t0);
    losses.push(v);
    if ((step & 15) === 0) ctx.progress(step / t.steps);
  }
  const tail = losses.slice(-Math.max(1, Math.round(t.steps / 10)));
  const ev = reversalBatch(new nk.Rng(9000 + seed), 128, t.length, t.vocab);
  const logits = nk.noGrad(() => model.forward(ev.inputs, ev.batch, ev.length));
  let correct = 0;
  for (let i = 0; i < ev.batch * ev.length; i++) {
    let best = 0;
    for (let v = 1; v < t.vocab; v++) if (logits.data[i * t.vocab + v]! > logits.data[i * t.vocab + best]!) best = v;
    if (best === ev.targets[i]) correct++;
  }
  return {
    status: 'ok',
    metrics: { finalLoss: tail.reduce((a, b) => a + b, 0) / tail.length, accuracy: correct / (ev.batch * ev.length), stepMs: median(stepMs) },
    series: { loss: losses },
  };
}

/** A run: the timings, or training with one of the two norms. */
export type CostConfig = { kind: 'timing' } | { kind: 'train'; norm: Norm };
type CostRun = RunResult<CostConfig>;

const byKind = (runs: CostRun[], kind: CostConfig['kind'], norm?: Norm) =>
  runs.filter((r) => r.config.kind === kind && (norm === undefined || (r.config.kind === 'train' && r.config.norm === norm)) && r.status === 'ok');
const meanOf = (xs: (number | null | undefined)[]) => {
  const f = xs.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
};
const nn = (v: number) => (Number.isFinite(v) ? v : null);

export const cost: Experiment<CostConfig> = {
  name: 'cost',
  title: 'Cost: RMSNorm against LayerNorm running time',
  claim: 'RMSNorm reaches quality comparable to LayerNorm while cutting running time by 7%-64%, because it skips the mean (re-centering) statistic.',
  paper: {
    citation: 'Zhang & Sennrich 2019, "Root Mean Square Layer Normalization", NeurIPS 2019 (arXiv:1910.07467).',
    setup: 'LayerNorm replaced by RMSNorm in RNNsearch (GRU) machine translation, CNN/Daily Mail reading comprehension, image-caption retrieval, CIFAR-10 classification and a Transformer, in TensorFlow, Theano and PyTorch; wall time per fixed number of training steps.',
    numbers: 'Running time reduced by 7% to 64% across models and implementations, with BLEU / accuracy on par with LayerNorm (their Tables 1-6).',
  },
  setup(profile) {
    const s = SIZES[profile];
    return `Forward + backward through autograd (gain and bias with gradients) of layerNorm and rmsNorm on ${s.elements} float32 elements at widths ${WIDTHS.join('/')} ` +
      `(rows = elements / width), and of a pre-norm TransformerBlock (d=${s.block.d}, ${s.block.heads} heads, ${s.block.batch}x${s.block.tokens} tokens); LN and RMS alternate within each of ${s.reps} repeats, median; active kernel backend at run time. ` +
      `Quality: a ${s.train.depth}-block pre-norm Transformer (d=${s.train.d}) reversing ${s.train.length} tokens of ${s.train.vocab} symbols, Adam lr 2e-3, ${s.train.steps} steps of batch ${s.train.batch}; final loss (mean of the last 10%) and token accuracy. ${s.seeds} seed(s).`;
  },
  rule: `reproduced if the median RMS/LN fwd+bwd time ratio is <= ${COST_RULE.saving} (at least the paper's 7% saving) at a majority of widths AND RMSNorm's mean final training loss is within ${COST_RULE.lossFactor}x LN's + ${COST_RULE.lossSlack}; not reproduced if the ratio is >= 1 at a majority of widths (no saving) or quality is not on par; inconclusive otherwise.`,
  runs(profile, seeds) {
    const n = seeds ?? SIZES[profile].seeds;
    const out: RunSpec<CostConfig>[] = [];
    for (let k = 0; k < n; k++) {
      out.push({ id: `timing-s${k + 1}`, seed: 800 + k, config: { kind: 'timing' } });
      for (const norm of NORMS) out.push({ id: `train-${norm}-s${k + 1}`, seed: 800 + k, config: { kind: 'train', norm } });
    }
    return out;
  },
  run(spec, ctx) {
    const s = SIZES[ctx.profile];
    const c = spec.config;
    if (c.kind === 'train' && !NORMS.includes(c.norm)) throw new RangeError(`cost: unknown norm '${String(c.norm)}', expected one of ${NORMS.join(', ')}`);
    return c.kind === 'timing' ? runTiming(s, spec.seed, ctx) : runTrain(s, c.norm, spec.seed, ctx);
  },
  judge(runs) {
    const timing = byKind(runs, 'timing');
    const ratios = WIDTHS.map((w) => median(timing.map((r) => r.metrics[`ratio_w${w}`]).filter((v): v is number => typeof v === 'number')));
    const blockRatio = median(timing.map((r) => r.metrics.block_ratio).filter((v): v is number => typeof v === 'number'));
    const lnLoss = meanOf(byKind(runs, 'train', 'layernorm').map((r) => r.metrics.finalLoss));
    const rmsLoss = meanOf(byKind(runs, 'train', 'rmsnorm').map((r) => r.metrics.finalLoss));
    const lnAcc = meanOf(byKind(runs, 'train', 'layernorm').map((r) => r.metrics.accuracy));
    const rmsAcc = meanOf(byKind(runs, 'train', 'rmsnorm').map((r) => r.metrics.accuracy));
    const metrics: { [k: string]: number | null } = {};
    WIDTHS.forEach((w, i) => { metrics[`RMS/LN time, width ${w}`] = nn(ratios[i]!); });
    metrics['RMS/LN time, Transformer block'] = nn(blockRatio);
    metrics['LN final loss'] = nn(lnLoss);
    metrics['RMS final loss'] = nn(rmsLoss);
    metrics['LN token accuracy'] = nn(lnAcc);
    metrics['RMS token accuracy'] = nn(rmsAcc);
    const majority = Math.floor(WIDTHS.length / 2) + 1;
    const saves = ratios.filter((r) => r <= COST_RULE.saving).length;
    const noSaving = ratios.filter((r) => r >= 1).length;
    const parity = Number.isFinite(lnLoss) && Number.isFinite(rmsLoss) && rmsLoss <= lnLoss * COST_RULE.lossFactor + COST_RULE.lossSlack;
    const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
    const ratioText = `RMS/LN time ${ratios.map(fmt).join(' / ')} at widths ${WIDTHS.join('/')} (block: ${fmt(blockRatio)})`;
    const lossText = `final loss LN ${fmt(lnLoss)} vs RMS ${fmt(rmsLoss)}, accuracy ${fmt(lnAcc)} vs ${fmt(rmsAcc)}`;
    if (!Number.isFinite(lnLoss) || !Number.isFinite(rmsLoss) || timing.length === 0) {
      return { verdict: 'inconclusive', metrics, explanation: `Missing or diverged runs: ${ratioText}; ${lossText}.` };
    }
    if (saves >= majority && parity) {
      return { verdict: 'reproduced', metrics, explanation: `${ratioText}: RMSNorm saves ${Math.round((1 - Math.max(...ratios)) * 100)}%-${Math.round((1 - Math.min(...ratios)) * 100)}% of the normalization time; ${lossText}. Inside a whole block the saving is diluted by attention and the feed-forward matmuls.` };
    }
    if (noSaving >= majority || !parity) {
      return { verdict: 'not reproduced', metrics, explanation: !parity ? `Quality is not on par: ${lossText}; ${ratioText}.` : `${ratioText}: normkit's fused LayerNorm costs about as much as RMSNorm, since both are bound by memory traffic and the extra mean pass runs on a row already in cache; ${lossText}.` };
    }
    return { verdict: 'inconclusive', metrics, explanation: `${ratioText}: a saving below the paper's 7% at most widths, or mixed; ${lossText}.` };
  },
  charts(runs) {
    const timing = byKind(runs, 'timing');
    const rows: Row[] = [];
    for (const r of timing) {
      for (const w of WIDTHS) {
        rows.push({ width: w, norm: 'LayerNorm', ms: r.metrics[`ln_ms_w${w}`] ?? null, seed: r.seed });
        rows.push({ width: w, norm: 'RMSNorm', ms: r.metrics[`rms_ms_w${w}`] ?? null, seed: r.seed });
      }
    }
    const ratioRows: Row[] = timing.flatMap((r) => WIDTHS.map((w) => ({ width: w, ratio: r.metrics[`ratio_w${w}`] ?? null, seed: String(r.seed) })));
    const train = byKind(runs, 'train');
    const lossRows: Row[] = train.map((r) => ({ norm: r.config.kind === 'train' ? r.config.norm : '', loss: r.metrics.finalLoss ?? null, seed: String(r.seed) }));
    return [
      lineChart({ title: 'Forward + backward time (ms) by width', data: rows, x: 'width', y: 'ms', color: 'norm', logX: true, logY: true, xTitle: 'width (elements per row)', yTitle: 'ms per fwd+bwd' }),
      lineChart({ title: 'RMSNorm / LayerNorm time', data: ratioRows, x: 'width', y: 'ratio', color: 'seed', logX: true, rules: [{ y: 1, label: 'equal' }, { y: COST_RULE.saving, label: '7% saving' }], xTitle: 'width', yTitle: 'time ratio RMS / LN' }),
      barChart({ title: 'Final training loss (reversal task)', data: lossRows, x: 'norm', y: 'loss', group: 'seed' }),
    ];
  },
};
