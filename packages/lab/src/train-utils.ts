/**
 * Training helpers shared by the lab's experiments: an in-memory
 * classification dataset type, seeded batch iteration, accuracy, a training
 * loop that turns a NaN/Inf loss into a result (`{status: 'diverged',
 * divergedAt}`) instead of a crash, and the small statistics the verdicts
 * use (mean, spread, percentiles, steps to a target).
 */
import { Tensor } from 'normkit';
import { Rng } from 'normkit';
import { fmtShape, numel, zeros } from 'normkit';
import { noGrad, tidy } from 'normkit';
import type { UnaryModule } from 'normkit/nn';
import type { Optimizer } from 'normkit/optim';
import { crossEntropy } from 'normkit/functional';

/** An in-memory classification dataset: `n` examples of shape `featureShape`, labels in [0, numClasses). */
export interface ClassificationData {
  /** Row-major features, `n * prod(featureShape)` values. */
  x: Float32Array;
  /** Labels, `n` integers. */
  y: Int32Array;
  n: number;
  /** Shape of one example, e.g. `[32]` or `[3, 16, 16]`. */
  featureShape: number[];
  numClasses: number;
}

/** One mini-batch: features as a tensor `[b, ...featureShape]`, labels, and the example indices. */
export interface Batch {
  x: Tensor;
  y: Int32Array;
  indices: Int32Array;
}

/** Check a dataset's arrays agree with its declared sizes (loaders and generators call this). */
export function checkData(d: ClassificationData): ClassificationData {
  const per = numel(d.featureShape);
  if (d.x.length !== d.n * per) throw new RangeError(`dataset: x has ${d.x.length} values, expected n * prod(${fmtShape(d.featureShape)}) = ${d.n * per}`);
  if (d.y.length !== d.n) throw new RangeError(`dataset: y has ${d.y.length} labels, expected n = ${d.n}`);
  for (let i = 0; i < d.n; i++) {
    const c = d.y[i]!;
    if (c < 0 || c >= d.numClasses) throw new RangeError(`dataset: label ${c} at index ${i} is outside [0, ${d.numClasses})`);
  }
  return d;
}

/**
 * Gather the examples at `indices` into a batch tensor. The tensor comes
 * from the backend's storage (`zeros`: wasm memory for a batch of 1,024
 * values or more) and is filled in place, so the kernels read it by pointer;
 * a Float32Array wrapped in a tensor was copied into wasm memory by each
 * kernel that read it (twice per step for a first linear layer).
 */
export function gather(d: ClassificationData, indices: ArrayLike<number>): Batch {
  const per = numel(d.featureShape);
  const b = indices.length;
  const t = zeros([b, ...d.featureShape]);
  const x = t.data as Float32Array;
  const y = new Int32Array(b);
  const idx = new Int32Array(b);
  for (let i = 0; i < b; i++) {
    const j = indices[i]!;
    if (!(j >= 0 && j < d.n)) throw new RangeError(`gather: index ${j} outside [0, ${d.n})`);
    x.set(d.x.subarray(j * per, (j + 1) * per), i * per);
    y[i] = d.y[j]!;
    idx[i] = j;
  }
  return { x: t, y, indices: idx };
}

/**
 * Mini-batches over one epoch: a fresh permutation from `rng` (or dataset
 * order when `rng` is null). The last partial batch is dropped when
 * `dropLast` (default true: BatchNorm is then never fed a batch of 1).
 */
export function* epochBatches(d: ClassificationData, batchSize: number, rng: Rng | null, dropLast = true): Generator<Batch> {
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const order = rng ? rng.permutation(d.n) : Int32Array.from({ length: d.n }, (_, i) => i);
  for (let s = 0; s < d.n; s += batchSize) {
    const e = Math.min(s + batchSize, d.n);
    if (dropLast && e - s < batchSize) break;
    yield gather(d, order.subarray(s, e));
  }
}

