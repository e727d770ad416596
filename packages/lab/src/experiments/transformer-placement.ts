/**
 * Experiment 5, transformer-placement: Xiong et al. 2020 show that the
 * original Post-LN Transformer (LN after the residual add) needs a
 * learning-rate warm-up, because at initialization its gradients grow toward
 * the output layers, while Pre-LN (LN inside the residual branch) has flat
 * gradients and trains without warm-up. Zhu et al. 2025 add that DyT
 * (gamma * tanh(alpha x) + beta) can replace LN in a Pre-LN Transformer.
 *
 * Our test: a tiny encoder-only Transformer on token sorting (every output
 * position attends to the whole input), Adam (0.9, 0.98), lr 1e-3, with and
 * without a linear warm-up over 10% of the steps; plus the per-layer gradient
 * norm at initialization for depths 2..8.
 */
import type { Experiment, Judgement, Profile, RunContext, RunOutput, RunResult, RunSpec, ReportTable, ChartSpec, Json } from '../experiment.js';
import { Tensor } from 'normkit';
import { Rng } from 'normkit';
import { zeros, ones, full } from 'normkit';
import { noGrad } from 'normkit';
import { Module } from 'normkit/nn';
import { Linear } from 'normkit/nn';
import { Embedding } from 'normkit/nn';
import { TransformerBlock } from 'normkit/nn';
import { normal_ } from 'normkit/nn/init';
import { add } from 'normkit/functional';
import { reshape } from 'normkit/functional';
import { layerNorm } from 'normkit/functional';
import { dyt } from 'normkit/functional';
import { crossEntropy } from 'normkit/functional';
import { Adam } from 'normkit/optim';
import { linearWarmup } from 'normkit/optim/schedules';
import { sortingBatch, type TokenBatch } from '../data/sequences.js';
import { finiteOrNull, mean, std, downsample, smooth, stepLoop, finiteStep } from '../train-utils.js';
import { lineChart, barChart, seriesRows } from '../report/charts.js';

/** Architectures compared: where the normalization sits, and which one. */
export const PLACEMENT_VARIANTS = ['post-ln', 'pre-ln', 'pre-dyt', 'none'] as const;
export type PlacementVariant = (typeof PLACEMENT_VARIANTS)[number];

const ARCH: Record<PlacementVariant, { norm: 'layernorm' | 'dyt' | 'none'; placement: 'pre' | 'post'; finalNorm: boolean }> = {
  'post-ln': { norm: 'layernorm', placement: 'post', finalNorm: false },
  'pre-ln': { norm: 'layernorm', placement: 'pre', finalNorm: true },
  'pre-dyt': { norm: 'dyt', placement: 'pre', finalNorm: true },
  none: { norm: 'none', placement: 'pre', finalNorm: false },
};

/** Token embedding + learned positions -> depth blocks -> (final norm for Pre-LN/DyT) -> vocabulary logits. */
export class SeqTransformer extends Module {
  readonly blocks: TransformerBlock[] = [];
  readonly d: number;
  readonly finalKind: 'layernorm' | 'dyt' | null;

  constructor(o: { vocab: number; length: number; d: number; heads: number; dFF: number; depth: number; variant: PlacementVariant; rng: Rng }) {
    super();
    const a = ARCH[o.variant];
    this.d = o.d;
    this.registerModule('embed', new Embedding(o.vocab, o.d, { rng: o.rng }));
    // Scale the N(0, 1) table to the usual 0.02-ish range so the residual stream starts at unit-ish scale.
    noGrad(() => normal_(this.getModule('embed').getParameter('weight')!, 0, 1 / Math.sqrt(o.d), { rng: o.rng }));
    const pos = this.registerParameter('pos', zeros([o.length, o.d]))!;
    noGrad(() => normal_(pos, 0, 1 / Math.sqrt(o.d), { rng: o.rng }));
    for (let i = 0; i < o.depth; i++) {
      const b = new TransformerBlock({ dModel: o.d, nHeads: o.heads, dFF: o.dFF, norm: a.norm, placement: a.placement, rng: o.rng });
      this.blocks.push(this.registerModule(`block${i}`, b));
    }
    this.finalKind = a.finalNorm ? (a.norm === 'dyt' ? 'dyt' : 'layernorm') : null;
    if (this.finalKind) {
      this.registerParameter('final_weight', ones([o.d]));
      this.registerParameter('final_bias', zeros([o.d]));
      // DyT's alpha starts at 0.5 (Zhu et al. 2025's default for non-LLM models).
      if (this.finalKind === 'dyt') this.registerParameter('final_alpha', full([1], 0.5));
    }
    this.registerModule('head', new Linear(o.d, o.vocab, { rng: o.rng }));
  }

