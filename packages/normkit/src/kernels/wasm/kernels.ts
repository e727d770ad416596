/**
 * The WebAssembly backend's implementations of the declared kernels
 * (src/kernels/kernel.ts). Each entry names the module's export and, where
 * it pays, how to split rows over the worker pool; marshalling, the fallback
 * to the TypeScript kernel (float64 data, empty shapes) and the pool's index
 * are derived from the declarations by `implementWasm` (./implement.ts).
 * Kernels with no entry here run their TypeScript implementation on this
 * backend too (over the same wasm-resident storage).
 */
import { gemm, gemmBatched } from '../js/gemm.js';
import { layernormForward, layernormBackward } from '../js/layernorm.js';
import { rmsnormForward, rmsnormBackward } from '../js/rmsnorm.js';
import { batchnormForwardTrain, batchnormBackward, batchnormForwardEval, batchnormBackwardEval } from '../js/batchnorm.js';
import { groupnormForward, groupnormBackward } from '../js/groupnorm.js';
import { softmaxForward, softmaxBackward, attentionSoftmaxForward, attentionSoftmaxBackward } from '../js/softmax.js';
import { crossEntropyForward, crossEntropyBackward } from '../js/cross-entropy.js';
import { pointwiseForward, pointwiseBackward, geluWithDerivative } from '../js/pointwise.js';
import { adamStepF32 } from '../js/adam.js';
import { sgdMomentumStepF32, sgdStepF32 } from '../js/sgd.js';
import { binarySame, binaryRows, binaryScalar, colSum } from '../js/elementwise.js';
import { reduceMax, reduceSum } from '../js/reduce.js';
import { dytForward, dytBackward } from '../js/dyt.js';
import { indexAddRows } from '../js/gather.js';
import { copyRows, stridedCopy } from '../js/strided.js';
import { col2im, im2col } from '../js/conv.js';
import { maxPool2dForward, scatterAdd } from '../js/pool.js';
import { dropoutMask, drawMask } from '../js/dropout.js';
import { jumpPow2 } from '../../tensor/xoshiro-jump.js';
import { memoryViews } from './loader.js';
import { implementWasm } from './implement.js';

/**
 * Whether the wasm gemm and gemmBatched pack B into 8-column panels
 * (assembly/gemm.ts's `packB`): always for
 * B^T (packing costs what the transpose it replaces cost), from 32 rows of C
 * for B in place (below, the copy costs more than it saves: 8 x 100 x 784
 * ran at 27.5 GFLOP/s packed against 33.8 in place, 32 rows broke even).
 */
const gemmPacks = (M: number, transB: boolean): boolean => transB || M >= 32;

/** Masks from this many elements take the SIMD lanes (below, the three jumps cost more than they save). */
const DROPOUT_LANES_MIN = 2048;

/** The activations of assembly/activations.ts, by their op number there. */
const ACTIVATIONS: Partial<Record<string, number>> = { sigmoid: 0, tanh: 1, relu: 2 };
/** Op codes of assembly/unary.ts: forward (log's forward stays in TypeScript) and derivative. */
const UNARY_FWD: Partial<Record<string, number>> = { neg: 0, abs: 1, square: 2, sqrt: 3, exp: 4 };
const UNARY_BWD: Partial<Record<string, number>> = { ...UNARY_FWD, log: 5 };

