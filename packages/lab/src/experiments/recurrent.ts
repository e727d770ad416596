/**
 * Experiment 6, recurrent: Ba et al. 2016 introduced layer normalization for
 * recurrent networks, where batch statistics are awkward (they vary per time
 * step), and report that normalizing the recurrent pre-activations speeds up
 * training. Our test: an LSTM with and without LayerNorm on its input and
 * recurrent pre-activations (and cell), trained with Adam on the adding
 * problem; we count the steps each needs to bring the mean squared error
 * below a threshold, and compare LN gain initializations 1.0 and 0.1.
 */
import type { Experiment, Judgement, Profile, RunContext, RunOutput, RunResult, RunSpec, ReportTable, ChartSpec } from '../experiment.js';
import { Tensor } from 'normkit';
import { Rng } from 'normkit';
import { Module } from 'normkit/nn';
import { Linear } from 'normkit/nn';
import { LSTMCell } from 'normkit/nn';
import { reshape, slice } from 'normkit/functional';
import { mseLoss } from 'normkit/functional';
import { Adam } from 'normkit/optim';
import { addingBatch } from '../data/sequences.js';
import { finiteOrNull, mean, median, std, smooth, downsample, firstReach, stepLoop, finiteStep } from '../train-utils.js';
import { lineChart, barChart, metricRows, seriesRows } from '../report/charts.js';

/** Variants: plain LSTM, LN-LSTM with gains initialized to 1, LN-LSTM with gains initialized to 0.1. */
export const RNN_VARIANTS = ['baseline', 'ln', 'ln-gain0.1'] as const;
export type RnnVariant = (typeof RNN_VARIANTS)[number];

/** LSTM over the sequence, then a linear read-out of the last hidden state. */
class AddingLstm extends Module {
  readonly cell: LSTMCell;
  readonly head: Linear;
  constructor(hidden: number, variant: RnnVariant, rng: Rng) {
    super();
    this.cell = this.registerModule('cell', new LSTMCell(2, hidden, { layerNorm: variant !== 'baseline', lnGain: variant === 'ln-gain0.1' ? 0.1 : 1, rng }));
    this.head = this.registerModule('head', new Linear(hidden, 1, { rng }));
  }

  /** x [B, T, 2] -> prediction [B]. */
  forward(x: Tensor): Tensor {
    const [B, T] = x.shape as [number, number, number];
    let state: [Tensor, Tensor] | null = null;
    for (let t = 0; t < T; t++) state = this.cell.forward(reshape(slice(x, 1, t, t + 1), [B, 2]), state);
    return reshape(this.head.forward(state![0]), [B]);
  }
}

interface Sizes {
  hidden: number;
  length: number;
  batch: number;
  steps: number;
  seeds: number;
}

const SIZES: Record<Profile, Sizes> = {
  smoke: { hidden: 8, length: 6, batch: 8, steps: 12, seeds: 2 },
  quick: { hidden: 32, length: 20, batch: 16, steps: 300, seeds: 3 },
  full: { hidden: 64, length: 40, batch: 32, steps: 1500, seeds: 3 },
};

/** Thresholds of the verdict rule, fixed before any run. */
export const RNN_RULE = {
  /** MSE target: 30% of the constant-prediction baseline 1/6. */
  threshold: 0.05,
  /** Smoothing window (steps) of the training loss before testing the threshold. */
  window: 10,
  reproducedRatio: 0.8,
  notReproducedRatio: 1.0,
};

/** Steps to the threshold; a run that never reaches it is censored at the step budget. */
function stepsTo(r: RunResult, budget: number): number {
  const v = r.metrics.stepsToThreshold;
  return typeof v === 'number' && Number.isFinite(v) ? v : budget;
}

/** One run: an LSTM variant. */
export type RecurrentConfig = { variant: RnnVariant };
type RnnRun = RunResult<RecurrentConfig>;

