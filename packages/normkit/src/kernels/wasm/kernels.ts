/**
 * The WebAssembly implementations, registered under the TypeScript kernels'
 * names with the same signatures. Each wrapper turns typed arrays into
 * pointers (zero copy when the tensor lives in wasm memory, else a copy for
 * the call, see loader.ts), runs the SIMD kernel (split over the worker pool
 * when it is large enough, see ../threads/pool.ts), and falls back to the
 * TypeScript kernel for float64 data, which the SIMD kernels do not handle.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { registerWasmKernel } from '../backend.js';
import { gemm, gemmBatched } from '../js/gemm.js';
import { layernormForward, layernormBackward } from '../js/layernorm.js';
import { rmsnormForward, rmsnormBackward } from '../js/rmsnorm.js';
import { batchnormForwardTrain, batchnormBackward, batchnormForwardEval, batchnormBackwardEval } from '../js/batchnorm.js';
import { groupnormForward, groupnormBackward } from '../js/groupnorm.js';
import { softmaxForward, softmaxBackward } from '../js/softmax.js';
import { pointwiseForward, pointwiseBackward } from '../js/pointwise.js';
import { adamStepF32 } from '../js/adam.js';
import { binarySame, binaryRows, colSum } from '../js/elementwise.js';
import { Frame, wasmState, type WasmExports } from './loader.js';
import { parallelRows, parallelParts } from '../threads/pool.js';

const f32 = (a: TypedArray | null): boolean => a === null || a instanceof Float32Array;

function exportsOrThrow(): WasmExports {
  const s = wasmState();
  if (!s) throw new Error('wasm kernels called before the WebAssembly module was loaded');
  return s.exports;
}

/** Zero a float64 accumulator block (kernels add into it). */
function zeros64(f: Frame, n: number): number {
  const p = f.scratch(n * 8);
  if (p) new Float64Array(wasmState()!.memory.buffer, p, n).fill(0);
  return p;
}

/** Add an f64 accumulator from wasm memory into a (float32 or float64) gradient. */
function addBack(dst: TypedArray, ptr: number, n: number): void {
  const acc = new Float64Array(wasmState()!.memory.buffer, ptr, n);
  for (let i = 0; i < n; i++) dst[i] += acc[i]!;
}

/** Overwrite `dst` with the sum of `parts` f64 accumulators of n values each (the kernels' overwrite contract). */
function setFromParts(dst: TypedArray, ptr: number, n: number, parts: number): void {
  const acc = new Float64Array(wasmState()!.memory.buffer, ptr, n * parts);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let p = 0; p < parts; p++) v += acc[p * n + i]!;
    dst[i] = v;
  }
}

/** Register every WebAssembly kernel (called once by the wasm entry point). */
/** The activations of assembly/activations.ts, by their op number there. */
const ACTIVATIONS = { sigmoid: 0, tanh: 1, relu: 2 } as const;

