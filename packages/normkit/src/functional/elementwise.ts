/**
 * Element-wise ops with NumPy broadcasting, and the unary activations.
 * Binary kernels take fast paths for the shapes training uses most (same
 * shape, a scalar, a trailing-suffix operand such as a bias) and fall back to
 * a strided walk otherwise.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate, allocateUninit, promote } from '../tensor/dtype.js';
import { broadcastShapes, broadcastStrides, numel, shapeEq } from '../tensor/shape.js';
import { needsRecord, record } from '../autograd/record.js';
import { keep } from '../tensor/scope.js';
import { erfc, normalCdf } from '../kernels/js/erf.js';
import { geluWithDerivative, pointwiseForward, type PointwiseOp } from '../kernels/js/pointwise.js';
import { binarySame, binaryRows, binaryScalar, colSum } from '../kernels/js/elementwise.js';
import { checkOptions } from '../options.js';

type BinFn = (a: number, b: number) => number;

/**
 * out[o + j] = a[ao + j*as] op b[bo + j*bs] for j < len. The four arithmetic
 * ops get their own loops: calling `f` per element would stop V8 from
 * inlining it once several ops share this code (it was 40% of a weight-norm
 * step).
 */
function segment(
  kind: 0 | 1 | 2 | 3 | -1, f: BinFn, out: Float32Array | Float64Array, o: number,
  ad: ArrayLike<number>, ao: number, as: number, bd: ArrayLike<number>, bo: number, bs: number, len: number,
): void {
  switch (kind) {
    case 0: for (let j = 0; j < len; j++) out[o + j] = ad[ao + j * as]! + bd[bo + j * bs]!; break;
    case 1: for (let j = 0; j < len; j++) out[o + j] = ad[ao + j * as]! - bd[bo + j * bs]!; break;
    case 2: for (let j = 0; j < len; j++) out[o + j] = ad[ao + j * as]! * bd[bo + j * bs]!; break;
    case 3: for (let j = 0; j < len; j++) out[o + j] = ad[ao + j * as]! / bd[bo + j * bs]!; break;
    default: for (let j = 0; j < len; j++) out[o + j] = f(ad[ao + j * as]!, bd[bo + j * bs]!);
  }
}

/** Apply `f` over broadcast `a` and `b` into fresh storage. */
function broadcastBinary(a: Tensor, b: Tensor, f: BinFn, kind: 0 | 1 | 2 | 3 | -1): Tensor {
  const shape = shapeEq(a.shape, b.shape) ? a.shape : broadcastShapes(a.shape, b.shape);
  const n = numel(shape);
  const out = allocateUninit(promote(a.dtype, b.dtype), n); // every branch below writes all n elements
  const ad = a.data;
  const bd = b.data;
  if (ad.length === n && bd.length === n) {
    // Same shape: the hot path (a kernel: f32x4 SIMD on the wasm backend).
    if (kind !== -1) binarySame(kind, ad, bd, out);
    else for (let i = 0; i < n; i++) out[i] = f(ad[i]!, bd[i]!);
  } else if (kind !== -1 && ad.length === n && bd.length > 1 && isSuffix(b.shape, shape)) {
    // [..., C] op [C]: a bias or a per-feature scale.
    binaryRows(kind, ad, bd, out, n / bd.length, bd.length, false);
  } else if (kind !== -1 && bd.length === n && ad.length > 1 && isSuffix(a.shape, shape)) {
    binaryRows(kind, bd, ad, out, n / ad.length, ad.length, true);
  } else if (bd.length === 1 && ad.length === n) {
    // tensor op scalar: a kernel (f32x4 SIMD on the wasm backend)
    if (kind !== -1) binaryScalar(kind, ad, bd[0]!, out, false);
    else segment(kind, f, out, 0, ad, 0, 1, bd, 0, 0, n);
  } else if (ad.length === 1 && bd.length === n) {
    if (kind !== -1) binaryScalar(kind, bd, ad[0]!, out, true);
    else segment(kind, f, out, 0, ad, 0, 0, bd, 0, 1, n);
  } else if (ad.length === n && isRowScalar(b.shape, shape)) {
    // [..., C] op [..., 1]: one value of b per row of a (weight norm, per-row scales).
    const C = shape[shape.length - 1]!;
    for (let r = 0, i = 0; i < n; r++, i += C) segment(kind, f, out, i, ad, i, 1, bd, r, 0, C);
  } else if (bd.length === n && isRowScalar(a.shape, shape)) {
    const C = shape[shape.length - 1]!;
    for (let r = 0, i = 0; i < n; r++, i += C) segment(kind, f, out, i, ad, r, 0, bd, i, 1, C);
  } else if (ad.length === n && isSuffix(b.shape, shape)) {
    // [..., C] op [C]: a bias or a per-feature scale.
    const m = bd.length;
    for (let i = 0; i < n; i += m) segment(kind, f, out, i, ad, i, 1, bd, 0, 1, m);
  } else if (bd.length === n && isSuffix(a.shape, shape)) {
    const m = ad.length;
    for (let i = 0; i < n; i += m) segment(kind, f, out, i, ad, 0, 1, bd, i, 1, m);
  } else {
    stridedBinary(ad, broadcastStrides(a.shape, shape), bd, broadcastStrides(b.shape, shape), out, shape, f, kind);
  }
  return new Tensor(out, shape);
}

