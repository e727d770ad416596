/**
 * General matrix multiply in plain TypeScript.
 *
 * Shapes:  A is [M, K] (or [K, M] when transA), B is [K, N] (or [N, K] when
 * transB), C is [M, N], bias [N] or null.
 * C = (accumulate ? C : 0) + bias (added to every row) + op(A) @ op(B).
 * The bias is how `linear` adds its bias: the wasm kernel copies it into each
 * row of C before the products (a memory.copy per row, where linear had a
 * JavaScript loop of one `set` per row).
 * Offsets let batched matmul address one matrix inside a larger buffer.
 *
 * Loop orders keep the innermost loop walking memory contiguously: i-k-j for
 * NN and TN (a row of B times a scalar into a row of C), i-j-k dot products for NT.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, flag, inout, input, int, output } from '../kernel.js';

/** C[cOff..] (+)= bias + op(A[aOff..]) @ op(B[bOff..]) (bias: null or [N], added to every row). */
export const gemm = declareKernel('gemm', [
  input('A', 'M*K', { offset: 'aOff' }), int('aOff'), input('B', 'K*N', { offset: 'bOff' }), int('bOff'), inout('C', 'M*N', { offset: 'cOff' }), int('cOff'),
  int('M'), int('N'), int('K'), flag('transA'), flag('transB'), flag('accumulate'), input('bias', 'N', { nullable: true }),
], function gemmJs(
  A: TypedArray, aOff: number, B: TypedArray, bOff: number, C: TypedArray, cOff: number,
  M: number, N: number, K: number, transA: boolean, transB: boolean, accumulate: boolean, bias: TypedArray | null,
): void {
  if (!accumulate) C.fill(0, cOff, cOff + M * N);
  if (bias) {
    for (let i = 0; i < M; i++) {
      const ci = cOff + i * N;
      for (let j = 0; j < N; j++) C[ci + j] += bias[j]!;
    }
  }
  if (!transB) {
    // NN / TN: C[i, :] += A(i, k) * B[k, :]
    for (let i = 0; i < M; i++) {
      const ci = cOff + i * N;
      for (let k = 0; k < K; k++) {
        const a = transA ? A[aOff + k * M + i]! : A[aOff + i * K + k]!;
        if (a === 0) continue;
        const bk = bOff + k * N;
        for (let j = 0; j < N; j++) C[ci + j] += a * B[bk + j]!;
      }
    }
  } else if (!transA) {
    // NT: C[i, j] += dot(A[i, :], B[j, :])
    for (let i = 0; i < M; i++) {
      const ai = aOff + i * K;
      const ci = cOff + i * N;
      for (let j = 0; j < N; j++) {
        const bj = bOff + j * K;
        let s = 0;
        for (let k = 0; k < K; k++) s += A[ai + k]! * B[bj + k]!;
        C[ci + j] += s;
      }
    }
  } else {
    // TT (rare): C[i, j] += sum_k A[k, i] * B[j, k]
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += A[aOff + k * M + i]! * B[bOff + j * K + k]!;
        C[cOff + i * N + j] += s;
      }
    }
  }
});

/**
 * nb products C_t = op(A_t) @ op(B_t) into contiguous [M, N] blocks of C,
 * A_t at aOff + t * strideA elements (strideA 0: one A shared by every t),
 * likewise B_t. One kernel call per batch (the wasm backend loops inside).
 */
export const gemmBatched = declareKernel('gemmBatched', [
  input('A', 'all'), input('B', 'all'), output('C', 'nb*M*N'), int('nb'), int('M'), int('N'), int('K'),
  flag('transA'), flag('transB'), int('strideA'), int('strideB'),
], function gemmBatchedJs(
  A: TypedArray, B: TypedArray, C: TypedArray, nb: number, M: number, N: number, K: number,
  transA: boolean, transB: boolean, strideA: number, strideB: number,
): void {
  for (let t = 0; t < nb; t++) gemm(A, t * strideA, B, t * strideB, C, t * M * N, M, N, K, transA, transB, false, null);
});