/** Install every WebAssembly implementation (called once by the wasm entry point). */
export function registerWasmKernels(): void {
  // Element-wise arithmetic in f32x4 SIMD (assembly/elementwise.ts), bit-identical to the loops.
  implementWasm(binarySame, {
    when: (_k, _a, _b, out) => out.length >= 64,
    call: (w, p, _s, _split, kind, _a, _b, out) => w.binarySame(kind, p[1], p[2], p[3], out.length),
  });
  // s must be a float32 value (it is when it comes from a float32 tensor): then each
  // element is one float32 operation on both backends
  implementWasm(binaryScalar, {
    when: (_k, _a, s, out) => out.length >= 64 && Math.fround(s) === s,
    call: (w, p, _s, _split, kind, _a, s, out, sOnLeft) => w.binaryScalar(kind, p[1], s, p[3], sOnLeft ? 1 : 0, out.length),
  });
  // sums over adjacent axes (nk.sum, nk.mean): rows of the outer axis over threads
  implementWasm(reduceSum, {
    when: (_x, _acc, outer, R, inner) => outer * R * inner >= 64,
    split: { rows: (_x, _acc, outer) => outer, nsPerRow: (_x, _acc, _o, R, inner) => 0.3 * R * inner },
  });
  // maxima over adjacent axes (nk.max), rows of the outer axis over threads
  implementWasm(reduceMax, {
    when: (_x, _b, _a, outer, R, inner) => outer * R * inner >= 64,
    split: { rows: (_x, _b, _a, outer) => outer, nsPerRow: (_x, _b, _a, _o, R, inner) => 0.3 * R * inner },
  });
  // embedding / indexSelect gradients: row adds in SIMD
  implementWasm(indexAddRows, { when: (_g, _d, _i, _o, _l, n, inner) => n * inner >= 64 });
  implementWasm(binaryRows, { when: (_k, _a, _b, _o, rows, m) => rows * m >= 64 });
  implementWasm(colSum, { when: (_x, _acc, rows, m) => rows * m >= 64 });
  // Adam's step in f32x4 SIMD with float32 moments (assembly/adam.ts), bit-identical to the TypeScript loop.
  implementWasm(adamStepF32, {
    export: 'adamStep',
    when: (_d, _g, _m, _v, n) => n >= 64,
    call: (w, p, _s, _split, _d, _g, _m, _v, n, b1, b2, stepSize, rbc2, eps, l2, shrink, sign) =>
      w.adamStep(p[0], p[1], p[2], p[3], 0, n, b1, b2, stepSize, rbc2, eps, l2, shrink, sign),
  });
  // SGD with momentum in f64x2 SIMD (assembly/sgd.ts), bit-identical to the TypeScript loop.
  implementWasm(sgdMomentumStepF32, { when: (_d, _g, _b, n) => n >= 64 });
  implementWasm(sgdStepF32, { when: (_d, _g, n) => n >= 64 });
  // Activations in SIMD: exact GELU (assembly/gelu.ts, split over threads), sigmoid,
  // tanh and ReLU (assembly/activations.ts); the other element-wise ops stay in their loops.
  implementWasm(pointwiseForward, {
    export: 'geluForward',
    when: (op, src) => (op === 'gelu' || ACTIVATIONS[op] !== undefined || UNARY_FWD[op] !== undefined) && src.length >= 16,
    call: (w, p, _s, split, op, src) => {
      if (op === 'gelu') split((i0, i1) => [p[1]!, p[2]!, i0, i1]);
      else if (ACTIVATIONS[op] !== undefined) w.activationForward(ACTIVATIONS[op]!, p[1], p[2], 0, src.length);
      else w.unaryForward(UNARY_FWD[op]!, p[1], p[2], 0, src.length);
    },
    split: { rows: (_op, src) => src.length, nsPerRow: () => 12 },
  });
  implementWasm(pointwiseBackward, {
    when: (op, dout) => (ACTIVATIONS[op] !== undefined || UNARY_BWD[op] !== undefined) && dout.length >= 16,
    call: (w, p, _s, _split, op, dout) => {
      if (ACTIVATIONS[op] !== undefined) w.activationBackward(ACTIVATIONS[op]!, p[1], p[2], op === 'relu' ? 0 : p[3], p[4], 0, dout.length);
      else w.unaryBackward(UNARY_BWD[op]!, p[1], p[2], p[3], p[4], 0, dout.length);
    },
  });
  // a differentiated GELU's forward: y and the backward's factor in one pass (assembly/gelu.ts)
  implementWasm(geluWithDerivative, {
    when: (src) => src.length >= 16,
    split: { rows: (src) => src.length, nsPerRow: () => 14 },
  });
  implementWasm(gemm, {
    export: 'gemmRows',
    scratch: (_A, _ao, _B, _bo, _C, _co, M, N, K, _tA, transB) => (gemmPacks(M, transB) ? [K * N * 4] : []),
    call: (w, p, s, split, _A, _ao, _B, _bo, _C, _co, M, N, K, transA, transB, accumulate) => {
      let pb = p[2]!;
      // pack B once here, so that threads splitting the rows share it
      const packed = gemmPacks(M, transB);
      if (packed) { w.packB(s[0], pb, N, K, transB ? 1 : 0); pb = s[0]!; }
      split((m0, m1) => [p[0]!, pb, p[4]!, M, N, K, transA ? 1 : 0, 0, accumulate ? 1 : 0, 0, p[12]!, packed ? 1 : 0, m0, m1]);
    },
    split: { rows: (_A, _ao, _B, _bo, _C, _co, M) => M, nsPerRow: (_A, _ao, _B, _bo, _C, _co, _M, N, K) => 0.2 * N * K },
  });
  // strides in elements; the scratch block holds one packed B_t (0 bytes: none)
  implementWasm(gemmBatched, {
    scratch: (_A, _B, _C, _nb, M, N, K, _tA, transB) => [gemmPacks(M, transB) ? K * N * 4 : 0],
    call: (w, p, s, _split, _A, _B, _C, nb, M, N, K, transA, transB, strideA, strideB) =>
      w.gemmBatched(p[0], p[1], p[2], nb, M, N, K, transA ? 1 : 0, transB ? 1 : 0, strideA, strideB, s[0], gemmPacks(M, transB) ? 1 : 0),
  });

  implementWasm(layernormForward, { split: { rows: (_o, _m, _r, _i, _w, _b, N) => N, nsPerRow: (_o, _m, _r, _i, _w, _b, _N, C) => 0.8 * C } });
  // the wasm kernel takes rows in pairs, and its range counts pairs (see norm.ts)
  implementWasm(layernormBackward, {
    split: { rows: (_d, _dw, _db, _g, _x, _w, _m, _r, N) => (N + 1) >> 1, nsPerRow: (_d, _dw, _db, _g, _x, _w, _m, _r, _N, C) => 2.4 * C },
  });
  implementWasm(rmsnormForward, { split: { rows: (_o, _r, _i, _w, N) => N, nsPerRow: (_o, _r, _i, _w, _N, C) => 0.8 * C } });
  implementWasm(rmsnormBackward, {
    split: { rows: (_d, _dw, _g, _x, _w, _r, N) => N, nsPerRow: (_d, _dw, _g, _x, _w, _r, _N, C) => 1.2 * C },
  });
  // one row per (sample, group) of D = C/G * S values
  implementWasm(groupnormForward, {
    split: { rows: (_o, _m, _r, _i, _w, _b, N, _C, _S, G) => N * G, nsPerRow: (_o, _m, _r, _i, _w, _b, _N, C, S, G) => (0.8 * C * S) / G },
  });
  implementWasm(groupnormBackward, {
    split: {
      rows: (_d, _dw, _db, _g, _x, _w, _m, _r, N, _C, _S, G) => N * G,
      nsPerRow: (_d, _dw, _db, _g, _x, _w, _m, _r, _N, C, S, G) => (1.5 * C * S) / G,
    },
  });

  // DyT in f64x2 lanes (assembly/dyt.ts), rows over threads; dalpha, dweight, dbias as per-thread sums
  implementWasm(dytForward, { split: { rows: (_o, _i, _a, _w, _b, N) => N, nsPerRow: (_o, _i, _a, _w, _b, _N, C) => 3 * C } });
  implementWasm(dytBackward, {
    split: { rows: (_d, _da, _dw, _db, _g, _x, _a, _w, N) => N, nsPerRow: (_d, _da, _dw, _db, _g, _x, _a, _w, _N, C) => 5 * C },
  });

  // BatchNorm: S = 1 ([N, C], channels strided) runs vectorized across
  // channels on one thread; S > 1 (NCHW) runs channel by channel over the N
  // contiguous runs of S values, channels split over threads.
  implementWasm(batchnormForwardTrain, {
    export: 'batchnormForwardTrainS',
    scratch: (_o, _m, _r, _i, _w, _b, _N, C, S) => (S > 1 ? [] : [C * 8, C * 8, C * 4, C * 4, C * 4]),
    call: (w, p, s, split, _o, _m, _r, _i, _w, _b, N, C, S, eps) => {
      if (S === 1) w.batchnormForwardTrain1(p[0], p[1], p[2], p[3], p[4], p[5], N, C, eps, s[0], s[1], s[2], s[3], s[4]);
      else split((c0, c1) => [p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!, N, C, S, eps, c0, c1]);
    },
    split: { rows: (_o, _m, _r, _i, _w, _b, _N, C) => C, nsPerRow: (_o, _m, _r, _i, _w, _b, N, _C, S) => N * S },
  });
  // The backward kernels write the f64 sums of dout (dbias) and dout * xhat
  // (dweight) unconditionally: a skipped (null) one gets a scratch block.
  type BnArgs = [unknown, unknown, unknown, unknown, unknown, unknown, unknown, unknown, number, number, number];
  const bnBackwardScratch = (train: boolean) => (...a: BnArgs) => {
    const [N, C, S] = [a[8], a[9], a[10]];
    void N;
    const sums = [C * 8, C * 8];
    if (S > 1) return sums;
    return train ? [...sums, C * 8, C * 8, C * 8, C * 8] : [...sums, C * 4];
  };
  const bnSplit = { rows: (...a: BnArgs) => a[9], nsPerRow: (...a: BnArgs) => 1.5 * a[8] * a[10] };
  implementWasm(batchnormBackward, {
    export: 'batchnormBackwardS',
    scratch: bnBackwardScratch(true),
    call: (w, p, s, split, _d, _dw, _db, _g, _x, _w, _m, _r, N, C, S) => {
      const dw = p[1] || s[0]!, db = p[2] || s[1]!;
      if (S === 1) w.batchnormBackward1(p[0], p[3], p[4], p[5], p[6], p[7], N, C, db, dw, s[2], s[3], s[4], s[5]);
      else split((c0, c1) => [p[0]!, db, dw, p[3]!, p[4]!, p[5]!, p[6]!, p[7]!, N, C, S, 1, c0, c1]);
    },
    split: bnSplit,
  });
  implementWasm(batchnormBackwardEval, {
    export: 'batchnormBackwardS',
    scratch: bnBackwardScratch(false),
    call: (w, p, s, split, _d, _dw, _db, _g, _x, weight, _m, rstd, N, C, S) => {
      const dw = p[1] || s[0]!, db = p[2] || s[1]!;
      if (S === 1) {
        // the per-channel factor weight * rstd of dinp
        const a = memoryViews().f32.subarray(s[2]! >> 2, (s[2]! >> 2) + C);
        for (let c = 0; c < C; c++) a[c] = (weight ? weight[c]! : 1) * rstd[c]!;
        w.batchnormBackwardEval1(p[0], db, dw, p[3], p[4], p[6], p[7], s[2], N, C);
      } else split((c0, c1) => [p[0]!, db, dw, p[3]!, p[4]!, p[5]!, p[6]!, p[7]!, N, C, S, 0, c0, c1]);
    },
    split: bnSplit,
  });
  implementWasm(batchnormForwardEval, {
    export: 'batchnormForwardEvalS',
    // the folded per-channel mean, scale and shift
    scratch: (_o, _i, _rm, _rv, _w, _b, _N, C) => [C * 4, C * 4, C * 4],
    call: (w, p, s, split, _o, _i, runningMean, runningVar, weight, bias, N, C, S, eps) => {
      const v = memoryViews().f32;
      const rm = s[0]! >> 2, sc = s[1]! >> 2, sh = s[2]! >> 2;
      for (let c = 0; c < C; c++) {
        v[rm + c] = runningMean[c]!;
        v[sc + c] = (weight ? weight[c]! : 1) / Math.sqrt(runningVar[c]! + eps);
        v[sh + c] = bias ? bias[c]! : 0;
      }
      if (S === 1) w.batchnormForwardEval1(p[0], p[1], s[0], s[1], s[2], N, C);
      else split((c0, c1) => [p[0]!, p[1]!, s[0]!, s[1]!, s[2]!, N, C, S, c0, c1]);
    },
    split: { rows: (_o, _i, _rm, _rv, _w, _b, _N, C) => C, nsPerRow: (_o, _i, _rm, _rv, _w, _b, N, _C, S) => 0.5 * N * S },
  });

  // softmax over any axis in SIMD: along rows for the last axis (inner = 1), across the inner axis
  // otherwise; rows over threads are outer indices (each a [D, inner] block)
  implementWasm(softmaxForward, {
    split: { rows: (_o, _i, outer) => outer, nsPerRow: (_o, _i, _outer, D, inner) => 2 * D * inner },
  });
  implementWasm(softmaxBackward, {
    split: { rows: (_d, _g, _y, outer) => outer, nsPerRow: (_d, _g, _y, _outer, D, inner, log) => (log ? 2 : 1) * D * inner },
  });
  // attention's scale + causal mask + softmax, rows over threads (a causal row costs about half)
  implementWasm(attentionSoftmaxForward, {
    split: { rows: (_o, _i, rows) => rows, nsPerRow: (_o, _i, _rows, D, _T, _s, causal) => (causal ? 1 : 2) * D },
  });
  implementWasm(attentionSoftmaxBackward, {
    split: { rows: (_d, _g, _y, rows) => rows, nsPerRow: (_d, _g, _y, _rows, D) => D },
  });

  // permute/transpose/expand's strided copy (assembly/strided.ts): block copies, 4x4 transposes
  // or splats per [s4, s5] plane; rows over threads are planes, or [s3, s4, s5] blocks when the
  // kernel reads src in order (its sourceOrder(): contiguous runs, t3 < t4; same rule here)
  const sourceOrder = (s3: number, t3: number, t4: number, t5: number) => t5 === 1 && s3 > 1 && t3 < t4;
  // a convolution's columns and their adjoint, per image (assembly/conv.ts)
  implementWasm(im2col, { when: (_x, _xo, _c, _co, C, _H, _W, kh, kw, _sh, _sw, _ph, _pw, OH, OW) => C * kh * kw * OH * OW >= 64 });
  implementWasm(col2im, { when: (_d, _co, _x, _xo, C, _H, _W, kh, kw, _sh, _sw, _ph, _pw, OH, OW) => C * kh * kw * OH * OW >= 64 });
  // max pooling's windows and its gradient's scatter (assembly/pool.ts)
  implementWasm(maxPool2dForward, { when: (_x, out) => out.length >= 64 });
  implementWasm(scatterAdd, {
    when: (_g, _dy, idx) => idx.length >= 64,
    call: (w, p, _s, _split, _g, _dy, idx) => w.scatterAdd(p[0], p[1], p[2], idx.length),
  });
  // Dropout's mask: pieces of 4 L draws of the one stream, L = 2^k, drawn in four
  // SIMD lanes from states jumped to (src/tensor/xoshiro-jump.ts: ~1.4 us a jump),
  // then the serial loop for the rest; the same mask as drawing one by one.
  implementWasm(dropoutMask, {
    // shorter masks, and p so close to 1 that no uint32 passes (T = 2^32), stay serial
    when: (mask, _st, prob) => mask.length >= DROPOUT_LANES_MIN && Math.ceil(prob * 4294967296) <= 0xffffffff,
    scratch: () => [64],
    call: (w, p, s, _split, mask, _state, prob, keep) => {
      const n = mask.length;
      // (p <= 0 keeps every element, as u 2^-32 >= p does)
      const T = Math.max(0, Math.ceil(prob * 4294967296)) | 0;
      const buf = memoryViews().f32.buffer;
      const state = new Int32Array(buf, p[1]!, 4);
      const lanes = new Int32Array(buf, s[0]!, 16);
      const cur = Int32Array.from(state), l1 = new Int32Array(4), l2 = new Int32Array(4), l3 = new Int32Array(4);
      let pos = 0;
      while (n - pos >= DROPOUT_LANES_MIN) {
        const k = 31 - Math.clz32((n - pos) >>> 2);
        jumpPow2(cur, k, l1);
        jumpPow2(l1, k, l2);
        jumpPow2(l2, k, l3);
        for (let j = 0; j < 4; j++) { lanes[4 * j] = cur[j]!; lanes[4 * j + 1] = l1[j]!; lanes[4 * j + 2] = l2[j]!; lanes[4 * j + 3] = l3[j]!; }
        w.dropoutMaskLanes(p[0]! + 4 * pos, s[0]!, 1 << k, T, keep);
        // lane 3 ends where the four pieces end: 4 L draws on
        for (let j = 0; j < 4; j++) cur[j] = lanes[4 * j + 3]!;
        pos += 4 << k;
      }
      drawMask(new Float32Array(buf, p[0]! + 4 * pos, n - pos), cur, prob, keep);
      state.set(cur);
    },
  });
  // rows into a strided destination (slice's gradient, concat)
  implementWasm(copyRows, { when: (_s, _d, rows, cols) => rows * cols >= 64 });
  implementWasm(stridedCopy, {
    when: (_src, _out, s0, s1, s2, s3, s4, s5) => s0 * s1 * s2 * s3 * s4 * s5 >= 64,
    split: {
      rows: (_src, _out, s0, s1, s2, s3, _s4, _s5, _t0, _t1, _t2, t3, t4, t5) => s0 * s1 * s2 * (sourceOrder(s3, t3, t4, t5) ? 1 : s3),
      nsPerRow: (_src, _out, _s0, _s1, _s2, s3, s4, s5, _t0, _t1, _t2, t3, t4, t5) => 0.5 * s4 * s5 * (sourceOrder(s3, t3, t4, t5) ? s3 : 1),
    },
  });

  // crossEntropy's rows with class-index targets (assembly/cross-entropy.ts): lse and loss terms,
  // and dlogits = scale (softmax - onehot); rows over threads
  implementWasm(crossEntropyForward, { split: { rows: (_l, _s, _x, _t, N) => N, nsPerRow: (_l, _s, _x, _t, _N, C) => 1.5 * C } });
  implementWasm(crossEntropyBackward, { split: { rows: (_g, _x, _l, _t, N) => N, nsPerRow: (_g, _x, _l, _t, _N, C) => 1.5 * C } });
}
