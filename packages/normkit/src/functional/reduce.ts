/**
 * Reductions over any set of axes (sum, mean, max), with keepdim.
 * Sums of float32 data accumulate in float64 and round once.
 */
import { reduceMax, reduceSum } from '../kernels/js/reduce.js';
import { binaryScalar } from '../kernels/js/elementwise.js';
import { Tensor } from '../tensor/tensor.js';
import { allocate, allocateUninit } from '../tensor/dtype.js';
import { gatherStrided } from './shape-ops.js';
import { fmtShape, normalizeAxes, numel, stridesOf } from '../tensor/shape.js';
import { record } from '../autograd/record.js';

/** Output shape of a reduction. */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepdim) out.push(1);
    } else out.push(shape[i]!);
  }
  return out;
}

/** Strides into the (keepdim) reduced output, 0 on reduced axes. */
function outStrides(shape: readonly number[], axes: readonly number[]): number[] {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const st = stridesOf(kept);
  return st.map((s, i) => (axes.includes(i) ? 0 : s));
}

/**
 * When the reduced axes form one contiguous block, the input is a
 * [outer, R, inner] view and the output [outer, inner]: the fast path of
 * every common reduction (rows, columns, channels, trailing dims).
 */
function contiguousBlock(shape: readonly number[], axes: readonly number[]): [number, number, number] | null {
  if (axes.length === 0) return null;
  const a = axes[0]!;
  const b = axes[axes.length - 1]!;
  if (b - a + 1 !== axes.length) return null;
  return [numel(shape.slice(0, a)), numel(shape.slice(a, b + 1)), numel(shape.slice(b + 1))];
}