export function registerWasmKernels(): void {
  // Element-wise arithmetic in f32x4 SIMD (assembly/elementwise.ts), bit-identical to the loops.
  registerWasmKernel(binarySame, function binarySameWasm(kind, a, b, out): void {
    const n = out.length;
    if (n < 64 || !(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array)) return binarySame.js(kind, a, b, out);
    const f = new Frame();
    // in place (out is a or b): that operand is copied in and back out when it is not in wasm memory
    let pa: number, pb: number, po: number;
    if (out === a) { pa = po = f.output(out, 0, n, true); pb = b === a ? pa : f.input(b, 0, n); }
    else if (out === b) { pb = po = f.output(out, 0, n, true); pa = f.input(a, 0, n); }
    else { pa = f.input(a, 0, n); pb = b === a ? pa : f.input(b, 0, n); po = f.output(out, 0, n); }
    if (!f.ok) { f.release(); return binarySame.js(kind, a, b, out); }
    exportsOrThrow().binarySame(kind, pa, pb, po, n);
    f.finish();
  });
  registerWasmKernel(binaryRows, function binaryRowsWasm(kind, a, b, out, rows, m, bOnLeft): void {
    const n = rows * m;
    if (n < 64 || !(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array)) return binaryRows.js(kind, a, b, out, rows, m, bOnLeft);
    const f = new Frame();
    const pa = out === a ? f.output(out, 0, n, true) : f.input(a, 0, n);
    const pb = f.input(b, 0, m);
    const po = out === a ? pa : f.output(out, 0, n);
    if (!f.ok) { f.release(); return binaryRows.js(kind, a, b, out, rows, m, bOnLeft); }
    exportsOrThrow().binaryRows(kind, pa, pb, po, rows, m, bOnLeft ? 1 : 0);
    f.finish();
  });
  registerWasmKernel(colSum, function colSumWasm(x, acc, rows, m): void {
    const n = rows * m;
    if (n < 64 || !(x instanceof Float32Array)) return colSum.js(x, acc, rows, m);
    const f = new Frame();
    const px = f.input(x, 0, n);
    const pacc = f.output(acc, 0, m, true);
    if (!f.ok) { f.release(); return colSum.js(x, acc, rows, m); }
    exportsOrThrow().colSum(px, pacc, rows, m);
    f.finish();
  });
  // Adam's step in f64x2 SIMD (assembly/adam.ts), bit-identical to the TypeScript loop.
  registerWasmKernel(adamStepF32, function adamStepF32Wasm(d, g, m, v, n, b1, b2, stepSize, rbc2, eps, l2, shrink, sign): void {
    if (n < 64) return adamStepF32.js(d, g, m, v, n, b1, b2, stepSize, rbc2, eps, l2, shrink, sign);
    const f = new Frame();
    const pm = f.output(m, 0, n, true);
    const pv = f.output(v, 0, n, true);
    const pg = f.input(g, 0, n);
    const pd = f.output(d, 0, n, true);
    if (!f.ok) { f.release(); return adamStepF32.js(d, g, m, v, n, b1, b2, stepSize, rbc2, eps, l2, shrink, sign); }
    exportsOrThrow().adamStep(pd, pg, pm, pv, 0, n, b1, b2, stepSize, rbc2, eps, l2, shrink, sign);
    f.finish();
  });
  // Activations in SIMD: exact GELU (assembly/gelu.ts), sigmoid, tanh and ReLU
  // (assembly/activations.ts); the other element-wise ops stay in their loops.
  registerWasmKernel(pointwiseForward, function pointwiseForwardWasm(op, src, dst): void {
    const n = src.length;
    const act = ACTIVATIONS[op as keyof typeof ACTIVATIONS];
    if ((op !== 'gelu' && act === undefined) || n < 16 || !(src instanceof Float32Array && dst instanceof Float32Array)) return pointwiseForward.js(op, src, dst);
    const f = new Frame();
    const ps = dst === src ? f.output(dst, 0, n, true) : f.input(src, 0, n);
    const pd = dst === src ? ps : f.output(dst, 0, n);
    if (!f.ok) { f.release(); return pointwiseForward.js(op, src, dst); }
    if (op === 'gelu') parallelRows('geluForward', n, 12, (i0, i1) => [ps, pd, i0, i1]);
    else exportsOrThrow().activationForward(act!, ps, pd, 0, n);
    f.finish();
  });
  registerWasmKernel(pointwiseBackward, function pointwiseBackwardWasm(op, dout, x, y, dst): void {
    const n = dout.length;
    const act = ACTIVATIONS[op as keyof typeof ACTIVATIONS];
    if ((op !== 'gelu' && act === undefined) || n < 16
      || !(dout instanceof Float32Array && x instanceof Float32Array && y instanceof Float32Array && dst instanceof Float32Array)) {
      return pointwiseBackward.js(op, dout, x, y, dst);
    }
    const f = new Frame();
    const pg = f.input(dout, 0, n);
    const px = f.input(x, 0, n);
    const py = op === 'gelu' || op === 'relu' ? 0 : f.input(y, 0, n);
    const pd = f.output(dst, 0, n);
    if (!f.ok) { f.release(); return pointwiseBackward.js(op, dout, x, y, dst); }
    if (op === 'gelu') parallelRows('geluBackward', n, 20, (i0, i1) => [pg, px, pd, i0, i1]);
    else exportsOrThrow().activationBackward(act!, pg, px, py, pd, 0, n);
    f.finish();
  });
  registerWasmKernel(gemm, function gemmWasm(
    A: TypedArray, aOff: number, B: TypedArray, bOff: number, C: TypedArray, cOff: number,
    M: number, N: number, K: number, transA: boolean, transB: boolean, accumulate: boolean,
  ): void {
    if (!(f32(A) && f32(B) && f32(C))) return gemm.js(A, aOff, B, bOff, C, cOff, M, N, K, transA, transB, accumulate);
    const f = new Frame();
    const pa = f.input(A, aOff, M * K);
    let pb = f.input(B, bOff, K * N);
    const pc = f.output(C, cOff, M * N, accumulate);
    const packed = transB && K * N > 0 ? f.scratch(K * N * 4) : 0;
    if (!f.ok) { f.release(); return gemm.js(A, aOff, B, bOff, C, cOff, M, N, K, transA, transB, accumulate); }
    const w = exportsOrThrow();
    // pack B^T once here, so that threads splitting the rows share it
    if (packed) { w.packTranspose(packed, pb, N, K); pb = packed; }
    parallelRows('gemmRows', M, 0.2 * N * K, (m0, m1) => [pa, pb, pc, M, N, K, transA ? 1 : 0, 0, accumulate ? 1 : 0, 0, m0, m1]);
    f.finish();
  });

  registerWasmKernel(gemmBatched, function gemmBatchedWasm(A, B, C, nb, M, N, K, transA, transB, strideA, strideB): void {
    if (!(f32(A) && f32(B) && f32(C)) || nb === 0) return gemmBatched.js(A, B, C, nb, M, N, K, transA, transB, strideA, strideB);
    const f = new Frame();
    const pa = f.input(A, 0, A.length);
    const pb = f.input(B, 0, B.length);
    const pc = f.output(C, 0, nb * M * N);
    const scratch = transB && K * N > 0 ? f.scratch(K * N * 4) : 0;
    if (!f.ok) { f.release(); return gemmBatched.js(A, B, C, nb, M, N, K, transA, transB, strideA, strideB); }
    exportsOrThrow().gemmBatched(pa, pb, pc, nb, M, N, K, transA ? 1 : 0, transB ? 1 : 0, strideA * 4, strideB * 4, scratch);
    f.finish();
  });

  registerWasmKernel(layernormForward, function layernormForwardWasm(
    out: TypedArray, mean: Float64Array, rstd: Float64Array, inp: TypedArray,
    weight: TypedArray | null, bias: TypedArray | null, N: number, C: number, eps: number,
  ): void {
    if (!(f32(out) && f32(inp) && f32(weight) && f32(bias)) || C === 0) {
      return layernormForward.js(out, mean, rstd, inp, weight, bias, N, C, eps);
    }
    const f = new Frame();
    const pi = f.input(inp, 0, N * C);
    const pw = weight ? f.input(weight, 0, C) : 0;
    const pb = bias ? f.input(bias, 0, C) : 0;
    const po = f.output(out, 0, N * C);
    const pm = f.output(mean, 0, N);
    const pr = f.output(rstd, 0, N);
    if (!f.ok) { f.release(); return layernormForward.js(out, mean, rstd, inp, weight, bias, N, C, eps); }
    parallelRows('layernormForward', N, 0.8 * C, (n0, n1) => [po, pm, pr, pi, pw, pb, N, C, eps, n0, n1]);
    f.finish();
  });

  registerWasmKernel(layernormBackward, function layernormBackwardWasm(
    dinp: TypedArray | null, dweight: TypedArray | null, dbias: TypedArray | null,
    dout: TypedArray, inp: TypedArray, weight: TypedArray | null,
    mean: Float64Array, rstd: Float64Array, N: number, C: number,
  ): void {
    if (!(f32(dinp) && f32(dout) && f32(inp) && f32(weight)) || C === 0) {
      return layernormBackward.js(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C);
    }
    const f = new Frame();
    const pg = f.input(dout, 0, N * C);
    const px = f.input(inp, 0, N * C);
    const pw = weight ? f.input(weight, 0, C) : 0;
    const pm = f.input(mean, 0, N);
    const pr = f.input(rstd, 0, N);
    const pd = dinp ? f.output(dinp, 0, N * C) : 0;
    // one pair of f64 accumulators per thread, summed here afterwards
    const parts = parallelParts(N, 1.2 * C);
    const pdw = dweight ? zeros64(f, C * parts) : 0;
    const pdb = dbias ? zeros64(f, C * parts) : 0;
    if (!f.ok) { f.release(); return layernormBackward.js(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C); }
    parallelRows('layernormBackward', N, 1.2 * C, (n0, n1, part) =>
      [pd, pdw ? pdw + part * C * 8 : 0, pdb ? pdb + part * C * 8 : 0, pg, px, pw, pm, pr, N, C, n0, n1], parts);
    for (let p = 0; p < parts; p++) {
      if (dweight) addBack(dweight, pdw + p * C * 8, C);
      if (dbias) addBack(dbias, pdb + p * C * 8, C);
    }
    f.finish();
  });

  registerWasmKernel(rmsnormForward, function rmsnormForwardWasm(
    out: TypedArray, rstd: Float64Array, inp: TypedArray, weight: TypedArray | null, N: number, C: number, eps: number,
  ): void {
    if (!(f32(out) && f32(inp) && f32(weight)) || C === 0) return rmsnormForward.js(out, rstd, inp, weight, N, C, eps);
    const f = new Frame();
    const pi = f.input(inp, 0, N * C);
    const pw = weight ? f.input(weight, 0, C) : 0;
    const po = f.output(out, 0, N * C);
    const pr = f.output(rstd, 0, N);
    if (!f.ok) { f.release(); return rmsnormForward.js(out, rstd, inp, weight, N, C, eps); }
    parallelRows('rmsnormForward', N, 0.8 * C, (n0, n1) => [po, pr, pi, pw, N, C, eps, n0, n1]);
    f.finish();
  });

  registerWasmKernel(rmsnormBackward, function rmsnormBackwardWasm(
    dinp: TypedArray | null, dweight: TypedArray | null, dout: TypedArray, inp: TypedArray,
    weight: TypedArray | null, rstd: Float64Array, N: number, C: number,
  ): void {
    if (!(f32(dinp) && f32(dout) && f32(inp) && f32(weight)) || C === 0) {
      return rmsnormBackward.js(dinp, dweight, dout, inp, weight, rstd, N, C);
    }
    const f = new Frame();
    const pg = f.input(dout, 0, N * C);
    const px = f.input(inp, 0, N * C);
    const pw = weight ? f.input(weight, 0, C) : 0;
    const pr = f.input(rstd, 0, N);
    const pd = dinp ? f.output(dinp, 0, N * C) : 0;
    const parts = parallelParts(N, 1.2 * C);
    const pdw = dweight ? zeros64(f, C * parts) : 0;
    if (!f.ok) { f.release(); return rmsnormBackward.js(dinp, dweight, dout, inp, weight, rstd, N, C); }
    parallelRows('rmsnormBackward', N, 1.2 * C, (n0, n1, part) =>
      [pd, pdw ? pdw + part * C * 8 : 0, pg, px, pw, pr, N, C, n0, n1], parts);
    if (dweight) for (let p = 0; p < parts; p++) addBack(dweight, pdw + p * C * 8, C);
    f.finish();
  });

  // BatchNorm: S = 1 ([N, C], channels strided) runs vectorized across
  // channels on one thread; S > 1 (NCHW) runs channel by channel over the N
  // contiguous runs of S values, channels split over threads.
  registerWasmKernel(batchnormForwardTrain, function batchnormForwardTrainWasm(
    out: TypedArray, mean: Float64Array, rstd: Float64Array,
    inp: TypedArray, weight: TypedArray | null, bias: TypedArray | null,
    N: number, C: number, S: number, eps: number,
  ): void {
    if (N === 0 || C === 0 || S === 0 || !(f32(out) && f32(inp) && f32(weight) && f32(bias))) {
      return batchnormForwardTrain.js(out, mean, rstd, inp, weight, bias, N, C, S, eps);
    }
    if (S > 1) return batchnormForwardTrainSpatial(out, mean, rstd, inp, weight, bias, N, C, S, eps);
    const f = new Frame();
    const pi = f.input(inp, 0, N * C);
    const pw = weight ? f.input(weight, 0, C) : 0;
    const pb = bias ? f.input(bias, 0, C) : 0;
    const po = f.output(out, 0, N * C);
    const pm = f.output(mean, 0, C);
    const pr = f.output(rstd, 0, C);
    const s1 = f.scratch(C * 8), s2 = f.scratch(C * 8), mk = f.scratch(C * 4), sc = f.scratch(C * 4), sh = f.scratch(C * 4);
    if (!f.ok) { f.release(); return batchnormForwardTrain.js(out, mean, rstd, inp, weight, bias, N, C, S, eps); }
    exportsOrThrow().batchnormForwardTrain1(po, pm, pr, pi, pw, pb, N, C, eps, s1, s2, mk, sc, sh);
    f.finish();
  });

  registerWasmKernel(batchnormBackward, function batchnormBackwardWasm(
    dinp: TypedArray | null, dweight: TypedArray | null, dbias: TypedArray | null,
    dout: TypedArray, inp: TypedArray, weight: TypedArray | null,
    mean: Float64Array, rstd: Float64Array, N: number, C: number, S: number,
  ): void {
    if (N === 0 || C === 0 || S === 0 || !(f32(dinp) && f32(dout) && f32(inp) && f32(weight))) {
      return batchnormBackward.js(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, S);
    }
    if (S > 1) return batchnormBackwardSpatial(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, S, true);
    const f = new Frame();
    const pg = f.input(dout, 0, N * C);
    const px = f.input(inp, 0, N * C);
    const pw = weight ? f.input(weight, 0, C) : 0;
    const pm = f.input(mean, 0, C);
    const pr = f.input(rstd, 0, C);
    const pd = dinp ? f.output(dinp, 0, N * C) : 0;
    const sD = f.scratch(C * 8), sX = f.scratch(C * 8);
    const mk = f.scratch(C * 8), a = f.scratch(C * 8), bD = f.scratch(C * 8), bX = f.scratch(C * 8);
    if (!f.ok) { f.release(); return batchnormBackward.js(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, S); }
    exportsOrThrow().batchnormBackward1(pd, pg, px, pw, pm, pr, N, C, sD, sX, mk, a, bD, bX);
    // dweight/dbias are overwritten (the TypeScript kernel's contract), from the f64 sums
    const buf = wasmState()!.memory.buffer;
    if (dbias) dbias.set(new Float64Array(buf, sD, C));
    if (dweight) dweight.set(new Float64Array(buf, sX, C));
    f.finish();
  });

  registerWasmKernel(batchnormForwardEval, function batchnormForwardEvalWasm(
    out: TypedArray, inp: TypedArray, runningMean: TypedArray, runningVar: TypedArray,
    weight: TypedArray | null, bias: TypedArray | null, N: number, C: number, S: number, eps: number,
  ): void {
    if (N === 0 || C === 0 || S === 0 || !(f32(out) && f32(inp))) {
      return batchnormForwardEval.js(out, inp, runningMean, runningVar, weight, bias, N, C, S, eps);
    }
    const f = new Frame();
    const pi = f.input(inp, 0, N * C * S);
    const po = f.output(out, 0, N * C * S);
    const rm = f.scratch(C * 4), sc = f.scratch(C * 4), sh = f.scratch(C * 4);
    if (!f.ok) { f.release(); return batchnormForwardEval.js(out, inp, runningMean, runningVar, weight, bias, N, C, S, eps); }
    const buf = wasmState()!.memory.buffer;
    const vm = new Float32Array(buf, rm, C), vs = new Float32Array(buf, sc, C), vh = new Float32Array(buf, sh, C);
    for (let c = 0; c < C; c++) {
      vm[c] = runningMean[c]!;
      vs[c] = (weight ? weight[c]! : 1) / Math.sqrt(runningVar[c]! + eps);
      vh[c] = bias ? bias[c]! : 0;
    }
    if (S === 1) exportsOrThrow().batchnormForwardEval1(po, pi, rm, sc, sh, N, C);
    else parallelRows('batchnormForwardEvalS', C, 0.5 * N * S, (c0, c1) => [po, pi, rm, sc, sh, N, C, S, c0, c1]);
    f.finish();
  });

  registerWasmKernel(batchnormBackwardEval, function batchnormBackwardEvalWasm(
    dinp: TypedArray | null, dweight: TypedArray | null, dbias: TypedArray | null,
    dout: TypedArray, inp: TypedArray, weight: TypedArray | null,
    mean: Float64Array, rstd: Float64Array, N: number, C: number, S: number,
  ): void {
    if (N === 0 || C === 0 || S === 0 || !(f32(dinp) && f32(dout) && f32(inp) && f32(weight))) {
      return batchnormBackwardEval.js(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, S);
    }
    if (S > 1) return batchnormBackwardSpatial(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, S, false);
    const f = new Frame();
    const pg = f.input(dout, 0, N * C);
    const px = f.input(inp, 0, N * C);
    const pm = f.input(mean, 0, C);
    const pr = f.input(rstd, 0, C);
    const pd = dinp ? f.output(dinp, 0, N * C) : 0;
    const sD = f.scratch(C * 8), sX = f.scratch(C * 8), pa = f.scratch(C * 4);
    if (!f.ok) { f.release(); return batchnormBackwardEval.js(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, S); }
    const buf = wasmState()!.memory.buffer;
    const a = new Float32Array(buf, pa, C);
    for (let c = 0; c < C; c++) a[c] = (weight ? weight[c]! : 1) * rstd[c]!;
    exportsOrThrow().batchnormBackwardEval1(pd, sD, sX, pg, px, pm, pr, pa, N, C);
    if (dbias) dbias.set(new Float64Array(buf, sD, C));
    if (dweight) dweight.set(new Float64Array(buf, sX, C));
    f.finish();
  });

  registerWasmKernel(groupnormForward, function groupnormForwardWasm(
    out: TypedArray, mean: Float64Array, rstd: Float64Array,
    inp: TypedArray, weight: TypedArray | null, bias: TypedArray | null,
    N: number, C: number, S: number, G: number, eps: number,
  ): void {
    const D = (C / G) * S;
    if (N === 0 || D === 0 || !(f32(out) && f32(inp) && f32(weight) && f32(bias))) {
      return groupnormForward.js(out, mean, rstd, inp, weight, bias, N, C, S, G, eps);
    }
    const f = new Frame();
    const pi = f.input(inp, 0, N * C * S);
    const pw = weight ? f.input(weight, 0, C) : 0;
    const pb = bias ? f.input(bias, 0, C) : 0;
    const po = f.output(out, 0, N * C * S);
    const pm = f.output(mean, 0, N * G);
    const pr = f.output(rstd, 0, N * G);
    if (!f.ok) { f.release(); return groupnormForward.js(out, mean, rstd, inp, weight, bias, N, C, S, G, eps); }
    parallelRows('groupnormForward', N * G, 0.8 * D, (r0, r1) => [po, pm, pr, pi, pw, pb, N, C, S, G, eps, r0, r1]);
    f.finish();
  });

  registerWasmKernel(groupnormBackward, function groupnormBackwardWasm(
    dinp: TypedArray | null, dweight: TypedArray | null, dbias: TypedArray | null,
    dout: TypedArray, inp: TypedArray, weight: TypedArray | null,
    mean: Float64Array, rstd: Float64Array, N: number, C: number, S: number, G: number,
  ): void {
    const D = (C / G) * S;
    if (N === 0 || D === 0 || !(f32(dinp) && f32(dout) && f32(inp) && f32(weight))) {
      return groupnormBackward.js(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, S, G);
    }
    const f = new Frame();
    const pg = f.input(dout, 0, N * C * S);
    const px = f.input(inp, 0, N * C * S);
    const pw = weight ? f.input(weight, 0, C) : 0;
    const pm = f.input(mean, 0, N * G);
    const pr = f.input(rstd, 0, N * G);
    const pd = dinp ? f.output(dinp, 0, N * C * S) : 0;
    // one pair of f64 per-channel accumulators per thread, summed afterwards
    const parts = parallelParts(N * G, 1.5 * D);
    const pdw = dweight ? zeros64(f, C * parts) : 0;
    const pdb = dbias ? zeros64(f, C * parts) : 0;
    if (!f.ok) { f.release(); return groupnormBackward.js(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, S, G); }
    parallelRows('groupnormBackward', N * G, 1.5 * D, (r0, r1, part) =>
      [pd, pdw ? pdw + part * C * 8 : 0, pdb ? pdb + part * C * 8 : 0, pg, px, pw, pm, pr, N, C, S, G, r0, r1], parts);
    // dweight/dbias are overwritten (the TypeScript kernel's contract)
    if (dweight) setFromParts(dweight, pdw, C, parts);
    if (dbias) setFromParts(dbias, pdb, C, parts);
    f.finish();
  });

  // softmax: the last axis (inner = 1) only; other axes keep the TypeScript kernel
  registerWasmKernel(softmaxForward, function softmaxForwardWasm(
    out: TypedArray, inp: TypedArray, outer: number, D: number, inner: number, log: boolean,
  ): void {
    if (inner !== 1 || outer === 0 || D === 0 || !(f32(out) && f32(inp))) return softmaxForward.js(out, inp, outer, D, inner, log);
    const f = new Frame();
    const pi = f.input(inp, 0, outer * D);
    const po = f.output(out, 0, outer * D);
    if (!f.ok) { f.release(); return softmaxForward.js(out, inp, outer, D, inner, log); }
    parallelRows('softmaxForward', outer, 2 * D, (r0, r1) => [po, pi, D, log ? 1 : 0, r0, r1]);
    f.finish();
  });

  registerWasmKernel(softmaxBackward, function softmaxBackwardWasm(
    dinp: TypedArray, dout: TypedArray, out: TypedArray, outer: number, D: number, inner: number, log: boolean,
  ): void {
    if (inner !== 1 || outer === 0 || D === 0 || !(f32(dinp) && f32(dout) && f32(out))) {
      return softmaxBackward.js(dinp, dout, out, outer, D, inner, log);
    }
    const f = new Frame();
    const pg = f.input(dout, 0, outer * D);
    const py = f.input(out, 0, outer * D);
    const pd = f.output(dinp, 0, outer * D);
    if (!f.ok) { f.release(); return softmaxBackward.js(dinp, dout, out, outer, D, inner, log); }
    parallelRows('softmaxBackward', outer, (log ? 2 : 1) * D, (r0, r1) => [pd, pg, py, D, log ? 1 : 0, r0, r1]);
    f.finish();
  });
}

