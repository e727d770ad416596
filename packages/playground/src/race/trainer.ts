/**
 * One racer: a model with one normalization, its optimizer and its data,
 * stepped one training step at a time. This module is the "same seed, same
 * numbers" contract: the Web Worker (src/worker/race-worker.ts), the page's
 * one-thread fallback and the Node test (test/trainer.test.ts) all run it, so
 * a link to a race reproduces its losses anywhere.
 *
 * Random streams (all `nk.Rng`, independent): weights `seed`, training
 * batches `seed + 1000`, the fixed test set `seed + 2000`.
 *
 * Per step: zeroGrad, forward on a fresh batch, cross-entropy, backward,
 * per-layer gradient norms, optimizer step (Adam betas (0.9, 0.999), or SGD
 * with momentum 0.9), a linear warm-up over 10% of the steps when asked.
 * Every `snapshotEvery` steps (and at the last) a snapshot: test accuracy (in
 * eval mode, without gradients), the gradient norms and a histogram of the
 * watched pre-activations of that step's batch.
 */
import * as nk from 'normkit';
import type { Tensor } from 'normkit';
import { normsFor, NORM_LABELS, MODEL_LABELS, warmupSteps, type NormName, type RaceConfig } from './config.js';
import { buildCnn, buildMlp, buildTransformer, type RaceModel, type TinyLM } from './models.js';
import { copyBatch, digitsBatch, digitsTest, ringsBatch, spiralBatch, COPY, POINT_CLASSES, type Batch, type TokenBatch } from './tasks.js';
import type { DigitSet } from './digits.js';

/** Histogram range (values beyond it land in the edge bins) and bin count. */
export const HIST_RANGE = 4;
export const HIST_BINS = 40;
/** Size of the spiral/rings test set and of the copy task's test sequences. */
export const POINT_TEST = 600;
export const COPY_TEST = 128;

/** The watched pre-activations at one step: counts per bin and the percentiles of Ioffe & Szegedy's Figure 1. */
export interface Histogram {
  counts: number[];
  p15: number;
  p50: number;
  p85: number;
  mean: number;
  std: number;
}

/** What one step reports. */
export interface StepRecord {
  /** 1-based step number. */
  step: number;
  /** Training loss of this step's batch (cross-entropy, nats). */
  loss: number;
  /** Accuracy on this step's batch (before the update). */
  batchAcc: number;
  /** Learning rate used (after warm-up). */
  lr: number;
  /** Present on snapshot steps. */
  snapshot?: Snapshot;
}

export interface Snapshot {
  testAcc: number;
  gradNorms: number[];
  hist: Histogram;
}

/** Static facts about a racer, sent once. */
export interface RacerInfo {
  norm: NormName;
  label: string;
  params: number;
  layers: string[];
  watched: string;
  snapshotEvery: number;
}

/** How many steps between snapshots (about 40 per race). */
export const snapshotEvery = (steps: number): number => Math.max(1, Math.round(steps / 40));

/** Fraction of `logits` rows `[n, k]` whose argmax is the target. */
function accuracy(logits: ArrayLike<number>, y: ArrayLike<number>, k: number): number {
  const n = y.length;
  let ok = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (logits[i * k + c]! > logits[i * k + best]!) best = c;
    if (best === y[i]) ok++;
  }
  return n ? ok / n : 0;
}

/** Histogram and percentiles of a tensor's values. */
export function histogram(values: ArrayLike<number>): Histogram {
  const counts = new Array<number>(HIST_BINS).fill(0);
  const n = values.length;
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) {
    const v = sorted[i]!;
    s += v;
    s2 += v * v;
    const b = Math.floor(((v + HIST_RANGE) / (2 * HIST_RANGE)) * HIST_BINS);
    counts[Math.min(HIST_BINS - 1, Math.max(0, Number.isFinite(b) ? b : 0))]!++;
  }
  const q = (p: number) => (n ? sorted[Math.min(n - 1, Math.floor(p * (n - 1) + 0.5))]! : 0);
  const mean = n ? s / n : 0;
  return { counts, p15: q(0.15), p50: q(0.5), p85: q(0.85), mean, std: n ? Math.sqrt(Math.max(0, s2 / n - mean * mean)) : 0 };
}

/** L2 norm of the gradients of a module's parameters (all of them, recursively). */
function gradNorm(m: nk.Module): number {
  let s = 0;
  for (const p of m.parameters()) if (p.grad) for (const v of p.grad.data) s += v * v;
  return Math.sqrt(s);
}

/** One racer of a race. */
export class Racer {
  readonly info: RacerInfo;
  readonly cfg: RaceConfig;
  private readonly module: nk.Module;
  private readonly layers: RaceModel['layers'];
  private readonly opt: nk.optim.Adam | nk.optim.SGD;
  private readonly data: nk.Rng;
  private readonly forwardLoss: (train: boolean) => { loss: Tensor; acc: number; watched: Tensor | null };
  private readonly testAcc: () => number;
  private t = 0;