/** Walk every input element, calling visit(inputIndex, outputIndex). */
function walk(shape: readonly number[], ost: readonly number[], visit: (i: number, o: number) => void): void {
  const nd = shape.length;
  const n = numel(shape);
  if (nd === 0) {
    if (n) visit(0, 0);
    return;
  }
  const idx = new Array<number>(nd).fill(0);
  const last = shape[nd - 1]!;
  const sl = ost[nd - 1]!;
  let o = 0;
  for (let i = 0; i < n; i += last) {
    for (let j = 0; j < last; j++) visit(i + j, o + j * sl);
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      o += ost[d]!;
      if (idx[d]! < shape[d]!) break;
      o -= ost[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

/** Sum over `axes` (all when omitted). */
export function sum(x: Tensor, axes?: number | readonly number[] | null, keepdim = false): Tensor {
  const ax = normalizeAxes(axes, x.ndim);
  const shape = reducedShape(x.shape, ax, keepdim);
  const acc = new Float64Array(numel(shape));
  const d = x.data;
  const blk = contiguousBlock(x.shape, ax);
  if (ax.length === x.ndim) {
    reduceSum(d, acc, 1, d.length, 1); // a kernel: SIMD on the wasm backend
  } else if (blk) {
    const [outer, R, inner] = blk;
    reduceSum(d, acc, outer, R, inner);
  } else if (d instanceof Float32Array || d instanceof Float64Array) {
    // axes apart (e.g. [0, 2] of [N, C, L]): rows of R after the reduced axes are moved last
    const { moved } = reducedLast(x, ax);
    reduceSum(moved.data, acc, acc.length, x.size / Math.max(acc.length, 1), 1);
    moved.dispose();
  } else {
    walk(x.shape, outStrides(x.shape, ax), (i, o) => {
      acc[o] += d[i]!;
    });
  }
  const out = allocate(x.dtype, acc.length);
  out.set(acc);
  return record(new Tensor(out, shape), 'sum', [x], { axes: ax, keepdim });
}

/** Mean over `axes` (all when omitted). */
export function mean(x: Tensor, axes?: number | readonly number[] | null, keepdim = false): Tensor {
  const ax = normalizeAxes(axes, x.ndim);
  let count = 1;
  for (const a of ax) count *= x.shape[a]!;
  if (count === 0) throw new RangeError(`mean over an empty set of elements (shape ${fmtShape(x.shape)})`);
  const s = sum(x, ax, keepdim);
  // Dividing through `mul` keeps the chain differentiable with existing rules.
  return mulScalarRecorded(s, 1 / count);
}

function mulScalarRecorded(t: Tensor, c: number): Tensor {
  // local import cycle avoidance: a tiny inline version of mul by a constant
  const cst = allocate(t.dtype, 1);
  cst[0] = c;
  const out = allocateUninit(t.dtype, t.size);
  binaryScalar(2, t.data, c, out, false); // out = t * c, a kernel (SIMD on wasm)
  return record(new Tensor(out, t.shape), 'mul', [t, new Tensor(cst, [])], null);
}

/** Maximum over `axes` (all when omitted); the gradient flows to the first maximal element. */
export function max(x: Tensor, axes?: number | readonly number[] | null, keepdim = false): Tensor {
  const ax = normalizeAxes(axes, x.ndim);
  const shape = reducedShape(x.shape, ax, keepdim);
  if (x.size === 0) throw new RangeError(`max of an empty tensor (shape ${fmtShape(x.shape)})`);
  const n = numel(shape);
  const out = allocateUninit(x.dtype, n);
  const arg = new Int32Array(n);
  const blk = ax.length === x.ndim ? ([1, x.size, 1] as const) : contiguousBlock(x.shape, ax);
  if (blk) {
    // adjacent axes: x is [outer, R, inner]; the kernel gives r, the input index is (o R + r) inner + i
    const [outer, R, inner] = blk;
    reduceMax(x.data, out, arg, outer, R, inner);
    for (let o = 0, j = 0; o < outer; o++) for (let i = 0; i < inner; i++, j++) arg[j] = (o * R + arg[j]!) * inner + i;
  } else {
    // axes apart: rows of R after the reduced axes are moved last, each row's r mapped back to the input index
    const { moved, kept, st } = reducedLast(x, ax);
    const R = x.size / n;
    reduceMax(moved.data, out, arg, n, R, 1);
    moved.dispose();
    const rOff = offsets(ax.map((a) => x.shape[a]!), ax.map((a) => st[a]!));
    const oOff = offsets(kept.map((a) => x.shape[a]!), kept.map((a) => st[a]!));
    for (let o = 0; o < n; o++) arg[o] = oOff[o]! + rOff[arg[o]!]!;
  }
  return record(new Tensor(out, shape), 'max', [x], { axes: ax, keepdim, argmax: arg });
}

/**
 * `x` with the reduced axes `ax` moved behind the kept ones (each group in
 * its order), by one strided copy (SIMD on wasm), so every output's elements
 * are one contiguous row. `moved` is scratch: the caller disposes it right
 * after use, which gives its backend memory back at once (a bare array in
 * wasm memory waits for the garbage collector, which a synchronous training
 * loop never lets run). Also returns the kept axes and x's strides.
 */
function reducedLast(x: Tensor, ax: readonly number[]): { moved: Tensor & { data: Float32Array | Float64Array }; kept: number[]; st: number[] } {
  const kept = x.shape.map((_, i) => i).filter((i) => !ax.includes(i));
  const order = [...kept, ...ax];
  const st = stridesOf(x.shape);
  const moved = new Tensor(allocateUninit(x.dtype, x.size), [x.size]) as Tensor & { data: Float32Array | Float64Array };
  gatherStrided(x.data, order.map((i) => st[i]!), order.map((i) => x.shape[i]!), moved.data);
  return { moved, kept, st };
}

/** The input offset (sum of coordinate x stride) of every row-major index over `shape`. */
function offsets(shape: readonly number[], strides: readonly number[]): Int32Array {
  const out = new Int32Array(numel(shape));
  let len = 1;
  out[0] = 0;
  for (let d = shape.length - 1; d >= 0; d--) {
    // the offsets so far cover the trailing dims; repeat them for each coordinate of dim d
    const n = shape[d]!, s = strides[d]!;
    for (let c = n - 1; c >= 0; c--) for (let j = 0; j < len; j++) out[c * len + j] = out[j]! + c * s;
    len *= n;
  }
  return out;
}

/** Expand a reduced (keepdim or not) gradient back over the input's shape. */
export function expandReduced(g: Tensor, inShape: readonly number[], axes: readonly number[]): Tensor {
  // a broadcast: g read with stride 0 along the reduced axes, one strided copy (SIMD on wasm)
  const out = allocateUninit(g.dtype, numel(inShape));
  gatherStrided(g.data, outStrides(inShape, axes), inShape, out);
  return new Tensor(out, inShape);
}
