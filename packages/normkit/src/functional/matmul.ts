/**
 * Batched matrix multiply with broadcasting over the batch dims
 * (`[..., M, K] @ [..., K, N] -> [..., M, N]`), as `torch.matmul` for inputs
 * of 2 or more dims; a 1-D right operand is treated as a column.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate, allocateUninit, promote } from '../tensor/dtype.js';
import { broadcastShapes, fmtShape, numel, stridesOf } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import { gemm, gemmBatched } from '../kernels/js/gemm.js';
import { reshape } from './shape-ops.js';

/** Run gemm over broadcast batches; returns C of shape [...batch, M, N]. */
export function batchedGemm(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const ar = a.ndim;
  const br = b.ndim;
  const M = transA ? a.shape[ar - 1]! : a.shape[ar - 2]!;
  const Ka = transA ? a.shape[ar - 2]! : a.shape[ar - 1]!;
  const Kb = transB ? b.shape[br - 1]! : b.shape[br - 2]!;
  const N = transB ? b.shape[br - 2]! : b.shape[br - 1]!;
  if (Ka !== Kb) {
    throw new RangeError(`matmul: inner dims differ: ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''} @ ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''} (${Ka} vs ${Kb})`);
  }
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch);
  const nb = numel(batch);
  const dtype = promote(a.dtype, b.dtype);
  const out = Ka > 0 ? allocateUninit(dtype, nb * M * N) : allocate(dtype, nb * M * N); // the gemms overwrite when K > 0
  let A = a.data;
  let B = b.data;
  if (A.constructor !== out.constructor) A = Float64Array.from(A);
  if (B.constructor !== out.constructor) B = Float64Array.from(B);
  const aSt = batchStrides(aBatch, batch, M * Ka);
  const bSt = batchStrides(bBatch, batch, Ka * N);
  // Each operand either spans the whole batch contiguously or is one matrix for all (the
  // common cases): one batched kernel call instead of a call per product.
  const aFull = numel(aBatch) === nb && aBatch.length === batch.length;
  const bFull = numel(bBatch) === nb && bBatch.length === batch.length;
  if ((aFull || numel(aBatch) === 1) && (bFull || numel(bBatch) === 1) && nb > 1 && Ka > 0) {
    gemmBatched(A, B, out, nb, M, N, Ka, transA, transB, aFull ? M * Ka : 0, bFull ? Ka * N : 0);
    return new Tensor(out, [...batch, M, N]);
  }
  const idx = new Array<number>(batch.length).fill(0);
  for (let t = 0; t < nb; t++) {
    let ao = 0;
    let bo = 0;
    for (let d = 0; d < batch.length; d++) {
      ao += idx[d]! * aSt[d]!;
      bo += idx[d]! * bSt[d]!;
    }
    gemm(A, ao, B, bo, out, t * M * N, M, N, Ka, transA, transB, false, null);
    for (let d = batch.length - 1; d >= 0; d--) {
      idx[d]!++;
      if (idx[d]! < batch[d]!) break;
      idx[d] = 0;
    }
  }
  return new Tensor(out, [...batch, M, N]);
}

function batchStrides(shape: readonly number[], target: readonly number[], mat: number): number[] {
  const st = stridesOf(shape).map((s) => s * mat);
  const out = new Array<number>(target.length).fill(0);
  const off = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : st[i]!;
  return out;
}

/** a @ b (see module doc). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim < 2) throw new RangeError(`matmul: left operand needs 2 or more dims, got ${fmtShape(a.shape)}`);
  if (b.ndim === 1) {
    const col = reshape(b, [b.shape[0]!, 1]);
    const r = matmul(a, col);
    return reshape(r, r.shape.slice(0, -1));
  }
  return record(batchedGemm(a, b, false, false), 'matmul', [a, b], null);
}