export const recurrent: Experiment<RecurrentConfig> = {
  name: 'recurrent',
  title: 'LayerNorm in a recurrent network: time to a loss threshold',
  claim: 'Layer normalization of the recurrent pre-activations speeds up the training of RNNs (fewer updates to reach the same loss).',
  paper: {
    citation: 'J. L. Ba, J. R. Kiros, G. E. Hinton. Layer Normalization. arXiv:1607.06450, 2016.',
    setup: 'LN-LSTM / LN-GRU vs the same models without LN on order embeddings (image-caption retrieval), question answering (CNN corpus), skip-thoughts, DRAW on binarized MNIST and handwriting; Adam; gains initialized to 1 (the paper also discusses 0.1, as used for recurrent BatchNorm).',
    numbers: 'Order embeddings: LN reaches the baseline\'s best validation performance in about 60% of the time; DRAW: LN converges about twice as fast (test NLL 82.09 vs 82.36 without LN); the attentive reader with LN also trains faster than with recurrent BatchNorm.',
  },
  setup(profile) {
    const s = SIZES[profile];
    return `LSTM (hidden ${s.hidden}) on the adding problem, sequences of ${s.length} steps, read-out of the last hidden state, MSE; Adam lr 1e-3, batch ${s.batch} of fresh sequences (training loss = test loss), ${s.steps} steps. Variants: no LN; LN on the input and recurrent pre-activations and the cell, gains initialized to 1.0; the same with gains 0.1. Steps to bring the ${RNN_RULE.window}-step moving average of the loss below ${RNN_RULE.threshold} (the constant prediction scores 1/6 ~ 0.167). ${s.seeds} seeds.`;
  },
  rule:
    `Per seed, ratio = steps to an MSE of ${RNN_RULE.threshold} with LN (gain 1.0) / steps without LN (a run that never gets there counts as the step budget). ` +
    `Reproduced if the median ratio <= ${RNN_RULE.reproducedRatio} (LN reaches it in at most 80% of the updates; the paper: ~60%); not reproduced if it is >= ${RNN_RULE.notReproducedRatio}; inconclusive in between or when no run reaches the threshold.`,
  runs(profile, seeds) {
    const n = seeds ?? SIZES[profile].seeds;
    const out: RunSpec<RecurrentConfig>[] = [];
    for (let s = 1; s <= n; s++) for (const v of RNN_VARIANTS) out.push({ id: `${v}-s${s}`, seed: s, config: { variant: v } });
    return out;
  },
  run(spec: RunSpec<RecurrentConfig>, ctx: RunContext): RunOutput {
    const s = SIZES[ctx.profile];
    const variant = spec.config.variant;
    if (!RNN_VARIANTS.includes(variant)) throw new RangeError(`unknown variant '${String(spec.config.variant)}', expected one of ${RNN_VARIANTS.join(', ')}`);
    const model = new AddingLstm(s.hidden, variant, new Rng(spec.seed));
    const opt = new Adam(model.parameters(), { lr: 1e-3 });
    const data = new Rng(500 + spec.seed);
    const t0 = performance.now();
    const { losses, divergedAt } = stepLoop({
      steps: s.steps,
      step: () => {
        const b = addingBatch(data, s.batch, s.length);
        return finiteStep(opt, () => mseLoss(model.forward(new Tensor(b.inputs, [s.batch, s.length, 2])), new Tensor(b.targets, [s.batch])));
      },
      progress: ctx.progress,
    });
    const stepMs = (performance.now() - t0) / Math.max(1, losses.length);
    const sm = smooth(losses, RNN_RULE.window);
    const reach = firstReach(sm.map((v, i) => (i + 1 >= RNN_RULE.window ? v : null)), sm.map((_, i) => i + 1), RNN_RULE.threshold, false);
    const k = Math.max(1, Math.ceil(losses.length / 10));
    const ds = downsample(sm, 150);
    return {
      status: divergedAt === undefined ? 'ok' : 'diverged',
      divergedAt,
      metrics: { stepsToThreshold: reach, finalLoss: divergedAt === undefined ? finiteOrNull(mean(losses.slice(-k))) : null, stepMs },
      series: { loss: ds.values.map(finiteOrNull) },
      extra: { lossEvery: ds.index.length > 1 ? ds.index[1]! - ds.index[0]! : 1, steps: s.steps },
    };
  },
  judge(runs: RnnRun[], profile: Profile): Judgement {
    const budget = SIZES[profile].steps;
    const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
    const get = (v: RnnVariant, seed: number) => runs.find((r) => r.config.variant === v && r.seed === seed);
    const ratios: number[] = [];
    const ratiosSmallGain: number[] = [];
    let anyReached = false;
    for (const seed of seeds) {
      const b = get('baseline', seed);
      const l = get('ln', seed);
      const g = get('ln-gain0.1', seed);
      if (b && l) {
        ratios.push(stepsTo(l, budget) / stepsTo(b, budget));
        if (b.metrics.stepsToThreshold !== null || l.metrics.stepsToThreshold !== null) anyReached = true;
      }
      if (b && g) ratiosSmallGain.push(stepsTo(g, budget) / stepsTo(b, budget));
    }
    const metrics: Judgement['metrics'] = {
      medianRatioLn: finiteOrNull(median(ratios)),
      medianRatioLnGain01: finiteOrNull(median(ratiosSmallGain)),
    };
    for (const v of RNN_VARIANTS) {
      const rs = runs.filter((r) => r.config.variant === v);
      metrics[`stepsToThreshold_${v}`] = finiteOrNull(mean(rs.map((r) => stepsTo(r, budget))));
      metrics[`reached_${v}`] = rs.filter((r) => r.metrics.stepsToThreshold !== null).length;
      metrics[`finalLoss_${v}`] = finiteOrNull(mean(rs.map((r) => r.metrics.finalLoss)));
    }
    const ratio = median(ratios);
    const f = (x: number | null | undefined) => (typeof x === 'number' ? x.toFixed(3) : 'n/a');
    const base =
      `Steps to MSE ${RNN_RULE.threshold} (mean; budget ${budget}): no LN ${f(metrics.stepsToThreshold_baseline)}, LN gain 1.0 ${f(metrics.stepsToThreshold_ln)}, LN gain 0.1 ${f(metrics['stepsToThreshold_ln-gain0.1'])}; ` +
      `median ratio LN/no-LN ${f(ratio)} (gain 0.1: ${f(median(ratiosSmallGain))}); final MSE ${f(metrics.finalLoss_baseline)} / ${f(metrics.finalLoss_ln)} / ${f(metrics['finalLoss_ln-gain0.1'])}.`;
    if (!ratios.length || !anyReached) {
      return { verdict: 'inconclusive', metrics, explanation: `${base} No run reached the threshold within the budget, so the speed-up cannot be measured.` };
    }
    const censored = runs.filter((r) => r.config.variant === 'baseline' && r.metrics.stepsToThreshold === null).length;
    const note = censored ? ` The LSTM without LN never got there in ${censored} seed(s), so its step count is the budget and the true ratio is smaller still.` : '';
    if (ratio <= RNN_RULE.reproducedRatio) {
      return { verdict: 'reproduced', metrics, explanation: `${base} LN reaches the threshold in ${(100 * ratio).toFixed(0)}% of the baseline's updates (paper: ~60% on order embeddings, ~50% on DRAW).${note}` };
    }
    if (ratio >= RNN_RULE.notReproducedRatio) {
      return {
        verdict: 'not reproduced',
        metrics,
        explanation: `${base} LN does not speed training up here: with short sequences and Adam (which already rescales each weight's update) the plain LSTM's pre-activations stay well scaled, so there is little for LN to fix.`,
      };
    }
    return { verdict: 'inconclusive', metrics, explanation: `${base} LN is faster, but by less than the 20% the rule asks for.` };
  },
  charts(runs: RnnRun[]): ChartSpec[] {
    const every = Number(runs[0]?.extra?.lossEvery ?? 1);
    return [
      lineChart({
        title: 'Adding problem: training MSE',
        subtitle: `${RNN_RULE.window}-step moving average, mean over seeds; the constant prediction scores 0.167`,
        data: seriesRows(runs, 'loss', (r) => r.config.variant, { stepEvery: every, stepOffset: 1 }),
        x: 'step', y: 'value', color: 'series', logY: true, yTitle: 'MSE', colorTitle: 'variant',
        rules: [{ y: RNN_RULE.threshold, label: 'threshold' }],
      }),
      barChart({
        title: 'Steps to the threshold', subtitle: 'mean and std over seeds (never reached = the step budget)',
        data: metricRows(
          runs.map((r) => ({ ...r, metrics: { ...r.metrics, steps: stepsTo(r, Number(r.extra?.steps ?? 0)) } })),
          'steps',
          (r) => r.config.variant,
        ),
        x: 'group', y: 'mean', error: 'std', xTitle: 'variant', yTitle: 'steps',
      }),
    ];
  },
  tables(runs: RnnRun[]): ReportTable[] {
    const rows = RNN_VARIANTS.map((v) => {
      const rs = runs.filter((r) => r.config.variant === v);
      const st = rs.map((r) => stepsTo(r, Number(r.extra?.steps ?? 0)));
      const fl = mean(rs.map((r) => r.metrics.finalLoss));
      return [v, v === 'baseline' ? '1.0 (reference)' : v === 'ln' ? '~0.6 (order embeddings), ~0.5 (DRAW)' : 'not reported as a ratio', +mean(st).toFixed(1), +std(st).toFixed(1), rs.filter((r) => r.metrics.stepsToThreshold !== null).length + '/' + rs.length, Number.isFinite(fl) ? +fl.toFixed(4) : null, +mean(rs.map((r) => r.metrics.stepMs)).toFixed(2)];
    });
    return [{ title: "Time to a target: paper's ratio beside ours", columns: ['variant', 'paper (time relative to no LN)', 'steps to threshold (ours)', 'std', 'reached', 'final MSE', 'ms/step'], rows }];
  },
};
