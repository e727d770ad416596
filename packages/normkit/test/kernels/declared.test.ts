/**
 * Every declared kernel (src/kernels/kernel.ts), on every backend, against a
 * float64 run of its TypeScript implementation, at awkward shapes. Driven by
 * the declarations: arguments are built from each argument's role and size,
 * so a new kernel only needs a sample of its scalars here (the test fails for
 * a declared kernel without one). Besides the values, it checks the
 * declarations' contracts on every backend:
 * - 'in' arrays are not modified;
 * - 'out' and 'sum' arrays are overwritten (they start filled with a stale
 *   value, so a kernel that accumulates or skips elements fails);
 * Backends: 'js'; 'wasm' with arrays on the JS heap (copied per call);
 * 'wasm' with arrays in wasm memory (the zero-copy path tensors take); and
 * 'wasm' on two threads with the split crossover at 0 (per-thread sums).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import '../../src/index.js';
import { declaredKernels, hasWasmImplementation, type ArgSpec, type ArraySpec, type Kernel } from '../../src/kernels/kernel.js';
import { getBackend, setBackend } from '../../src/kernels/backend.js';
import { allocateResident, isResident, releaseResident, residentBlockOf } from '../../src/kernels/wasm/loader.js';
import { setThreads, setThreadCrossover, getThreadCrossover, parallelKernels } from '../../src/kernels/threads/pool.js';
import { layernormForward } from '../../src/kernels/js/layernorm.js';
import { rmsnormForward } from '../../src/kernels/js/rmsnorm.js';
import { groupnormForward } from '../../src/kernels/js/groupnorm.js';
import { batchnormForwardTrain } from '../../src/kernels/js/batchnorm.js';
import { attentionSoftmaxForward, softmaxForward } from '../../src/kernels/js/softmax.js';
import { crossEntropyForward } from '../../src/kernels/js/cross-entropy.js';
import { pointwiseForward, POINTWISE_GRAD_OPS, POINTWISE_OPS } from '../../src/kernels/js/pointwise.js';
import { lrnForward } from '../../src/kernels/js/lrn.js';
import { normalizeForward } from '../../src/kernels/js/normalize.js';

/** Seeded generator (mulberry32) and the values a case is built from. */
class Gen {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    let t = (this.s += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.next() * xs.length)]!; }
  bool(): boolean { return this.next() < 0.5; }
  /** null (skip the optional array) or undefined (generate it). */
  opt(): null | undefined { return this.next() < 0.3 ? null : undefined; }
  /** Float32-representable data around `offset` with spread `spread`. */
  data(n: number, offset = 0, spread = 1): Float64Array {
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = Math.fround(offset + spread * (this.next() * 2 - 1));
    return a;
  }
  positive(n: number, lo = 0.2, hi = 2): Float64Array {
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = Math.fround(lo + (hi - lo) * this.next());
    return a;
  }
}

/** A convolution geometry at awkward sizes (strides, padding, dilation), with offsets into larger buffers. */
function convSample(g: Gen): Case {
  for (;;) {
    const C = g.pick([1, 2, 3]), H = g.pick([1, 3, 5, 8, 9]), W = g.pick([1, 3, 4, 7, 17]);
    const kh = g.pick([1, 2, 3]), kw = g.pick([1, 2, 3]), sh = g.pick([1, 1, 2]), sw = g.pick([1, 1, 2, 3]);
    const ph = g.pick([0, 1, 2]), pw = g.pick([0, 1, 2]), dh = g.pick([1, 1, 2]), dw = g.pick([1, 1, 2]);
    const OH = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1, OW = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
    if (OH >= 1 && OW >= 1) return { C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, dh, dw, xOff: g.int(0, 5), cOff: g.int(0, 5), tol: 1e-6 };
  }
}

/** A case: scalars by name, and explicit arrays (Float64Array data, or null to skip an optional one). */
type Case = Record<string, unknown> & { tol?: number };