/** True when `s` equals the trailing dims of `full` (leading 1s ignored). */
function isSuffix(s: readonly number[], full: readonly number[]): boolean {
  let k = 0;
  while (k < s.length && s[k] === 1) k++;
  const t = s.slice(k);
  if (t.length > full.length) return false;
  for (let i = 0; i < t.length; i++) if (t[i] !== full[full.length - t.length + i]) return false;
  return true;
}

/** True when `s` is `full` with its last dim 1 (same rank): one value per row. */
function isRowScalar(s: readonly number[], full: readonly number[]): boolean {
  if (s.length !== full.length || s.length === 0 || s[s.length - 1] !== 1) return false;
  for (let i = 0; i < s.length - 1; i++) if (s[i] !== full[i]) return false;
  return true;
}

function stridedBinary(
  ad: ArrayLike<number>, as: number[], bd: ArrayLike<number>, bs: number[],
  out: Float32Array | Float64Array, shape: number[], f: BinFn, kind: 0 | 1 | 2 | 3 | -1,
): void {
  const nd = shape.length;
  if (nd === 0) {
    out[0] = f(ad[0]!, bd[0]!);
    return;
  }
  const last = shape[nd - 1]!;
  const asl = as[nd - 1]!;
  const bsl = bs[nd - 1]!;
  const idx = new Array<number>(nd).fill(0);
  let ao = 0;
  let bo = 0;
  const n = out.length;
  for (let o = 0; o < n; o += last) {
    segment(kind, f, out, o, ad, ao, asl, bd, bo, bsl, last);
    // advance the odometer over the outer dims
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      ao += as[d]!;
      bo += bs[d]!;
      if (idx[d]! < shape[d]!) break;
      ao -= as[d]! * shape[d]!;
      bo -= bs[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

/**
 * Sum a broadcast gradient back down to `shape` (the inverse of broadcasting):
 * sum over the leading dims that were added and the dims that were 1.
 */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (shapeEq(g.shape, shape)) return g;
  const out = allocate(g.dtype, numel(shape));
  const gs = g.shape;
  const st = broadcastStrides(shape, gs);
  const nd = gs.length;
  if (nd === 0) {
    out[0] = g.data[0]!;
    return new Tensor(out, shape);
  }
  // Accumulate in float64 for float32 gradients, then round once.
  const acc = out instanceof Float64Array ? out : new Float64Array(out.length);
  if (isSuffix(shape, gs) && numel(shape) > 1) {
    // [..., C] -> [C] (a bias's gradient): column sums, a kernel
    const m = out.length;
    colSum(g.data, acc, g.size / m, m);
    if (acc !== out) out.set(acc);
    return new Tensor(out, shape);
  }
  const last = gs[nd - 1]!;
  const sl = st[nd - 1]!;
  const idx = new Array<number>(nd).fill(0);
  let oo = 0;
  const gd = g.data;
  for (let i = 0; i < gd.length; i += last) {
    if (sl === 0) {
      let s = 0;
      for (let j = 0; j < last; j++) s += gd[i + j]!;
      acc[oo] += s;
    } else {
      for (let j = 0; j < last; j++) acc[oo + j * sl] += gd[i + j]!;
    }
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      oo += st[d]!;
      if (idx[d]! < gs[d]!) break;
      oo -= st[d]! * gs[d]!;
      idx[d] = 0;
    }
  }
  if (acc !== out) out.set(acc);
  return new Tensor(out, shape);
}

function asTensor(x: Tensor | number, like: Tensor): Tensor {
  if (x instanceof Tensor) return x;
  const d = allocate(like.dtype, 1);
  d[0] = x;
  return new Tensor(d, []);
}

/** a + b (broadcasting). */
export function add(a: Tensor | number, b: Tensor | number): Tensor {
  const A = a instanceof Tensor ? a : asTensor(a, b as Tensor);
  const B = asTensor(b, A);
  return record(broadcastBinary(A, B, (x, y) => x + y, 0), 'add', [A, B], null);
}

/** a - b (broadcasting). */
export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  const A = a instanceof Tensor ? a : asTensor(a, b as Tensor);
  const B = asTensor(b, A);
  return record(broadcastBinary(A, B, (x, y) => x - y, 1), 'sub', [A, B], null);
}