  /** `digits` is needed for the digits task only. Selects `cfg.backend` (await `nk.initWasm()` first for 'wasm': it throws when WebAssembly is not loaded). */
  constructor(cfg: RaceConfig, readonly norm: NormName, digits?: DigitSet) {
    if (!normsFor(cfg.model).includes(norm)) throw new RangeError(`the ${MODEL_LABELS[cfg.model]} has no ${NORM_LABELS[norm]} (it supports ${normsFor(cfg.model).join(', ')})`);
    nk.setBackend(cfg.backend);
    this.cfg = cfg;
    const rng = new nk.Rng(cfg.seed);
    this.data = new nk.Rng(cfg.seed + 1000);
    const testRng = new nk.Rng(cfg.seed + 2000);
    let watchedName: string;
    if (cfg.task === 'copy') {
      const t = buildTransformer(cfg, norm, rng);
      this.module = t.lm;
      this.layers = t.layers;
      watchedName = t.watchedName;
      const test = copyBatch(testRng, COPY_TEST);
      const lm: TinyLM = t.lm;
      const scored = (b: TokenBatch) => {
        const n = COPY.nTokens;
        const logits = nk.reshape(nk.slice(lm.forward(b.inputs, b.batch, b.length), 1, n, 2 * n), [b.batch * n, COPY.vocab]);
        const y = new Int32Array(b.batch * n);
        for (let i = 0; i < b.batch; i++) y.set(b.targets.subarray(i * b.length + n, (i + 1) * b.length), i * n);
        return { logits, y };
      };
      this.forwardLoss = () => {
        const { logits, y } = scored(copyBatch(this.data, cfg.batch));
        return { loss: nk.crossEntropy(logits, y), acc: accuracy(logits.data, y, COPY.vocab), watched: lm.lastBlockOut };
      };
      this.testAcc = () => nk.noGrad(() => { const { logits, y } = scored(test); return accuracy(logits.data, y, COPY.vocab); });
    } else {
      if (cfg.task === 'digits' && !digits) throw new Error('the digits task needs the digit set (digits.bin)');
      const classes = cfg.task === 'digits' ? 10 : POINT_CLASSES;
      const features = cfg.task === 'digits' ? digits!.side * digits!.side : 2;
      const m = cfg.model === 'cnn' ? buildCnn(norm, digits!.side, rng) : buildMlp(cfg, norm, features, classes, rng);
      this.module = m.module;
      this.layers = m.layers;
      watchedName = m.watchedName;
      const sample = (r: nk.Rng, n: number): Batch =>
        cfg.task === 'spiral' ? spiralBatch(r, n) : cfg.task === 'rings' ? ringsBatch(r, n) : digitsBatch(r, digits!, n);
      const test = cfg.task === 'digits' ? digitsTest(digits!) : sample(testRng, POINT_TEST);
      this.forwardLoss = () => {
        const b = sample(this.data, cfg.batch);
        const logits = m.forward(nk.tensor(b.x, [b.n, features]));
        return { loss: nk.crossEntropy(logits, b.y), acc: accuracy(logits.data, b.y, classes), watched: m.watched };
      };
      this.testAcc = () => nk.noGrad(() => accuracy(m.forward(nk.tensor(test.x, [test.n, features])).data, test.y, classes));
    }
    const schedule = nk.optim.schedules.linearWarmup(warmupSteps(cfg));
    const params = this.module.parameters();
    this.opt = cfg.optimizer === 'sgd'
      ? new nk.optim.SGD(params, { lr: cfg.lr, momentum: 0.9, schedule })
      : new nk.optim.Adam(params, { lr: cfg.lr, schedule });
    this.info = {
      norm, label: NORM_LABELS[norm], params: params.reduce((s, p) => s + p.size, 0),
      layers: this.layers.map((l) => l.name), watched: watchedName, snapshotEvery: snapshotEvery(cfg.steps),
    };
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.t;
  }

  /** Whether the race's step budget is spent. */
  get done(): boolean {
    return this.t >= this.cfg.steps;
  }

  /**
   * One training step (selects this race's backend first: racers may share a
   * thread), inside `nk.tidy`: the step's tensors go back to the backend when
   * it ends, so a page training for minutes keeps its memory flat between the
   * event-loop turns that let the garbage collector run.
   */
  step(): StepRecord {
    return nk.tidy(() => this.stepInScope());
  }

  private stepInScope(): StepRecord {
    nk.setBackend(this.cfg.backend);
    this.module.train();
    this.opt.zeroGrad();
    const { loss, acc, watched } = this.forwardLoss(true);
    const value = loss.item();
    const rec: StepRecord = { step: this.t + 1, loss: value, batchAcc: acc, lr: 0 };
    const snap = (this.t + 1) % this.info.snapshotEvery === 0 || this.t + 1 === this.cfg.steps || this.t === 0;
    if (Number.isFinite(value)) {
      loss.backward();
      const gradNorms = snap ? this.layers.map((l) => gradNorm(l.module)) : [];
      this.opt.step();
      rec.lr = this.opt.lastLr;
      if (snap) {
        const hist = histogram(watched ? watched.data : []);
        this.module.eval();
        const testAcc = this.testAcc();
        this.module.train();
        rec.snapshot = { testAcc, gradNorms, hist };
      }
    }
    this.t++;
    return rec;
  }
}

/** Run `steps` steps of one racer and return the losses (what the Node test compares with the page). */
export function raceLosses(cfg: RaceConfig, norm: NormName, steps: number, digits?: DigitSet): number[] {
  const r = new Racer(cfg, norm, digits);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) out.push(r.step().loss);
  return out;
}