/** Awkward sizes: 1, primes, one past a SIMD width, one past a block. */
const ODD = [1, 2, 3, 5, 7, 17, 33, 65, 129] as const;

/** Run a forward kernel's TypeScript implementation in float64 (for the statistics a backward kernel takes). */
function stats<A extends readonly ArgSpec[]>(k: Kernel<A>, args: unknown[]): void { (k.js as unknown as (...a: unknown[]) => void)(...args); }

const SAMPLES: Record<string, (g: Gen) => Case> = {
  binarySame: (g) => { const n = g.pick([1, 3, 63, 64, 67, 130]); return { kind: g.pick([0, 1, 2, 3]), a: g.data(n), b: g.positive(n), out: new Float64Array(n).fill(7.77) }; },
  binaryRows: (g) => ({ kind: g.pick([0, 1, 2, 3]), rows: g.pick(ODD), m: g.pick([1, 3, 4, 9, 64, 67]), bOnLeft: g.bool(), b: undefined, a: undefined }),
  binaryScalar: (g) => {
    const n = g.pick([1, 3, 63, 64, 67, 130]), kind = g.pick([0, 1, 2, 3] as const), sOnLeft = g.bool();
    return { kind, a: kind === 3 && sOnLeft ? g.positive(n) : g.data(n), s: Math.fround(g.pick([0.125, -1.7, 3.3])), out: new Float64Array(n).fill(7.77), sOnLeft };
  },
  reduceSum: (g) => ({ outer: g.pick([1, 2, 5, 17]), R: g.pick(ODD), inner: g.pick([1, 1, 3, 4, 9]), tol: 1e-12 }),
  dropoutMask: (g) => {
    // from 2048 the wasm kernel draws in four SIMD lanes from jumped-to states (kernels.ts)
    const n = g.pick([1, 3, 64, 67, 1000, 2048, 5003]);
    // any four int32 words of generator state; the final state must match too
    return { mask: new Float64Array(n), state: Float64Array.from({ length: 4 }, () => g.int(-2147483648, 2147483647)), p: g.pick([0.1, 0.5, 0.9]), keep: g.pick([1 / 0.9, 2, 10]), tol: 1e-7 };
  },
  reduceMax: (g) => {
    const outer = g.pick([1, 2, 5, 17]), R = g.pick([1, 3, 4, 7, 8, 9, 33, 130]), inner = g.pick([1, 1, 3, 4, 9]);
    // ties (values on a coarse grid) and a NaN now and then: the first position must win
    const x = Float64Array.from({ length: outer * R * inner }, () => (g.next() < 0.03 ? NaN : Math.round(g.next() * 6) - 3));
    return { outer, R, inner, x, tol: 0 };
  },
  indexAddRows: (g) => {
    const len = g.pick([1, 3, 7]), n = g.pick([1, 5, 17, 40]);
    // repeated indices: rows picked twice sum their gradients
    return { outer: g.pick([1, 2]), len, n, inner: g.pick([1, 3, 4, 16, 33]), index: Float64Array.from({ length: n }, () => g.int(0, len - 1)), tol: 1e-6 };
  },
  colSum: (g) => ({ rows: g.pick(ODD), m: g.pick([1, 3, 4, 9, 64, 67]) }),
  sgdStepF32: (g) => {
    const n = g.pick([1, 63, 64, 65, 130]);
    return { n, lr: 0.01, sign: g.pick([1, -1]), wd: g.pick([0, 1e-4]), tol: 0 };
  },
  sgdMomentumStepF32: (g) => {
    const n = g.pick([1, 63, 64, 65, 130]);
    return { n, lr: 0.01, sign: g.pick([1, -1]), wd: g.pick([0, 1e-4]), mu: 0.9, damp: g.pick([1, 0.9]), nesterov: g.bool(), first: g.bool(), b: g.data(n, 0, 0.1), tol: 0 };
  },
  adamStepF32: (g) => {
    const n = g.pick([1, 63, 64, 65, 130]);
    return {
      n, b1: 0.9, b2: 0.999, stepSize: 1e-3 / (1 - 0.9 ** 3), rbc2: 1 / Math.sqrt(1 - 0.999 ** 3), eps: 1e-8,
      l2: g.pick([0, 0.01]), shrink: g.pick([1, 0.999]), sign: g.pick([1, -1]), m: g.data(n, 0, 0.1), v: g.positive(n, 0, 0.01), tol: 0,
    };
  },
  pointwiseForward: (g) => {
    const op = g.pick(POINTWISE_OPS), n = g.pick([1, 15, 16, 17, 67, 300]);
    return { op, src: op === 'log' || op === 'sqrt' ? g.positive(n, 0.05, 4) : g.data(n, 0, 4), dst: new Float64Array(n).fill(7.77) };
  },
  pointwiseBackward: (g) => {
    const op = g.pick(POINTWISE_GRAD_OPS), n = g.pick([1, 15, 16, 17, 67, 300]);
    const x = op === 'log' || op === 'sqrt' ? g.positive(n, 0.05, 4) : g.data(n, 0, 4);
    const y = new Float64Array(n);
    pointwiseForward.js(op, x, y);
    return { op, dout: g.data(n), x, y: Float64Array.from(y, Math.fround), dst: new Float64Array(n).fill(7.77) };
  },
  geluWithDerivative: (g) => {
    const n = g.pick([1, 15, 16, 17, 67, 300]);
    return { src: g.data(n, 0, 6), dst: new Float64Array(n).fill(7.77), deriv: new Float64Array(n).fill(7.77) };
  },
  gemm: (g) => {
    const M = g.pick(ODD), N = g.pick(ODD), K = g.pick(ODD);
    return { M, N, K, aOff: g.int(0, 3), bOff: g.int(0, 3), cOff: g.int(0, 3), transA: g.bool(), transB: g.bool(), accumulate: g.bool(), bias: g.opt(), tol: 1e-5 * K };
  },
  gemmBatched: (g) => {
    const nb = g.int(1, 4), M = g.pick(ODD.slice(0, 6)), N = g.pick(ODD.slice(0, 6)), K = g.pick(ODD.slice(0, 6));
    const strideA = g.bool() ? M * K : 0, strideB = g.bool() ? K * N : 0;
    return {
      nb, M, N, K, transA: g.bool(), transB: g.bool(), strideA, strideB,
      A: g.data(strideA ? nb * M * K : M * K), B: g.data(strideB ? nb * K * N : K * N), tol: 1e-5 * K,
    };
  },
  layernormForward: (g) => ({ N: g.pick(ODD), C: g.pick(ODD), eps: 1e-5, weight: g.opt(), bias: g.opt(), inp: undefined }),
  layernormBackward: (g) => {
    const N = g.pick(ODD), C = g.pick(ODD), inp = g.data(N * C, g.pick([0, 100]));
    const mean = new Float64Array(N), rstd = new Float64Array(N);
    stats(layernormForward, [new Float64Array(N * C), mean, rstd, inp, null, null, N, C, 1e-5]);
    return { N, C, inp, mean, rstd, weight: g.opt(), dinp: g.opt(), dweight: g.opt(), dbias: g.opt(), tol: 1e-5 * Math.sqrt(N) };
  },
  rmsnormForward: (g) => ({ N: g.pick(ODD), C: g.pick(ODD), eps: 1e-6, weight: g.opt() }),
  rmsnormBackward: (g) => {
    const N = g.pick(ODD), C = g.pick(ODD), inp = g.data(N * C);
    const rstd = new Float64Array(N);
    stats(rmsnormForward, [new Float64Array(N * C), rstd, inp, null, N, C, 1e-6]);
    return { N, C, inp, rstd, weight: g.opt(), dinp: g.opt(), dweight: g.opt(), tol: 1e-5 * Math.sqrt(N) };
  },
  groupnormForward: (g) => {
    const G = g.pick([1, 2, 3]), C = G * g.pick([1, 2, 5]);
    return { N: g.pick([1, 2, 3, 5]), C, S: g.pick([1, 3, 7, 16]), G, eps: 1e-5, weight: g.opt(), bias: g.opt() };
  },
  groupnormBackward: (g) => {
    const G = g.pick([1, 2, 3]), C = G * g.pick([1, 2, 5]), N = g.pick([1, 2, 3, 5]), S = g.pick([1, 3, 7, 16]);
    const inp = g.data(N * C * S), mean = new Float64Array(N * G), rstd = new Float64Array(N * G);
    stats(groupnormForward, [new Float64Array(N * C * S), mean, rstd, inp, null, null, N, C, S, G, 1e-5]);
    return { N, C, S, G, inp, mean, rstd, weight: g.opt(), dinp: g.opt(), dweight: g.opt(), dbias: g.opt(), tol: 1e-5 * Math.sqrt(N * S) };
  },
  batchnormForwardTrain: (g) => ({ N: g.pick(ODD.slice(1)), C: g.pick(ODD), S: g.pick([1, 1, 3, 16]), eps: 1e-5, weight: g.opt(), bias: g.opt(), inp: undefined }),
  batchnormBackward: (g) => {
    const N = g.pick(ODD.slice(1)), C = g.pick(ODD), S = g.pick([1, 1, 3, 16]);
    const inp = g.data(N * C * S), mean = new Float64Array(C), rstd = new Float64Array(C);
    stats(batchnormForwardTrain, [new Float64Array(N * C * S), mean, rstd, inp, null, null, N, C, S, 1e-5]);
    return { N, C, S, inp, mean, rstd, weight: g.opt(), dinp: g.opt(), dweight: g.opt(), dbias: g.opt(), tol: 1e-5 * Math.sqrt(N * S) };
  },
  batchnormForwardEval: (g) => {
    const C = g.pick(ODD);
    return { N: g.pick(ODD), C, S: g.pick([1, 1, 3, 16]), eps: 1e-5, runningMean: g.data(C), runningVar: g.positive(C), weight: g.opt(), bias: g.opt() };
  },
  batchnormBackwardEval: (g) => {
    const C = g.pick(ODD);
    return { N: g.pick(ODD), C, S: g.pick([1, 1, 3, 16]), mean: g.data(C), rstd: g.positive(C), weight: g.opt(), dinp: g.opt(), dweight: g.opt(), dbias: g.opt() };
  },
  dytForward: (g) => ({ N: g.pick(ODD), C: g.pick(ODD), alpha: g.pick([0.5, 1.3]), weight: g.opt(), bias: g.opt() }),
  dytBackward: (g) => ({ N: g.pick(ODD), C: g.pick(ODD), alpha: g.pick([0.5, 1.3]), weight: g.opt(), dinp: g.opt(), dalpha: g.opt(), dweight: g.opt(), dbias: g.opt() }),
  lrnForward: (g) => ({ N: g.pick([1, 2, 3]), C: g.pick([1, 3, 7, 16]), S: g.pick([1, 5, 9]), size: g.pick([1, 2, 5]), alpha: 1e-2, beta: 0.75, k: 2 }),
  lrnBackward: (g) => {
    const N = g.pick([1, 2, 3]), C = g.pick([1, 3, 7, 16]), S = g.pick([1, 5, 9]), size = g.pick([1, 2, 5]);
    const inp = g.data(N * C * S), scale = new Float64Array(N * C * S);
    stats(lrnForward, [new Float64Array(N * C * S), scale, inp, N, C, S, size, 1e-2, 0.75, 2]);
    return { N, C, S, size, alpha: 1e-2, beta: 0.75, inp, scale };
  },
  normalizeForward: (g) => ({ outer: g.pick([1, 2, 5]), D: g.pick(ODD), inner: g.pick([1, 3]), p: g.pick([1, 2, 3]), eps: 1e-12 }),
  normalizeBackward: (g) => {
    const outer = g.pick([1, 2, 5]), D = g.pick(ODD), inner = g.pick([1, 3]), p = g.pick([1, 2, 3]);
    const inp = g.data(outer * D * inner), norm = new Float64Array(outer * inner);
    stats(normalizeForward, [new Float64Array(outer * D * inner), norm, inp, outer, D, inner, p, 1e-12]);
    return { outer, D, inner, p, eps: 1e-12, inp, norm };
  },
  softmaxForward: (g) => ({ outer: g.pick(ODD), D: g.pick(ODD), inner: g.pick([1, 5, 9, 1]), log: g.bool() }),
  softmaxBackward: (g) => {
    const outer = g.pick(ODD), D = g.pick(ODD), inner = g.pick([1, 5, 9, 1]), log = g.bool();
    const x = g.data(outer * D * inner, 0, 3), out = new Float64Array(outer * D * inner);
    stats(softmaxForward, [out, x, outer, D, inner, log]);
    return { outer, D, inner, log, out: Float64Array.from(out, Math.fround) };
  },
  // rows = batches x T queries; D keys (T != D: cross-attention); causal keeps min(D, t + 1) per row
  attentionSoftmaxForward: (g) => {
    const T = g.pick(ODD), D = g.pick(ODD);
    return { rows: g.pick([1, 2, 3]) * T, D, T, scale: g.pick([0.25, 0.37]), causal: g.bool() };
  },
  attentionSoftmaxBackward: (g) => {
    const T = g.pick(ODD), D = g.pick(ODD), rows = g.pick([1, 2, 3]) * T, scale = g.pick([0.25, 0.37]), causal = g.bool();
    const x = g.data(rows * D, 0, 3), out = new Float64Array(rows * D);
    stats(attentionSoftmaxForward, [out, x, rows, D, T, scale, causal]);
    return { rows, D, T, scale, causal, out: Float64Array.from(out, Math.fround) };
  },
  crossEntropyForward: (g) => {
    const N = g.pick(ODD), C = g.pick(ODD);
    return { N, C, logits: g.data(N * C, g.pick([0, 50]), 4), targets: Float64Array.from({ length: N }, () => g.int(0, C - 1)) }; // class indices (run as Int32Array)
  },
  crossEntropyBackward: (g) => {
    const N = g.pick(ODD), C = g.pick(ODD);
    const logits = g.data(N * C, 0, 4), targets = Float64Array.from({ length: N }, () => g.int(0, C - 1)), lse = new Float64Array(N);
    stats(crossEntropyForward, [lse, new Float64Array(N), logits, Int32Array.from(targets), N, C]);
    return { N, C, logits, targets, lse, scale: g.pick([1 / N, -0.37]) };
  },
  maxPool2dForward: (g) => {
    for (;;) {
      const NC = g.pick([1, 2, 5]), H = g.pick([1, 2, 5, 8]), W = g.pick([1, 3, 4, 9]);
      const kh = g.pick([1, 2, 3]), kw = g.pick([1, 2, 3]), sh = g.pick([1, 2]), sw = g.pick([1, 2, 3]);
      const ph = g.pick([0, 0, 1]) * (kh > 1 ? 1 : 0), pw = g.pick([0, 0, 1]) * (kw > 1 ? 1 : 0);
      const OH = Math.floor((H + 2 * ph - kh) / sh) + 1, OW = Math.floor((W + 2 * pw - kw) / sw) + 1;
      if (OH < 1 || OW < 1) continue;
      // ties on a coarse grid, and a NaN now and then (it ends its window row)
      const x = Float64Array.from({ length: NC * H * W }, () => (g.next() < 0.04 ? NaN : Math.round(g.next() * 8) - 4));
      return { NC, H, W, kh, kw, sh, sw, ph, pw, OH, OW, x, tol: 0 };
    }
  },
  scatterAdd: (g) => {
    const len = g.pick([1, 7, 64, 100]), n = g.pick([1, 16, 64, 300]);
    // repeated positions add up, in order
    return { g: g.data(len), dy: g.data(n), idx: Float64Array.from({ length: n }, () => g.int(0, len - 1)), tol: 1e-6 };
  },
  im2col: (g) => convSample(g),
  col2im: (g) => convSample(g),
  copyRows: (g) => {
    const rows = g.pick([1, 2, 5, 17, 64]), cols = g.pick([1, 3, 4, 16, 17, 64]);
    const srcStride = cols + g.pick([0, 0, 1, 5]), dstStride = cols + g.pick([0, 1, 3, 64]);
    // dst starts with values that must survive between the rows
    return { rows, cols, srcStride, dstStride, src: g.data((rows - 1) * srcStride + cols), dst: g.data((rows - 1) * dstStride + cols + g.pick([0, 7])), tol: 0 };
  },
  stridedCopy: (g) => {
    // a row-major source of 1..6 awkward dims read permuted (last two swapped, [0,2,1,3]-like, any)
    // or broadcast (expand: stride 0), padded to 6 dims with leading 1s (of arbitrary stride)
    const nd = g.int(1, 6);
    const dims: number[] = [];
    for (let d = 0, n = 1; d < nd; d++) { const s = n > 2000 ? g.pick([1, 2]) : g.pick([1, 3, 4, 5, 8, 17, 17]); dims.push(s); n *= s; }
    const rowMajor = (sh: number[]) => sh.map((_, d) => sh.slice(d + 1).reduce((a, b) => a * b, 1));
    let shape: number[], strides: number[], srcLen: number;
    if (g.next() < 0.3) {
      // expand: some dims broadcast from 1
      const from = dims.map((s) => (g.next() < 0.4 ? 1 : s));
      const st = rowMajor(from);
      shape = dims.map((s, d) => (from[d] === 1 && s === 1 ? g.pick([1, 3]) : s));
      strides = st.map((t, d) => (from[d] === 1 ? 0 : t));
      srcLen = from.reduce((a, b) => a * b, 1);
    } else {
      const perm = dims.map((_, d) => d);
      const how = g.int(0, 2);
      if (how === 0 && nd >= 2) [perm[nd - 2], perm[nd - 1]] = [perm[nd - 1]!, perm[nd - 2]!];
      else if (how === 1 && nd >= 3) [perm[nd - 3], perm[nd - 2]] = [perm[nd - 2]!, perm[nd - 3]!];
      else for (let d = nd - 1; d > 0; d--) { const e = g.int(0, d); [perm[d], perm[e]] = [perm[e]!, perm[d]!]; }
      const st = rowMajor(dims);
      shape = perm.map((a) => dims[a]!);
      strides = perm.map((a) => st[a]!);
      srcLen = dims.reduce((a, b) => a * b, 1);
    }
    while (shape.length < 6) { shape.unshift(1); strides.unshift(g.int(0, 9)); }
    const c: Case = { src: g.data(srcLen), tol: 0 };
    shape.forEach((s, d) => { c[`s${d}`] = s; c[`t${d}`] = strides[d]; });
    return c;
  },
};