/** a * b (broadcasting). */
export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  const A = a instanceof Tensor ? a : asTensor(a, b as Tensor);
  const B = asTensor(b, A);
  return record(broadcastBinary(A, B, (x, y) => x * y, 2), 'mul', [A, B], null);
}

/** a / b (broadcasting). */
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  const A = a instanceof Tensor ? a : asTensor(a, b as Tensor);
  const B = asTensor(b, A);
  return record(broadcastBinary(A, B, (x, y) => x / y, 3), 'div', [A, B], null);
}

function unary(x: Tensor, f: (v: number) => number): Tensor {
  const out = allocateUninit(x.dtype, x.size);
  const d = x.data;
  for (let i = 0; i < d.length; i++) out[i] = f(d[i]!);
  return new Tensor(out, x.shape);
}

/** An activation through its dedicated loop (src/kernels/js/pointwise.ts). */
function unaryOp(x: Tensor, op: PointwiseOp): Tensor {
  const out = allocateUninit(x.dtype, x.size);
  pointwiseForward(op, x.data, out);
  return new Tensor(out, x.shape);
}

/** -x */
export function neg(x: Tensor): Tensor {
  return record(unaryOp(x, 'neg'), 'neg', [x], null);
}
/** e^x */
export function exp(x: Tensor): Tensor {
  return record(unaryOp(x, 'exp'), 'exp', [x], null);
}
/** natural log */
export function log(x: Tensor): Tensor {
  return record(unaryOp(x, 'log'), 'log', [x], null);
}
/** square root */
export function sqrt(x: Tensor): Tensor {
  return record(unaryOp(x, 'sqrt'), 'sqrt', [x], null);
}
/** |x| (gradient sign(x), 0 at 0) */
export function abs(x: Tensor): Tensor {
  return record(unaryOp(x, 'abs'), 'abs', [x], null);
}
/** x^p for a constant p */
export function pow(x: Tensor, p: number): Tensor {
  const f = p === 2 ? (v: number) => v * v : (v: number) => Math.pow(v, p);
  return record(unary(x, f), 'pow', [x], { p });
}
/** tanh */
export function tanh(x: Tensor): Tensor {
  return record(unaryOp(x, 'tanh'), 'tanh', [x], null);
}
/** logistic sigmoid 1 / (1 + e^-x), computed without overflow */
export function sigmoid(x: Tensor): Tensor {
  return record(unaryOp(x, 'sigmoid'), 'sigmoid', [x], null);
}
/** max(x, 0) */
export function relu(x: Tensor): Tensor {
  return record(unaryOp(x, 'relu'), 'relu', [x], null);
}
/** Options of `gelu`. */
export interface GeluOptions {
  /** 'none' (default): exact x Phi(x); 'tanh': the tanh approximation (PyTorch's `approximate='tanh'`, GPT-2/BERT). */
  approximate?: 'none' | 'tanh';
}

/**
 * GELU (Hendrycks & Gimpel 2016), as `torch.nn.functional.gelu`:
 * exact form x Phi(x) (PyTorch's default `approximate='none'`), or with
 * `approximate: 'tanh'`: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
 * composed of recorded ops so its gradient comes from autograd.
 */
export function gelu(x: Tensor, opts: GeluOptions = {}): Tensor {
  checkOptions('gelu', opts, ['approximate']);
  const approx = opts.approximate ?? 'none';
  if (approx === 'none') {
    if (!needsRecord([x])) return unaryOp(x, 'gelu');
    // differentiated: the derivative comes out of the same pass (its exp and erfc), saved for
    // the backward, which is then one multiply; a tensor so that its backend memory goes with y
    const out = allocateUninit(x.dtype, x.size), d = allocateUninit(x.dtype, x.size);
    geluWithDerivative(x.data, out, d);
    const deriv = keep(new Tensor(d, x.shape));
    return record(new Tensor(out, x.shape), 'gelu', [x], { deriv }, [deriv]);
  }
  if (approx !== 'tanh') throw new RangeError(`gelu: approximate must be 'none' or 'tanh', got '${String(approx)}'`);
  const inner = mul(add(x, mul(pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
  return mul(mul(x, 0.5), add(tanh(inner), 1));
}

/** Numerically safe logistic function. */
export function sigmoidScalar(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

// erfc and the normal CDF live with the kernels (src/kernels/js/erf.ts); re-exported for existing imports.
export { erfc, normalCdf };