  private getModule(name: string): Module {
    return this._modules.get(name)!;
  }

  forward(tokens: Int32Array, batch: number, length: number): Tensor {
    let h = (this.getModule('embed') as Embedding).forward(tokens, [batch, length]);
    h = add(h, this.param('pos')!);
    for (const b of this.blocks) h = b.forward(h);
    if (this.finalKind === 'layernorm') h = layerNorm(h, [this.d], this.param('final_weight'), this.param('final_bias'));
    else if (this.finalKind === 'dyt') h = dyt(h, this.param('final_alpha')!, this.param('final_weight'), this.param('final_bias'));
    return (this.getModule('head') as Linear).forward(h);
  }
}

interface Sizes {
  d: number;
  heads: number;
  dFF: number;
  /** Depth of the trained models. */
  depths: number[];
  /** Depths whose gradient norms at initialization are measured. */
  initDepths: number[];
  length: number;
  vocab: number;
  batch: number;
  steps: number;
  seeds: number;
  /** Train every variant with and without warm-up (else: warm-up only for Post-LN and Pre-LN). */
  allWarmups: boolean;
}

const SIZES: Record<Profile, Sizes> = {
  smoke: { d: 8, heads: 2, dFF: 16, depths: [2], initDepths: [2, 3], length: 4, vocab: 4, batch: 4, steps: 5, seeds: 2, allWarmups: false },
  quick: { d: 64, heads: 4, dFF: 128, depths: [4, 8], initDepths: [2, 4, 6, 8], length: 6, vocab: 6, batch: 8, steps: 150, seeds: 2, allWarmups: false },
  full: { d: 64, heads: 4, dFF: 128, depths: [4, 8], initDepths: [2, 4, 6, 8], length: 8, vocab: 8, batch: 16, steps: 500, seeds: 3, allWarmups: false },
};

/** Warm-up length: 10% of the steps (Xiong et al. compare none vs warm-up). */
const warmupSteps = (steps: number) => Math.max(2, Math.round(0.1 * steps));
const LR = 1e-3;
const BETAS: [number, number] = [0.9, 0.98];

/** Thresholds of the verdict rule (fixed before any run). */
export const TP_RULE = { lossRatio: 1.5, gradRatio: 1.5 };

function modelFor(s: Sizes, variant: PlacementVariant, depth: number, seed: number): SeqTransformer {
  return new SeqTransformer({ vocab: s.vocab, length: s.length, d: s.d, heads: s.heads, dFF: s.dFF, depth, variant, rng: new Rng(seed) });
}

function lossOn(model: SeqTransformer, b: TokenBatch): Tensor {
  const logits = model.forward(b.inputs, b.batch, b.length);
  return crossEntropy(reshape(logits, [b.batch * b.length, b.vocab]), b.targets);
}

/** L2 norm of the gradients of a block's weight matrices (2-D parameters: attention and feed-forward). */
function blockGradNorm(b: Module): number {
  let s = 0;
  for (const [, p] of b.namedParameters()) {
    if (p.ndim !== 2 || !p.grad) continue;
    for (const v of p.grad.data) s += v * v;
  }
  return Math.sqrt(s);
}