const STALE = 7.77;
/** What the padding past a declared size holds in the resident runs (must be left alone). */
const TAIL = -3.25;

/** Fill in every array the case does not give: data for 'in'/'inout', stale values for 'out'/'sum'. */
function complete(k: Kernel, c: Case, g: Gen): void {
  const probe = k.args.map((s) => (s.kind === 'scalar' ? c[s.name] : c[s.name] ?? null));
  k.args.forEach((s, i) => {
    if (s.kind !== 'array' || c[s.name] !== undefined) return;
    if (s.size === 'all') throw new Error(`sample of ${k.kernelName} must give '${s.name}' (size 'all')`);
    const n = (s.offset ? (c[s.offset] as number) : 0) + k.sizeOf(i, probe);
    c[s.name] = s.role === 'out' || s.role === 'sum' ? new Float64Array(n).fill(STALE) : s.elem === 'f64' ? g.data(n, 0, 0.5) : g.data(n);
  });
}

type Mode = 'js' | 'wasm' | 'wasm-resident' | 'wasm-threads' | 'reference';

/** Carves arrays out of one block of wasm memory (the zero-copy path tensors' storage takes). */
class Arena {
  readonly block: Float32Array;
  private at = 0;
  constructor(bytes: number) {
    const b = allocateResident(Math.max(16384, Math.ceil(bytes / 4)), false);
    assert.ok(b, 'a resident block');
    this.block = b;
  }
  /**
   * A view of at least n elements; padded to 64 KiB (the size from which the
   * backend passes views by pointer) with TAIL values that must survive the call.
   */
  take(f32: boolean, n: number, pad: boolean): Float32Array | Float64Array {
    const len = pad ? Math.max(n, 65536 / (f32 ? 4 : 8)) : n;
    const off = this.block.byteOffset + this.at;
    this.at += Math.ceil((len * (f32 ? 4 : 8)) / 64) * 64 + 64;
    assert.ok(this.at <= this.block.byteLength, 'arena large enough');
    const v = f32 ? new Float32Array(this.block.buffer, off, len) : new Float64Array(this.block.buffer, off, len);
    v.fill(TAIL);
    return v;
  }
  release(): void { releaseResident(residentBlockOf(this.block), this.block); }
}