/** BatchNorm training forward for S > 1 (NCHW), channels split over threads. */
function batchnormForwardTrainSpatial(
  out: TypedArray, mean: Float64Array, rstd: Float64Array, inp: TypedArray, weight: TypedArray | null, bias: TypedArray | null,
  N: number, C: number, S: number, eps: number,
): void {
  const f = new Frame();
  const pi = f.input(inp, 0, N * C * S);
  const pw = weight ? f.input(weight, 0, C) : 0;
  const pb = bias ? f.input(bias, 0, C) : 0;
  const po = f.output(out, 0, N * C * S);
  const pm = f.output(mean, 0, C);
  const pr = f.output(rstd, 0, C);
  if (!f.ok) { f.release(); return batchnormForwardTrain.js(out, mean, rstd, inp, weight, bias, N, C, S, eps); }
  parallelRows('batchnormForwardTrainS', C, 1.0 * N * S, (c0, c1) => [po, pm, pr, pi, pw, pb, N, C, S, eps, c0, c1]);
  f.finish();
}

/** BatchNorm backward for S > 1, training (through the batch statistics) or evaluation mode. */
function batchnormBackwardSpatial(
  dinp: TypedArray | null, dweight: TypedArray | null, dbias: TypedArray | null,
  dout: TypedArray, inp: TypedArray, weight: TypedArray | null,
  mean: Float64Array, rstd: Float64Array, N: number, C: number, S: number, train: boolean,
): void {
  const js = train ? batchnormBackward.js : batchnormBackwardEval.js;
  const f = new Frame();
  const pg = f.input(dout, 0, N * C * S);
  const px = f.input(inp, 0, N * C * S);
  const pw = weight ? f.input(weight, 0, C) : 0;
  const pm = f.input(mean, 0, C);
  const pr = f.input(rstd, 0, C);
  const pd = dinp ? f.output(dinp, 0, N * C * S) : 0;
  const sD = f.scratch(C * 8), sX = f.scratch(C * 8);
  if (!f.ok) { f.release(); return js(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, S); }
  parallelRows('batchnormBackwardS', C, 1.5 * N * S, (c0, c1) => [pd, sD, sX, pg, px, pw, pm, pr, N, C, S, train ? 1 : 0, c0, c1]);
  // dweight/dbias are overwritten (the TypeScript kernel's contract), from the f64 sums
  const buf = wasmState()!.memory.buffer;
  if (dbias) dbias.set(new Float64Array(buf, sD, C));
  if (dweight) dweight.set(new Float64Array(buf, sX, C));
  f.finish();
}
