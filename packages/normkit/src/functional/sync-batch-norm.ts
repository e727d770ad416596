/**
 * Synchronized batch normalization (PyTorch's `SyncBatchNorm`; Ioffe &
 * Szegedy 2015 over the union of the replicas' batches): each replica of a
 * data-parallel model normalizes its shard of the batch with the statistics
 * of the *whole* batch, merged across the process group every step.
 *
 * Forward, per channel c (x is [N, C, *], channels at dim 1):
 *   local count n_k, mean m_k and M2_k = sum (x - m_k)^2, in float64;
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

/** Count, mean and M2 of every channel over this replica's shard, float64, two passes. */
function localMoments(x: Float32Array | Float64Array, N: number, C: number, S: number): { count: number; mean: Float64Array; m2: Float64Array } {
  const mean = new Float64Array(C);
  const m2 = new Float64Array(C);
  const count = N * S;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    const o = (n * C + c) * S;
    let s = 0;
    for (let i = 0; i < S; i++) s += x[o + i]!;
    mean[c] += s;
  }
  for (let c = 0; c < C; c++) mean[c] = count > 0 ? mean[c]! / count : 0;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    const o = (n * C + c) * S;
    const m = mean[c]!;
    let s = 0;
    for (let i = 0; i < S; i++) { const d = x[o + i]! - m; s += d * d; }
    m2[c] += s;
  }
  return { count, mean, m2 };
}

/**
 * Merge per-rank [count, mean_0..C-1, M2_0..C-1] vectors in rank order
 * (Chan et al.'s pairwise update; exact up to float64 rounding).
 */
export function mergeMoments(parts: readonly Float64Array[], C: number): { count: number; mean: Float64Array; m2: Float64Array } {
  let n = 0;
  const mean = new Float64Array(C);
  const m2 = new Float64Array(C);
  for (const p of parts) {
    const nb = p[0]!;
    if (nb === 0) continue;
    const nt = n + nb;
    for (let c = 0; c < C; c++) {
      const mb = p[1 + c]!;
      const d = mb - mean[c]!;
      mean[c] = mean[c]! + (d * nb) / nt;
      m2[c] = m2[c]! + p[1 + C + c]! + (d * d * n * nb) / nt;
    }
    n = nt;
  }
  return { count: n, mean, m2 };
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
  const N = x.shape[0]!;
  const C = x.shape[1]!;
  const S = x.size / Math.max(1, N * C);
  const local = localMoments(x.data, N, C, S);
  const vec = new Float64Array(1 + 2 * C);
  vec[0] = local.count;
  vec.set(local.mean, 1);
  vec.set(local.m2, 1 + C);
  const { count, mean, m2 } = mergeMoments(group.allGather(vec), C);
  if (count <= 1) throw new RangeError(`expected more than 1 value per channel when training, got ${count} over the ${group.worldSize} replicas (input size ${fmtShape(x.shape)} here)`);
  const rstd = new Float64Array(C);
  for (let c = 0; c < C; c++) rstd[c] = 1 / Math.sqrt(m2[c]! / count + eps);
  const out = allocateUninit(x.dtype, x.size);
  const xd = x.data;
  const w = weight ? weight.data : null;
  const b = bias ? bias.data : null;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    const o = (n * C + c) * S;
    const m = mean[c]!;
    const sc = rstd[c]! * (w ? w[c]! : 1);
    const sh = b ? b[c]! : 0;
    for (let i = 0; i < S; i++) out[o + i] = (xd[o + i]! - m) * sc + sh;
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

/** Backward of `syncBatchNorm` (the rule in autograd/rules.ts): [dx, dweight, dbias]. */
export function syncBatchNormBackward(
  dout: Tensor, inputs: readonly (Tensor | null)[], saved: OpSaved['syncBatchNorm'], needs: readonly boolean[],
): (Tensor | null)[] {
  const [x, weight, bias] = inputs;
  const { group, count, mean, rstd } = saved;
  const N = x!.shape[0]!;
  const C = x!.shape[1]!;
  const S = x!.size / Math.max(1, N * C);
  const xd = x!.data;
  const dy = dout.data;
  // local sums; [sum dy, sum dy xhat] all-reduced for dx
  const sums = new Float64Array(2 * C);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    const o = (n * C + c) * S;
    const m = mean[c]!;
    const r = rstd[c]!;
    let sd = 0;
    let sdx = 0;
    for (let i = 0; i < S; i++) { const g = dy[o + i]!; sd += g; sdx += g * (xd[o + i]! - m) * r; }
    sums[c] += sd;
    sums[C + c] += sdx;
  }
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