/** Split into a training and a held-out set (seeded permutation; `testFraction` of the examples go to test). */
export function splitData(d: ClassificationData, testFraction: number, seed: number): { train: ClassificationData; test: ClassificationData } {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  const perm = new Rng(seed).permutation(d.n);
  const nTest = Math.max(1, Math.round(d.n * testFraction));
  const take = (idx: Int32Array): ClassificationData => {
    const b = gather(d, idx);
    return { x: b.x.data as Float32Array, y: b.y, n: idx.length, featureShape: [...d.featureShape], numClasses: d.numClasses };
  };
  return { test: take(perm.subarray(0, nTest)), train: take(perm.subarray(nTest)) };
}

/** Index of the largest value in each row of a `[b, k]` tensor. */
export function argmaxRows(logits: Tensor): Int32Array {
  if (logits.ndim !== 2) throw new RangeError(`argmaxRows expects [batch, classes], got ${fmtShape(logits.shape)}`);
  const [b, k] = logits.shape as [number, number];
  const out = new Int32Array(b);
  const d = logits.data;
  for (let i = 0; i < b; i++) {
    let best = 0;
    let bv = d[i * k]!;
    for (let j = 1; j < k; j++) {
      const v = d[i * k + j]!;
      if (v > bv) {
        bv = v;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Fraction of rows of `logits` `[b, k]` whose argmax equals the label. NaN logits count as wrong. */
export function accuracy(logits: Tensor, y: ArrayLike<number>): number {
  const pred = argmaxRows(logits);
  if (pred.length !== y.length) throw new RangeError(`accuracy: ${pred.length} predictions but ${y.length} labels`);
  let ok = 0;
  const k = logits.shape[1]!;
  for (let i = 0; i < pred.length; i++) if (pred[i] === y[i] && Number.isFinite(logits.data[i * k + pred[i]!]!)) ok++;
  return pred.length ? ok / pred.length : 0;
}

/**
 * Evaluate a model on a whole dataset in chunks (no gradient recording is the
 * caller's job, e.g. wrap in `noGrad`). Returns accuracy and mean of
 * `lossFn` per chunk weighted by size (NaN if any chunk's loss is not finite).
 */
export function evaluate(
  d: ClassificationData,
  forward: (x: Tensor) => Tensor,
  lossFn: ((logits: Tensor, y: Int32Array) => number) | null,
  chunk = 256,
): { accuracy: number; loss: number } {
  let correct = 0;
  let lossSum = 0;
  for (let s = 0; s < d.n; s += chunk) {
    const idx = Int32Array.from({ length: Math.min(chunk, d.n - s) }, (_, i) => s + i);
    const b = gather(d, idx);
    const logits = forward(b.x);
    correct += accuracy(logits, b.y) * idx.length;
    if (lossFn) lossSum += lossFn(logits, b.y) * idx.length;
  }
  return { accuracy: correct / d.n, loss: lossFn ? lossSum / d.n : NaN };
}

/** Options of {@link stepLoop}. */
export interface StepLoopOptions {
  /** Total optimizer steps. */
  steps: number;
  /** One optimizer step (0-based index); returns the step's loss. */
  step: (stepIndex: number) => number;
  /** Called after steps `evalEvery, 2*evalEvery, ...` and after the last step (not after a divergence). */
  evalEvery?: number;
  onEval?: (stepsDone: number) => void;
  /** Progress fraction 0..1. */
  progress?: (fraction: number) => void;
}

/** Options of {@link trainLoop}: a {@link StepLoopOptions} whose steps take shuffled batches of `data`. */
export interface TrainLoopOptions extends Omit<StepLoopOptions, 'step'> {
  data: ClassificationData;
  batchSize: number;
  /** Seed of the shuffling (epochs repeat as needed with fresh shuffles). */
  seed: number;
  /** One optimizer step on a batch; returns the batch loss. */
  step: (batch: Batch, stepIndex: number) => number;
}

/** What {@link stepLoop} and {@link trainLoop} return: the loss of every step until the end or the first non-finite loss. */
export interface TrainLoopResult {
  status: 'ok' | 'diverged';
  /** 1-based step whose loss was NaN or Inf. */
  divergedAt?: number;
  losses: number[];
  stepsDone: number;
}

/**
 * Run `steps` optimizer steps, stopping at the first NaN/Inf loss: a diverged
 * run is a result (the lab reports "diverged at step N"), not an exception.
 * Tasks that draw a fresh batch every step (sequences, GANs) call this
 * directly; fixed datasets go through {@link trainLoop}.
 */
export function stepLoop(o: StepLoopOptions): TrainLoopResult {
  const losses: number[] = [];
  for (let step = 1; step <= o.steps; step++) {
    // Each step and each evaluation in its own tidy(): their tensors go back to
    // the backend at once, so memory stays flat over any number of steps.
    const loss = tidy(() => o.step(step - 1));
    if (!Number.isFinite(loss)) return { status: 'diverged', divergedAt: step, losses, stepsDone: step };
    losses.push(loss);
    if (o.onEval && ((o.evalEvery && step % o.evalEvery === 0) || step === o.steps)) tidy(() => o.onEval!(step));
    if (o.progress && (step & 15) === 0) o.progress(step / o.steps);
  }
  o.progress?.(1);
  return { status: 'ok', losses, stepsDone: o.steps };
}

/**
 * One optimizer step for {@link stepLoop}: zero the gradients, compute the
 * loss, and backpropagate and step only when it is finite (a non-finite loss
 * ends the loop as a divergence, so the model is left as it was). Returns the
 * loss value.
 */
export function finiteStep(opt: { zeroGrad(): void; step(): void }, lossOf: () => Tensor): number {
  opt.zeroGrad();
  const loss = lossOf();
  const v = loss.item();
  if (Number.isFinite(v)) {
    loss.backward();
    opt.step();
  }
  return v;
}

/**
 * {@link stepLoop} over seeded shuffled epochs of `data` (a new shuffle each
 * time an epoch runs out).
 */
export function trainLoop(o: TrainLoopOptions): TrainLoopResult {
  const rng = new Rng(o.seed);
  let epoch: Iterator<Batch> | null = null;
  return stepLoop({
    ...o,
    step: (i) => {
      let next = epoch?.next();
      if (!next || next.done) {
        epoch = epochBatches(o.data, o.batchSize, rng);
        next = epoch.next();
        if (next.done) throw new RangeError(`trainLoop: dataset of ${o.data.n} examples has no full batch of ${o.batchSize}`);
      }
      return o.step(next.value, i);
    },
  });
}

// ---------------------------------------------------------------------------
// Statistics for verdicts and reports

/** A finite number, or null (results are JSON: NaN/Inf are stored as null). */
export function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** The numbers of `xs` that are finite (nulls dropped). */
export function finite(xs: readonly (number | null | undefined)[]): number[] {
  return xs.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

/** Mean of the finite values (NaN when there are none). */
export function mean(xs: readonly (number | null | undefined)[]): number {
  const f = finite(xs);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
}

/** Sample standard deviation of the finite values (0 for one value, NaN for none). */
export function std(xs: readonly (number | null | undefined)[]): number {
  const f = finite(xs);
  if (f.length === 0) return NaN;
  if (f.length === 1) return 0;
  const m = mean(f);
  return Math.sqrt(f.reduce((a, b) => a + (b - m) * (b - m), 0) / (f.length - 1));
}

/** The q-quantile (0..1) of finite values, linear interpolation between order statistics. */
export function quantile(xs: ArrayLike<number>, q: number): number {
  return quantiles(xs, [q])[0]!;
}

/**
 * Several quantiles of the finite values with one sort (a Float64Array's
 * numeric sort: no comparator calls), each interpolated as {@link quantile}.
 */
export function quantiles(xs: ArrayLike<number>, qs: readonly number[]): number[] {
  let k = 0;
  const f = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) if (Number.isFinite(xs[i])) f[k++] = xs[i]!;
  const sorted = f.subarray(0, k).sort();
  return qs.map((q) => {
    if (k === 0) return NaN;
    const pos = (k - 1) * Math.min(1, Math.max(0, q));
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
  });
}

/** Median of the finite values. */
export function median(xs: readonly (number | null | undefined)[]): number {
  return quantile(finite(xs), 0.5);
}

/**
 * First x at which a curve reaches `target` (curve[i] >= target when
 * `higherIsBetter`, else <=), where point i sits at `xs[i]`; null if never.
 */
export function firstReach(curve: readonly (number | null)[], xs: readonly number[], target: number, higherIsBetter = true): number | null {
  for (let i = 0; i < curve.length; i++) {
    const v = curve[i];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (higherIsBetter ? v >= target : v <= target) return xs[i]!;
  }
  return null;
}

/** Moving average over a window (for smoothing noisy per-step losses in charts). */
export function smooth(xs: readonly number[], window: number): number[] {
  const out: number[] = [];
  let s = 0;
  for (let i = 0; i < xs.length; i++) {
    s += xs[i]!;
    if (i >= window) s -= xs[i - window]!;
    out.push(s / Math.min(i + 1, window));
  }
  return out;
}

/** Keep about `points` evenly spaced entries (charts need not carry every step). */
export function downsample<T>(xs: readonly T[], points: number): { index: number[]; values: T[] } {
  const stride = Math.max(1, Math.ceil(xs.length / points));
  const index: number[] = [];
  const values: T[] = [];
  for (let i = 0; i < xs.length; i += stride) {
    index.push(i);
    values.push(xs[i]!);
  }
  return { index, values };
}

// ---------------------------------------------------------------------------
// Normalization layers by name, and a classifier training loop

/**
 * Normalization layers by name come from the library's one factory,
 * `nn/norm-factory.ts` (`makeNorm(kind, features, { layout: 'channels' })`
 * for [N, C, H, W] feature maps), so "layernorm" means the same layer in the
 * lab as everywhere else; re-exported here for experiments that import
 * their training helpers from this file. 'none' gives an Identity.
 */
export { makeNorm, type NormKind } from 'normkit/nn';

/** A module mapping one tensor to one tensor (the library's `UnaryModule`). */
export type TensorModule = UnaryModule;

/** Options of {@link trainClassifier}. */
export interface TrainClassifierOptions {
  model: TensorModule;
  optimizer: Optimizer;
  train: ClassificationData;
  test: ClassificationData;
  batchSize: number;
  steps: number;
  /** Evaluate on the test set every this many steps (and after the last). */
  evalEvery: number;
  seed: number;
  progress?: (fraction: number) => void;
  /** Called before each step's forward (e.g. to re-draw noise). */
  beforeStep?: (stepIndex: number) => void;
  /** Test-set chunk size for evaluation (default 500). */
  evalChunk?: number;
}

/** Curves of {@link trainClassifier}: one entry per evaluation. */
export interface TrainClassifierResult extends TrainLoopResult {
  evalSteps: number[];
  testAcc: number[];
  testLoss: number[];
  /** Mean training loss over the steps since the previous evaluation. */
  trainLoss: number[];
}

/**
 * Train with cross-entropy; evaluate in eval mode without recording
 * gradients (BatchNorm uses its running statistics). Divergence (a NaN/Inf
 * training loss) ends the run and is reported, not thrown.
 */
export function trainClassifier(o: TrainClassifierOptions): TrainClassifierResult {
  const evalSteps: number[] = [];
  const testAcc: number[] = [];
  const testLoss: number[] = [];
  const trainLoss: number[] = [];
  let since = 0;
  let sinceN = 0;
  const onEval = (s: number) => {
    o.model.eval();
    const r = noGrad(() => evaluate(o.test, (x) => o.model.forward(x), (l, y) => crossEntropy(l, y).item(), o.evalChunk ?? 500));
    o.model.train();
    evalSteps.push(s);
    testAcc.push(r.accuracy);
    testLoss.push(r.loss);
    trainLoss.push(sinceN ? since / sinceN : NaN);
    since = 0;
    sinceN = 0;
  };
  o.model.train();
  const res = trainLoop({
    data: o.train, batchSize: o.batchSize, steps: o.steps, seed: o.seed, evalEvery: o.evalEvery, onEval, progress: o.progress,
    step: (b, i) => {
      o.beforeStep?.(i);
      o.optimizer.zeroGrad();
      const loss = crossEntropy(o.model.forward(b.x), b.y);
      const v = loss.item();
      if (!Number.isFinite(v)) return v;
      loss.backward();
      o.optimizer.step();
      since += v;
      sinceN++;
      return v;
    },
  });
  return { ...res, evalSteps, testAcc, testLoss, trainLoss };
}
