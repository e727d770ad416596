/**
 * Synchronized batch normalization (PyTorch's `SyncBatchNorm`; Ioffe &
 * Szegedy 2015 over the union of the replicas' batches): each replica of a
 * data-parallel model normalizes its shard of the batch with the statistics
 * of the *whole* batch, merged across the process group every step.
 *
 * Forward, per channel c (x is [N, C, *], channels at dim 1):
 *   local count n_k, mean m_k and M2_k = sum (x - m_k)^2, in float64 over
 *   values shifted by one of the channel's own (exact at large offsets);
 *   all-gathered and merged in rank order (Chan, Golub & LeVeque 1979):
 *     n = n_a + n_b,  d = m_b - m_a,  m = m_a + d n_b / n,  M2 = M2_a + M2_b + d^2 n_a n_b / n
 *   var = M2 / n (biased),  y = (x - m) / sqrt(var + eps) * weight + bias
 *   running stats move by the momentum with the unbiased var M2 / (n - 1).
 * Backward (xhat = (x - m) rstd): sum(dy) and sum(dy xhat) per channel are
 * all-reduced across the group, then
 *   dx = weight rstd (dy - sum(dy) / n - xhat sum(dy xhat) / n)
 * while dweight = sum(dy xhat) and dbias = sum(dy) stay local (the
 * data-parallel wrapper sums parameter gradients over replicas), as PyTorch.
 * With every replica's loss scaled by its share of the batch, the result is
 * the gradient of one BatchNorm over the concatenated batch.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate, allocateUninit } from '../tensor/dtype.js';
import { fmtShape } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import type { OpSaved } from '../autograd/ops.js';
import type { ProcessGroup } from '../parallel/process-group.js';
import { channelView, checkPerChannel } from './batch-norm.js';
import { batchnormBackward } from '../kernels/js/batchnorm.js';

/**
 * Per-channel statistics of one shard, summarised for exchange: the shift K
 * (the channel's first value on this rank), the mean of x - K and M2, two
 * passes in float64 over the shifted values. Shifting keeps the digits at
 * large offsets (x - K is exact when x is close to K), as
 * preprocessing/moments.ts does for streamed batches.
 */
interface Moments { count: number; shift: Float64Array; meanShifted: Float64Array; m2: Float64Array }

function localMoments(x: Float32Array | Float64Array, N: number, C: number, S: number): Moments {
  const count = N * S;
  const shift = new Float64Array(C);
  const meanShifted = new Float64Array(C);
  const m2 = new Float64Array(C);
  if (count === 0) return { count, shift, meanShifted, m2 };
  for (let c = 0; c < C; c++) shift[c] = x[c * S]!;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    const o = (n * C + c) * S;
    const k = shift[c]!;
    let t = 0;
    for (let i = 0; i < S; i++) t += x[o + i]! - k;
    meanShifted[c] += t;
  }
  for (let c = 0; c < C; c++) meanShifted[c] = meanShifted[c]! / count;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    const o = (n * C + c) * S;
    const k = shift[c]!;
    const md = meanShifted[c]!;
    let t = 0;
    for (let i = 0; i < S; i++) { const d = x[o + i]! - k - md; t += d * d; }
    m2[c] += t;
  }
  return { count, shift, meanShifted, m2 };
}

/** The vector one rank contributes: [count, K_0..C-1, mean(x - K)_0..C-1, M2_0..C-1]. */
function pack(m: Moments, C: number): Float64Array {
  const v = new Float64Array(1 + 3 * C);
  v[0] = m.count;
  v.set(m.shift, 1);
  v.set(m.meanShifted, 1 + C);
  v.set(m.m2, 1 + 2 * C);
  return v;
}

/**
 * Merge the ranks' vectors (see `pack`) in rank order with Chan et al.'s
 * pairwise update, around the first non-empty rank's shift K0: each rank's
 * mean enters as (K_r - K0) + mean_r(x - K_r), exact when the shifts are
 * close, so the merged mean keeps its digits at large offsets. Every rank
 * merges the same vectors in the same order: identical bits everywhere.
 * Returns the total count, K0, the mean of x - K0 and M2 per channel.
 */
export function mergeMoments(parts: readonly Float64Array[], C: number): Moments {
  let n = 0;
  const shift = new Float64Array(C);
  const meanShifted = new Float64Array(C);
  const m2 = new Float64Array(C);
  for (const p of parts) {
    const nb = p[0]!;
    if (nb === 0) continue;
    if (n === 0) shift.set(p.subarray(1, 1 + C));
    const nt = n + nb;
    for (let c = 0; c < C; c++) {
      const mb = p[1 + c]! - shift[c]! + p[1 + C + c]!;
      const d = mb - meanShifted[c]!;
      meanShifted[c] = meanShifted[c]! + (d * nb) / nt;
      m2[c] = m2[c]! + p[1 + 2 * C + c]! + (d * d * n * nb) / nt;
    }
    n = nt;
  }
  return { count: n, shift, meanShifted, m2 };
}