/** The argument list for one run: float arrays as float32 (float64 for the reference run). */
function argsFor(k: Kernel, c: Case, mode: Mode, arena: Arena | null): unknown[] {
  return k.args.map((s) => {
    const v = c[s.name];
    if (s.kind === 'scalar') return v;
    if (v === null) return null;
    // the reference starts its outputs from zeros, the runs from STALE: a kernel that adds to an output fails
    const src = mode === 'reference' && (s.role === 'out' || s.role === 'sum') ? new Float64Array((v as Float64Array).length) : v as Float64Array;
    if (s.elem === 'i32') return Int32Array.from(src); // indices: the same on every run
    const f32 = s.elem === 'f32' || (s.elem === 'float' && mode !== 'reference');
    if (arena) {
      // 'all' arrays define their size by their length: those stay unpadded (copied per call)
      const pad = (s as ArraySpec).size !== 'all';
      const r = arena.take(f32, src.length, pad);
      r.set(src);
      assert.ok(!pad || isResident(r), 'padded views are passed by pointer');
      return r;
    }
    return f32 ? Float32Array.from(src) : Float64Array.from(src);
  });
}

/** max |a - b| / (1 + max |b|) */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0, m = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    e = Number.isNaN(d) && !(Number.isNaN(a[i]!) && Number.isNaN(b[i]!)) ? Infinity : Math.max(e, Number.isNaN(d) ? 0 : d);
    if (!Number.isNaN(b[i]!)) m = Math.max(m, Math.abs(b[i]!)); // NaN in the data (reduceMax's samples) must not poison the scale
  }
  return e / (1 + m);
}

