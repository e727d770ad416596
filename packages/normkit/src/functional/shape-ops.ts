/**
 * Shape ops: reshape, permute/transpose, expand (broadcast), slice, concat,
 * stack and indexSelect. Tensors are always contiguous, so these copy
 * (reshape shares storage: row-major order does not change).
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate, allocateUninit } from '../tensor/dtype.js';
import { broadcastShapes, broadcastStrides, fmtShape, normalizeAxis, numel, shapeEq, stridesOf } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import { copyRows, stridedCopy, STRIDED_MAX_DIMS } from '../kernels/js/strided.js';

/** Reshape (one dim may be -1). Shares storage with the input. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const sh = [...shape];
  const neg = sh.indexOf(-1);
  if (neg !== -1) {
    const rest = sh.reduce((a, d, i) => (i === neg ? a : a * d), 1);
    if (rest === 0 || x.size % rest !== 0) throw new RangeError(`cannot reshape ${fmtShape(x.shape)} into ${fmtShape(shape)}`);
    sh[neg] = x.size / rest;
  }
  if (numel(sh) !== x.size || sh.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`cannot reshape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)}`);
  }
  return record(new Tensor(x.data, sh), 'reshape', [x], { inShape: [...x.shape] });
}

/** Flatten dims `start..end` into one. */
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  const s = normalizeAxis(start, x.ndim);
  const e = normalizeAxis(end, x.ndim);
  const mid = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, s), mid, ...x.shape.slice(e + 1)]);
}

/** Insert a dim of size 1 at `axis`. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis(axis, x.ndim + 1);
  const sh = [...x.shape];
  sh.splice(a, 0, 1);
  return reshape(x, sh);
}

/** Reorder dims: out.shape[i] = x.shape[perm[i]]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const nd = x.ndim;
  const p = perm.map((a) => normalizeAxis(a, nd));
  if (p.length !== nd || new Set(p).size !== nd) {
    throw new RangeError(`permute: ${fmtShape(perm as number[])} is not a permutation of ${nd} dims`);
  }
  const outShape = p.map((a) => x.shape[a]!);
  const inSt = stridesOf(x.shape);
  const st = p.map((a) => inSt[a]!);
  const out = allocateUninit(x.dtype, x.size); // gatherStrided writes every element
  gatherStrided(x.data, st, outShape, out);
  return record(new Tensor(out, outShape), 'permute', [x], { perm: p });
}

/** Swap two dims. */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const nd = x.ndim;
  const A = normalizeAxis(a, nd);
  const B = normalizeAxis(b, nd);
  const perm = Array.from({ length: nd }, (_, i) => i);
  perm[A] = B;
  perm[B] = A;
  return permute(x, perm);
}

/**
 * Copy `src` read through strides `st` (over `shape`) into contiguous `out`.
 * Dims of size 1 are dropped and dims that are contiguous with the next
 * merged; up to 6 dims remain for the declared `stridedCopy` kernel (SIMD on
 * the wasm backend), more take the loop here.
 */