/** Per-block weight-gradient norms at initialization, for one depth. */
export function initGradNorms(s: Sizes, variant: PlacementVariant, depth: number, seed: number): number[] {
  const model = modelFor(s, variant, depth, seed);
  const b = sortingBatch(new Rng(seed * 7919 + depth), 16, s.length, s.vocab);
  lossOn(model, b).backward();
  return model.blocks.map(blockGradNorm);
}

function finalLoss(losses: readonly number[]): number {
  const k = Math.max(1, Math.ceil(losses.length / 10));
  return mean(losses.slice(-k));
}

const lastOf = (xs: readonly number[]) => xs[xs.length - 1]!;

export const transformerPlacement: Experiment = {
  name: 'transformer-placement',
  title: 'Post-LN vs Pre-LN (and DyT) in a Transformer: warm-up and gradients at initialization',
  claim:
    'A Post-LN Transformer needs learning-rate warm-up: without it training fails, because at initialization the gradients of Post-LN grow toward the output layers; Pre-LN has flat gradients and trains without warm-up. DyT (tanh) can replace LayerNorm in Pre-LN.',
  paper: {
    citation:
      'R. Xiong et al. On Layer Normalization in the Transformer Architecture. ICML 2020 (arXiv:2002.04745). J. Zhu, X. Chen, K. He, Y. LeCun, Z. Liu. Transformers without Normalization. CVPR 2025 (arXiv:2503.10622).',
    setup:
      'Xiong et al.: 6-layer Transformer, IWSLT14 De-En translation, Adam (0.9, 0.98), Post-LN with lr 5e-4 / 1e-3 and warm-up 0 / 500 / 4000 steps, vs Pre-LN without warm-up; gradient norm of each layer at initialization. Zhu et al.: DyT = gamma * tanh(alpha x) + beta with alpha initialized to 0.5 in place of every LN of ViT, DiT, LLaMA, etc.',
    numbers:
      'Xiong et al.: Post-LN without warm-up reaches BLEU 8.45 vs about 34 with warm-up; with lr 1e-3 and a 500-step warm-up only 2.77; Pre-LN without warm-up matches Post-LN with warm-up and converges faster. Zhu et al.: DyT matches LayerNorm (e.g. ViT-B ImageNet top-1 82.5% with DyT vs 82.3% with LN).',
    table: {
      title: 'Xiong et al. 2020, IWSLT14 De-En BLEU (Post-LN)',
      columns: ['setting', 'BLEU'],
      rows: [['Post-LN, no warm-up', 8.45], ['Post-LN, lr 1e-3, warm-up 500 steps', 2.77], ['Post-LN, warm-up 4000 steps', '~34'], ['Pre-LN, no warm-up', '~34']],
    },
  },
  setup(profile) {
    const s = SIZES[profile];
    return `Encoder-only Transformer (d=${s.d}, ${s.heads} heads, FFN ${s.dFF}, learned positions, depth ${s.depths.join('/')}) sorting ${s.length} tokens from ${s.vocab} symbols (fresh random batches of ${s.batch}, so the training loss is also the test loss); Adam (0.9, 0.98), lr 1e-3, ${s.steps} steps, linear warm-up over ${warmupSteps(s.steps)} steps (10%) vs none; final loss = mean of the last 10% of steps. Variants: Post-LN, Pre-LN (final LN), Pre-DyT (alpha 0.5, final DyT), no normalization (Pre placement). Gradient norms of each block's weight matrices at initialization for depths ${s.initDepths.join('/')}, batch of 16. ${s.seeds} seeds.`;
  },
  rule:
    `At the largest trained depth, per seed: Post-LN without warm-up fails if its final loss >= ${TP_RULE.lossRatio}x Pre-LN's without warm-up (a diverged run fails). ` +
    `Gradient shape at init (largest measured depth, mean over seeds): last-to-first block gradient-norm ratio of Post-LN >= ${TP_RULE.gradRatio}x that of Pre-LN. ` +
    'Reproduced if Post-LN fails in more than half of the seeds and the gradient shape holds; not reproduced if it fails in fewer than half; inconclusive otherwise (a tie, or failure without the gradient shape).',
  runs(profile, seeds) {
    const s = SIZES[profile];
    const n = seeds ?? s.seeds;
    const out: RunSpec[] = [];
    for (let seed = 1; seed <= n; seed++) {
      for (const v of PLACEMENT_VARIANTS) out.push({ id: `init-${v}-s${seed}`, seed, config: { kind: 'init', variant: v } });
      for (const depth of s.depths) {
        for (const v of PLACEMENT_VARIANTS) {
          const warms = s.allWarmups || v === 'post-ln' || v === 'pre-ln' ? [false, true] : [false];
          for (const w of warms) out.push({ id: `${v}-${w ? 'warmup' : 'nowarmup'}-L${depth}-s${seed}`, seed, config: { kind: 'train', variant: v, warmup: w, depth } });
        }
      }
    }
    return out;
  },
  run(spec: RunSpec, ctx: RunContext): RunOutput {
    const s = SIZES[ctx.profile];
    const variant = spec.config.variant as PlacementVariant;
    if (!PLACEMENT_VARIANTS.includes(variant)) throw new RangeError(`unknown variant '${String(spec.config.variant)}', expected one of ${PLACEMENT_VARIANTS.join(', ')}`);
    if (spec.config.kind === 'init') {
      const series: { [k: string]: (number | null)[] } = {};
      const metrics: { [k: string]: number | null } = {};
      s.initDepths.forEach((depth, i) => {
        const g = initGradNorms(s, variant, depth, spec.seed);
        series[`grad_L${depth}`] = g.map(finiteOrNull);
        metrics[`ratio_L${depth}`] = finiteOrNull(lastOf(g) / g[0]!);
        ctx.progress((i + 1) / s.initDepths.length);
      });
      return { status: 'ok', metrics, extra: { depths: s.initDepths } };
    }
    const depth = Number(spec.config.depth);
    const warm = spec.config.warmup === true;
    const model = modelFor(s, variant, depth, spec.seed);
    const opt = new Adam(model.parameters(), { lr: LR, betas: BETAS, schedule: linearWarmup(warm ? warmupSteps(s.steps) : 0) });
    const data = new Rng(1000 + spec.seed);
    const t0 = performance.now();
    const { losses, divergedAt } = stepLoop({
      steps: s.steps,
      step: () => {
        const b = sortingBatch(data, s.batch, s.length, s.vocab);
        return finiteStep(opt, () => lossOn(model, b));
      },
      progress: ctx.progress,
    });
    const stepMs = (performance.now() - t0) / Math.max(1, losses.length);
    // Token accuracy on a fresh evaluation batch.
    const ev = sortingBatch(new Rng(5000 + spec.seed), 128, s.length, s.vocab);
    let acc: number | null = null;
    if (divergedAt === undefined) {
      const logits = noGrad(() => model.forward(ev.inputs, ev.batch, ev.length));
      let ok = 0;
      for (let i = 0; i < ev.targets.length; i++) {
        let best = 0;
        for (let c = 1; c < s.vocab; c++) if (logits.data[i * s.vocab + c]! > logits.data[i * s.vocab + best]!) best = c;
        if (best === ev.targets[i]) ok++;
      }
      acc = ok / ev.targets.length;
    }
    const ds = downsample(smooth(losses, 5), 120);
    return {
      status: divergedAt === undefined ? 'ok' : 'diverged',
      divergedAt,
      metrics: { finalLoss: divergedAt === undefined ? finiteOrNull(finalLoss(losses)) : null, accuracy: acc, stepMs },
      series: { loss: ds.values.map(finiteOrNull) },
      extra: { lossEvery: ds.index.length > 1 ? ds.index[1]! - ds.index[0]! : 1 },
    };
  },
  judge(runs: RunResult[], profile: Profile): Judgement {
    const trains = runs.filter((r) => r.config.kind === 'train');
    const inits = runs.filter((r) => r.config.kind === 'init');
    const depth = Math.max(...trains.map((r) => Number(r.config.depth)));
    const metrics: Judgement['metrics'] = {};
    const fl = (r: RunResult | undefined) => (!r ? NaN : r.status === 'diverged' || r.metrics.finalLoss === null ? Infinity : Number(r.metrics.finalLoss));
    const find = (v: PlacementVariant, w: boolean, seed: number) =>
      trains.find((r) => r.config.variant === v && r.config.warmup === w && Number(r.config.depth) === depth && r.seed === seed);
    const seeds = [...new Set(trains.map((r) => r.seed))].sort((a, b) => a - b);
    let fails = 0;
    let counted = 0;
    for (const seed of seeds) {
      const post = fl(find('post-ln', false, seed));
      const pre = fl(find('pre-ln', false, seed));
      if (Number.isNaN(post) || Number.isNaN(pre)) continue;
      counted++;
      if (post >= TP_RULE.lossRatio * pre) fails++;
    }
    for (const v of PLACEMENT_VARIANTS) {
      for (const w of [false, true]) {
        const rs = trains.filter((r) => r.config.variant === v && r.config.warmup === w && Number(r.config.depth) === depth);
        if (!rs.length) continue;
        metrics[`finalLoss_${v}_${w ? 'warmup' : 'nowarmup'}`] = finiteOrNull(mean(rs.map((r) => r.metrics.finalLoss)));
        metrics[`diverged_${v}_${w ? 'warmup' : 'nowarmup'}`] = rs.filter((r) => r.status === 'diverged').length;
      }
    }
    const initDepth = Math.max(...SIZES[profile].initDepths);
    const ratio = (v: PlacementVariant) => mean(inits.filter((r) => r.config.variant === v).map((r) => r.metrics[`ratio_L${initDepth}`]));
    const rPost = ratio('post-ln');
    const rPre = ratio('pre-ln');
    metrics.initGradRatioPostLN = finiteOrNull(rPost);
    metrics.initGradRatioPreLN = finiteOrNull(rPre);
    metrics.postLnFailSeeds = fails;
    metrics.seeds = counted;
    const gradShape = Number.isFinite(rPost) && Number.isFinite(rPre) && rPost >= TP_RULE.gradRatio * rPre;
    const f = (x: number | null | undefined) => (typeof x === 'number' ? x.toFixed(3) : 'n/a');
    const base =
      `Depth ${depth}: final loss without warm-up Post-LN ${f(metrics['finalLoss_post-ln_nowarmup'])} vs Pre-LN ${f(metrics['finalLoss_pre-ln_nowarmup'])} ` +
      `(Post-LN with warm-up ${f(metrics['finalLoss_post-ln_warmup'])}, Pre-DyT ${f(metrics['finalLoss_pre-dyt_nowarmup'])}, none ${f(metrics.finalLoss_none_nowarmup)}); Post-LN failed in ${fails}/${counted} seeds. ` +
      `At init (depth ${initDepth}) the last/first block gradient-norm ratio is ${f(rPost)} for Post-LN vs ${f(rPre)} for Pre-LN.`;
    if (counted === 0) return { verdict: 'inconclusive', metrics, explanation: 'No paired Post-LN / Pre-LN runs without warm-up to compare.' };
    if (2 * fails > counted && gradShape) {
      return { verdict: 'reproduced', metrics, explanation: `${base} Post-LN without warm-up lags far behind, and its gradients grow toward the output at initialization.` };
    }
    if (2 * fails < counted) {
      return {
        verdict: 'not reproduced',
        metrics,
        explanation:
          `${base} ` +
          (gradShape
            ? 'The gradient pattern at initialization appears, but with only this many layers, steps and this small a width, Adam at lr 1e-3 copes with it: the instability Xiong et al. saw needs larger models and longer training.'
            : 'Neither the training failure nor the gradient pattern appears at this scale.'),
      };
    }
    return {
      verdict: 'inconclusive',
      metrics,
      explanation: `${base} ${gradShape ? 'The seeds disagree about the training failure.' : 'Post-LN lags, but the gradient pattern at initialization does not hold, so the mechanism is not confirmed.'}`,
    };
  },
  charts(runs: RunResult[]): ChartSpec[] {
    const inits = runs.filter((r) => r.config.kind === 'init');
    const rows: { [k: string]: Json }[] = [];
    for (const v of PLACEMENT_VARIANTS) {
      const rs = inits.filter((r) => r.config.variant === v);
      if (!rs.length) continue;
      for (const key of Object.keys(rs[0]!.series ?? {})) {
        const depth = Number(key.slice('grad_L'.length));
        for (let layer = 0; layer < depth; layer++) {
          const vals = rs.map((r) => r.series?.[key]?.[layer] ?? null);
          rows.push({ layer: layer + 1, value: finiteOrNull(mean(vals)), variant: v, depth: `depth ${depth}` });
        }
      }
    }
    const trains = runs.filter((r) => r.config.kind === 'train');
    const every = Number(trains[0]?.extra?.lossEvery ?? 1);
    const depth = Math.max(...trains.map((r) => Number(r.config.depth)));
    return [
      lineChart({
        title: 'Gradient norm of each block at initialization',
        subtitle: "L2 norm of the gradient of each block's weight matrices, mean over seeds",
        data: rows, x: 'layer', y: 'value', color: 'variant', column: 'depth', logY: true, xTitle: 'block (1 = input side)', yTitle: 'gradient norm',
      }),
      lineChart({
        title: `Training loss, depth ${depth}`,
        subtitle: 'dashed: with warm-up (10% of steps); mean over seeds',
        data: seriesRows(trains.filter((r) => Number(r.config.depth) === depth), 'loss', (r) => `${String(r.config.variant)}${r.config.warmup ? ' +warm-up' : ''}`, { stepEvery: every }),
        x: 'step', y: 'value', color: 'series', yTitle: 'cross-entropy', colorTitle: 'variant',
      }),
      barChart({
        title: 'Final loss by variant and warm-up',
        data: PLACEMENT_VARIANTS.flatMap((v) =>
          [false, true].flatMap((w) => {
            const rs = trains.filter((r) => r.config.variant === v && r.config.warmup === w && Number(r.config.depth) === depth);
            if (!rs.length) return [];
            return [{ variant: v, warmup: w ? 'warm-up' : 'none', mean: finiteOrNull(mean(rs.map((r) => r.metrics.finalLoss))), std: finiteOrNull(std(rs.map((r) => r.metrics.finalLoss))) }];
          }),
        ),
        x: 'variant', y: 'mean', group: 'warmup', error: 'std', yTitle: 'final loss',
      }),
    ];
  },
  tables(runs: RunResult[]): ReportTable[] {
    const trains = runs.filter((r) => r.config.kind === 'train');
    const depths = [...new Set(trains.map((r) => Number(r.config.depth)))].sort((a, b) => a - b);
    const paper: Record<string, string> = { 'post-ln/false': 'BLEU 8.45 (fails)', 'post-ln/true': 'BLEU ~34', 'pre-ln/false': 'BLEU ~34 (trains, faster)', 'pre-dyt/false': 'matches LN (Zhu et al.)' };
    const rows: (string | number | null)[][] = [];
    for (const depth of depths) {
      for (const v of PLACEMENT_VARIANTS) {
        for (const w of [false, true]) {
          const rs = trains.filter((r) => r.config.variant === v && r.config.warmup === w && Number(r.config.depth) === depth);
          if (!rs.length) continue;
          const fl = mean(rs.map((r) => r.metrics.finalLoss));
          rows.push([depth, v, w ? 'yes' : 'no', paper[`${v}/${w}`] ?? '', Number.isFinite(fl) ? +fl.toFixed(3) : null, +mean(rs.map((r) => r.metrics.accuracy)).toFixed(3) || null, rs.filter((r) => r.status === 'diverged').length, +mean(rs.map((r) => r.metrics.stepMs)).toFixed(1)]);
        }
      }
    }
    return [{ title: "Paper's results beside ours", columns: ['depth', 'variant', 'warm-up', 'paper', 'final loss (ours)', 'token accuracy', 'diverged', 'ms/step'], rows }];
  },
};