function runCase(k: Kernel, c: Case, mode: Mode): void {
  const ref = argsFor(k, c, 'reference', null);
  (k.js as (...a: unknown[]) => void)(...ref);
  let bytes = 0;
  for (const s of k.args) if (s.kind === 'array' && c[s.name]) bytes += Math.max(65536, (c[s.name] as Float64Array).length * 8) + 128;
  const arena = mode === 'wasm-resident' ? new Arena(bytes) : null;
  const args = argsFor(k, c, mode, arena);
  try {
    setBackend(mode === 'js' ? 'js' : 'wasm');
    (k as unknown as (...a: unknown[]) => void)(...args);
  } finally {
    setBackend('wasm');
  }
  const tol = c.tol ?? 2e-5;
  const scalars = Object.fromEntries(k.args.filter((s) => s.kind === 'scalar').map((s) => [s.name, c[s.name]]));
  const where = `${k.kernelName} [${mode}] ${JSON.stringify(scalars)}`;
  k.args.forEach((s, i) => {
    if (s.kind !== 'array' || args[i] === null) return;
    const full = args[i] as Float32Array | Float64Array;
    const n = (c[s.name] as Float64Array).length;
    const got = full.subarray(0, n);
    for (let j = n; j < full.length; j++) assert.equal(full[j], TAIL, `${where}: '${s.name}' written past its declared size at ${j}`);
    if ((s as ArraySpec).role === 'in') {
      assert.equal(relErr(got, c[s.name] as Float64Array), 0, `${where}: input '${s.name}' was modified`);
      return;
    }
    const e = relErr(got, ref[i] as Float64Array);
    assert.ok(e <= tol, `${where}: '${s.name}' differs from the float64 run by ${e.toExponential(2)} (tolerance ${tol})`);
  });
  arena?.release();
}