export function gatherStrided(src: ArrayLike<number>, st: readonly number[], shape: readonly number[], out: Float32Array | Float64Array): void {
  const nd = shape.length;
  const n = out.length;
  if (n === 0) return;
  if (nd === 0) {
    out[0] = src[0]!;
    return;
  }
  // coalesce: drop size-1 dims; merge dim d into the kept dim before it when that one's stride is st[d] * shape[d]
  const cs: number[] = [];
  const ct: number[] = [];
  for (let d = 0; d < nd; d++) {
    const s = shape[d]!;
    if (s === 1) continue;
    const k = cs.length - 1;
    if (k >= 0 && ct[k] === st[d]! * s) {
      cs[k] = cs[k]! * s;
      ct[k] = st[d]!;
    } else {
      cs.push(s);
      ct.push(st[d]!);
    }
  }
  if (cs.length <= STRIDED_MAX_DIMS && (src instanceof Float32Array || src instanceof Float64Array)) {
    while (cs.length < STRIDED_MAX_DIMS) { cs.unshift(1); ct.unshift(0); }
    stridedCopy(src, out, cs[0]!, cs[1]!, cs[2]!, cs[3]!, cs[4]!, cs[5]!, ct[0]!, ct[1]!, ct[2]!, ct[3]!, ct[4]!, ct[5]!);
    return;
  }
  const idx = new Array<number>(nd).fill(0);
  const last = shape[nd - 1]!;
  const sl = st[nd - 1]!;
  let off = 0;
  for (let o = 0; o < n; o += last) {
    if (sl === 1) for (let j = 0; j < last; j++) out[o + j] = src[off + j]!;
    else for (let j = 0; j < last; j++) out[o + j] = src[off + j * sl]!;
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      off += st[d]!;
      if (idx[d]! < shape[d]!) break;
      off -= st[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

/** Broadcast to `shape` (copying). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const target = broadcastShapes(x.shape, shape);
  if (!shapeEq(target, shape)) throw new RangeError(`cannot expand ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
  const out = allocate(x.dtype, numel(shape));
  gatherStrided(x.data, broadcastStrides(x.shape, shape), shape, out);
  return record(new Tensor(out, [...shape]), 'expand', [x], { inShape: [...x.shape] });
}

/** Elements `start..end-1` along `axis`. */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const a = normalizeAxis(axis, x.ndim);
  const len = x.shape[a]!;
  const e = end === undefined ? len : end < 0 ? end + len : Math.min(end, len);
  const s = start < 0 ? start + len : start;
  if (!(s >= 0 && s <= e && e <= len)) throw new RangeError(`slice [${start}, ${end}) out of range for dim ${a} of size ${len}`);
  const outer = numel(x.shape.slice(0, a));
  const inner = numel(x.shape.slice(a + 1));
  const outShape = [...x.shape];
  outShape[a] = e - s;
  const out = allocateUninit(x.dtype, numel(outShape)); // every block is copied
  // one strided copy of [outer, (e - s) * inner] rows of stride len * inner (SIMD on the wasm
  // backend): a block copy per outer index made a subarray each, 1,536 per attention layer
  // (the q, k, v split of a [512, 3, 64] projection), 4% of a Transformer step
  if (out.length > 0) gatherStrided(s === 0 ? x.data : x.data.subarray(s * inner), [len * inner, 1], [outer, (e - s) * inner], out);
  return record(new Tensor(out, outShape), 'slice', [x], { axis: a, start: s, end: e });
}

/** Join tensors along an existing `axis`. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new RangeError('concat needs at least one tensor');
  const first = xs[0]!;
  const a = normalizeAxis(axis, first.ndim);
  for (const t of xs) {
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new RangeError(`concat along dim ${a}: shape ${fmtShape(t.shape)} does not match ${fmtShape(first.shape)}`);
    }
  }
  const sizes = xs.map((t) => t.shape[a]!);
  const total = sizes.reduce((p, q) => p + q, 0);
  const outShape = [...first.shape];
  outShape[a] = total;
  const outer = numel(first.shape.slice(0, a));
  const inner = numel(first.shape.slice(a + 1));
  const dtype = xs.some((t) => t.dtype === 'float64') ? 'float64' : 'float32';
  const out = allocateUninit(dtype, numel(outShape)); // the inputs' rows cover it
  let off = 0;
  for (let k = 0; k < xs.length; k++) {
    const blk = sizes[k]! * inner;
    // this input's rows into the output, total * inner apart (a kernel: SIMD rows on wasm)
    if (blk > 0 && outer > 0) copyRows(xs[k]!.data, off === 0 ? out : out.subarray(off), outer, blk, blk, total * inner);
    off += blk;
  }
  return record(new Tensor(out, outShape), 'concat', xs, { axis: a, sizes });
}

/** Join tensors of one shape along a new `axis`. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new RangeError('stack needs at least one tensor');
  const a = normalizeAxis(axis, xs[0]!.ndim + 1);
  return concat(xs.map((t) => unsqueeze(t, a)), a);
}

/** Pick entries `index` along `axis` (an embedding lookup is indexSelect on axis 0). */
export function indexSelect(x: Tensor, axis: number, index: ArrayLike<number>): Tensor {
  const a = normalizeAxis(axis, x.ndim);
  const len = x.shape[a]!;
  const idx = Int32Array.from(index as ArrayLike<number>);
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (v < 0 || v >= len || v !== (index as ArrayLike<number>)[i]) {
      throw new RangeError(`indexSelect: index ${(index as ArrayLike<number>)[i]} at position ${i} is out of range for dim ${a} of size ${len}`);
    }
  }
  const outer = numel(x.shape.slice(0, a));
  const inner = numel(x.shape.slice(a + 1));
  const outShape = [...x.shape];
  outShape[a] = idx.length;
  const out = allocateUninit(x.dtype, numel(outShape)); // every row is copied
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < idx.length; i++) {
      const src = (o * len + idx[i]!) * inner;
      out.set(x.data.subarray(src, src + inner), (o * idx.length + i) * inner);
    }
  }
  return record(new Tensor(out, outShape), 'indexSelect', [x], { axis: a, index: idx });
}