/**
 * Batch normalization with statistics merged across `group` (training mode):
 * see the module comment. `runningMean`/`runningVar` (or null) move by
 * `momentum` with the global batch's mean and unbiased variance.
 */
export function syncBatchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null,
  momentum: number, eps: number, group: ProcessGroup, unbiasedRunningVar = true,
): Tensor {
  if (x.ndim < 2) throw new RangeError(`syncBatchNorm expects an input of shape [N, C, *] (at least 2 dims), got ${fmtShape(x.shape)}`);
  const [N, C, S] = channelView(x.shape, 1);
  checkPerChannel(runningMean, C, 'running_mean', x, 1);
  checkPerChannel(runningVar, C, 'running_var', x, 1);
  checkPerChannel(weight, C, 'weight', x, 1);
  checkPerChannel(bias, C, 'bias', x, 1);
  const { count, shift, meanShifted, m2 } = mergeMoments(group.allGather(pack(localMoments(x.data, N, C, S), C)), C);
  // the global count, the same on every rank, so all of them throw together (no rank is left waiting)
  if (count <= 1) throw new RangeError(`expected more than 1 value per channel when training, got ${count} over the ${group.worldSize} replicas (input size ${fmtShape(x.shape)} here)`);
  const mean = new Float64Array(C);
  const rstd = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    mean[c] = shift[c]! + meanShifted[c]!;
    rstd[c] = 1 / Math.sqrt(m2[c]! / count + eps);
  }
  const out = allocateUninit(x.dtype, x.size);
  const xd = x.data;
  const w = weight ? weight.data : null;
  const b = bias ? bias.data : null;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    const o = (n * C + c) * S;
    // (x - K0) - mean(x - K0): two exact-ish steps, never x - (rounded mean)
    const k = shift[c]!;
    const md = meanShifted[c]!;
    const sc = rstd[c]! * (w ? w[c]! : 1);
    const sh = b ? b[c]! : 0;
    for (let i = 0; i < S; i++) out[o + i] = (xd[o + i]! - k - md) * sc + sh;
  }
  const rm = runningMean ? runningMean.data : null;
  const rv = runningVar ? runningVar.data : null;
  const correction = unbiasedRunningVar ? count / (count - 1) : 1;
  for (let c = 0; c < C; c++) {
    if (rm) rm[c] = (1 - momentum) * rm[c]! + momentum * mean[c]!;
    if (rv) rv[c] = (1 - momentum) * rv[c]! + momentum * (m2[c]! / count) * correction;
  }
  return record(new Tensor(out, x.shape), 'syncBatchNorm', [x, weight, bias], { group, count, mean, rstd });
}

/** Backward of `syncBatchNorm` (the rule in functional/backward-rules.ts): [dx, dweight, dbias]. */
export function syncBatchNormBackward(
  dout: Tensor, inputs: readonly (Tensor | null)[], saved: OpSaved['syncBatchNorm'], needs: readonly boolean[],
): (Tensor | null)[] {
  const [x, weight, bias] = inputs;
  const { group, count, mean, rstd } = saved;
  const [N, C, S] = channelView(x!.shape, 1);
  const xd = x!.data;
  const dy = dout.data;
  // local sum(dy) and sum(dy * xhat) per channel: BatchNorm's backward kernel with no dx (float64 sums)
  const sums = new Float64Array(2 * C);
  batchnormBackward(null, sums.subarray(C), sums.subarray(0, C), dy, xd, weight ? weight.data : null, mean, rstd, N, C, S);
  let dweight: Tensor | null = null;
  let dbias: Tensor | null = null;
  if (needs[1] && weight) {
    const g = allocate(weight.dtype, C);
    for (let c = 0; c < C; c++) g[c] = sums[C + c]!;
    dweight = new Tensor(g, weight.shape);
  }
  if (needs[2] && bias) {
    const g = allocate(bias.dtype, C);
    for (let c = 0; c < C; c++) g[c] = sums[c]!;
    dbias = new Tensor(g, bias.shape);
  }
  let dx: Tensor | null = null;
  if (needs[0]) {
    group.allReduceSum(sums);
    const g = allocateUninit(x!.dtype, x!.size);
    const w = weight ? weight.data : null;
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
      const o = (n * C + c) * S;
      const m = mean[c]!;
      const r = rstd[c]!;
      const k = (w ? w[c]! : 1) * r;
      const md = sums[c]! / count;
      const mdx = sums[C + c]! / count;
      for (let i = 0; i < S; i++) g[o + i] = k * (dy[o + i]! - md - (xd[o + i]! - m) * r * mdx);
    }
    dx = new Tensor(g, x!.shape);
  }
  return [dx, dweight, dbias];
}