const RUNS = 12;

test('every declared kernel has a sample here (a new kernel must be added to this test)', () => {
  const names = declaredKernels().map((k) => k.kernelName);
  assert.ok(names.length >= 26, `only ${names.length} kernels declared`);
  assert.deepEqual(names.filter((n) => !(n in SAMPLES)), []);
  assert.deepEqual(Object.keys(SAMPLES).filter((n) => !names.includes(n)), [], 'samples for kernels that are not declared');
});

test('every kernel that splits rows is in the thread pool\'s index, derived from the declarations', () => {
  const idx = parallelKernels();
  for (const n of ['layernormForward', 'layernormBackward', 'rmsnormBackward', 'groupnormBackward', 'softmaxForward', 'gemmRows', 'geluForward', 'batchnormBackwardS']) {
    assert.ok(idx.includes(n), `${n} in the pool index`);
  }
  assert.equal(new Set(idx).size, idx.length, 'no duplicates');
});

for (const mode of ['js', 'wasm', 'wasm-resident', 'wasm-threads'] as const) {
  test(`every declared kernel matches its float64 run at awkward shapes [${mode}]`, async () => {
    const prev = getBackend();
    const crossover = getThreadCrossover();
    if (mode === 'wasm-threads') { await setThreads(2); setThreadCrossover(0); }
    try {
      for (const k of declaredKernels()) {
        if (mode !== 'js' && !hasWasmImplementation(k) && mode !== 'wasm') continue;
        for (let r = 0; r < RUNS; r++) {
          const g = new Gen(1000 * r + k.kernelName.length);
          const c = SAMPLES[k.kernelName]!(g);
          complete(k, c, g);
          runCase(k, c, mode);
        }
      }
    } finally {
      if (mode === 'wasm-threads') { setThreadCrossover(crossover); await setThreads(1); }
      setBackend(prev);
    }
  });
}

test('a kernel called with float64 data on the wasm backend runs its TypeScript implementation (the derived fallback)', () => {
  const x = new Float64Array([1, 2, 3, 4, 5, 6]), out = new Float64Array(6), mean = new Float64Array(2), rstd = new Float64Array(2);
  setBackend('wasm');
  layernormForward(out, mean, rstd, x, null, null, 2, 3, 0);
  assert.deepEqual(Array.from(mean), [2, 5]);
  assert.ok(Math.abs(out[0]! + Math.sqrt(1.5)) < 1e-12, 'float64 precision kept');
});
