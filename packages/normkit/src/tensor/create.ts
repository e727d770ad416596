/**
 * Creating tensors: from flat or nested data, filled, or random.
 */
import { Tensor } from './tensor.js';
import { type DType, type TypedArray, allocate, allocateUninit } from './dtype.js';
import { checkShape, fmtShape, numel } from './shape.js';
import { type Rng, defaultRng } from './random.js';
import { checkOptions } from '../options.js';

/** Options accepted by the creation functions. */
export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

/** Nested arrays of numbers (any depth). */
export type NestedInput = number | readonly NestedInput[];

function inferShape(data: NestedInput): number[] {
  const shape: number[] = [];
  let cur: NestedInput = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = (cur as readonly NestedInput[])[0] as NestedInput;
    if (cur === undefined) break;
  }
  return shape;
}

function flattenInto(data: NestedInput, shape: number[], dim: number, out: TypedArray, pos: { i: number }): void {
  if (dim === shape.length) {
    if (typeof data !== 'number') throw new TypeError(`tensor(): ragged nested array (expected a number at depth ${dim})`);
    out[pos.i++] = data;
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim]) {
    throw new TypeError(`tensor(): ragged nested array: expected ${shape[dim]} entries at depth ${dim}, got ${Array.isArray(data) ? data.length : typeof data}`);
  }
  for (const d of data as readonly NestedInput[]) flattenInto(d, shape, dim + 1, out, pos);
}

/**
 * Make a tensor from a flat `number[]`, a typed array, or nested arrays
 * (shape inferred). The values are always copied, once, into storage of the
 * active backend (as `torch.tensor` copies): large float32 tensors then live
 * in the wasm backend's memory and kernels read them in place. To wrap a
 * typed array without copying (`torch.from_numpy`'s role), use `fromArray`.
 * Default dtype float32 (float64 when a Float64Array is given and no dtype is
 * asked for).
 */
export function tensor(
  data: NestedInput | ArrayLike<number> | TypedArray,
  shape?: readonly number[] | null,
  opts: TensorOptions = {},
): Tensor {
  checkOptions('tensor', opts, TENSOR_OPTIONS);
  const dtype: DType = opts.dtype ?? (data instanceof Float64Array ? 'float64' : 'float32');
  let storage: TypedArray;
  let sh: number[];
  if (typeof data === 'number') {
    storage = allocate(dtype, 1);
    storage[0] = data;
    sh = shape ? checkShape(shape) : [];
  } else if (ArrayBuffer.isView(data) || (Array.isArray(data) && (data.length === 0 || typeof data[0] === 'number'))) {
    const flat = data as ArrayLike<number>;
    if ((dtype === 'float32' && flat instanceof Float32Array) || (dtype === 'float64' && flat instanceof Float64Array)) {
      storage = allocateUninit(dtype, flat.length);
      storage.set(flat);
    } else {
      storage = allocate(dtype, flat.length);
      for (let i = 0; i < flat.length; i++) {
        const v = flat[i]!;
        if (typeof v !== 'number') throw new TypeError(`tensor(): element ${i} is ${typeof v}, expected a number`);
        storage[i] = v;
      }
    }
    sh = shape ? checkShape(shape) : [flat.length];
  } else {
    const inferred = inferShape(data as NestedInput);
    storage = allocate(dtype, numel(inferred));
    flattenInto(data as NestedInput, inferred, 0, storage, { i: 0 });
    sh = shape ? checkShape(shape) : inferred;
  }
  if (numel(sh) !== storage.length) {
    throw new RangeError(`tensor(): ${storage.length} values do not fill shape ${fmtShape(sh)} (${numel(sh)} elements)`);
  }
  return new Tensor(storage, sh, opts.requiresGrad ?? false);
}

/**
 * Wrap a typed array as a tensor without copying (`torch.from_numpy`'s role):
 * the tensor and the array share memory, so writes through either are seen
 * by both. Safe as long as nothing else resizes or reuses the array. Kernels
 * of the wasm backend copy such an array into their memory on every call
 * (and copy outputs back), so for repeated use `tensor()`'s one copy is
 * faster; use `fromArray` to avoid holding two copies of a large buffer.
 *
 * ```ts
 * const buf = new Float32Array([1, 2, 3, 4]);
 * const t = nk.fromArray(buf, [2, 2]);
 * buf[0] = 10; // t.data[0] is 10 too
 * ```
 */
export function fromArray(data: TypedArray, shape?: readonly number[] | null, opts: { requiresGrad?: boolean } = {}): Tensor {
  checkOptions('fromArray', opts, ['requiresGrad']);
  if (!(data instanceof Float32Array || data instanceof Float64Array)) {
    throw new TypeError(`fromArray(data): data must be a Float32Array or Float64Array, got ${data === null ? 'null' : (data as object)?.constructor?.name ?? typeof data}`);
  }
  const sh = shape ? checkShape(shape) : [data.length];
  if (numel(sh) !== data.length) {
    throw new RangeError(`fromArray(): ${data.length} values do not fill shape ${fmtShape(sh)} (${numel(sh)} elements)`);
  }
  return new Tensor(data, sh, opts.requiresGrad ?? false);
}

/** A tensor filled with `value`. */
export function full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
  checkOptions('full', opts, TENSOR_OPTIONS);
  const sh = checkShape(shape);
  const d = allocate(opts.dtype ?? 'float32', numel(sh));
  if (value !== 0) d.fill(value);
  return new Tensor(d, sh, opts.requiresGrad ?? false);
}

/** Zeros. */
export function zeros(shape: readonly number[], opts: TensorOptions = {}): Tensor {
  checkOptions('zeros', opts, TENSOR_OPTIONS);
  return full(shape, 0, opts);
}

/** Ones. */
export function ones(shape: readonly number[], opts: TensorOptions = {}): Tensor {
  checkOptions('ones', opts, TENSOR_OPTIONS);
  return full(shape, 1, opts);
}

/** Zeros with the shape and dtype of `t`. */
export function zerosLike(t: Tensor): Tensor {
  return full(t.shape, 0, { dtype: t.dtype });
}

/** Ones with the shape and dtype of `t`. */
export function onesLike(t: Tensor): Tensor {
  return full(t.shape, 1, { dtype: t.dtype });
}

const TENSOR_OPTIONS = ['dtype', 'requiresGrad'];
const RANDOM_OPTIONS = ['dtype', 'requiresGrad', 'rng'];

/** Options for random creation: a generator other than the global one may be given. */
export interface RandomOptions extends TensorOptions {
  rng?: Rng;
}

/** Standard normal samples (seeded by `manualSeed` or `opts.rng`). */
export function randn(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  checkOptions('randn', opts, RANDOM_OPTIONS);
  const t = zeros(shape, { dtype: opts.dtype, requiresGrad: opts.requiresGrad });
  const rng = opts.rng ?? defaultRng();
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  return t;
}

/** Uniform samples in [0, 1). */
export function rand(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  checkOptions('rand', opts, RANDOM_OPTIONS);
  const t = zeros(shape, { dtype: opts.dtype, requiresGrad: opts.requiresGrad });
  const rng = opts.rng ?? defaultRng();
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform();
  return t;
}

/** 0, 1, ..., n-1 as a 1-D tensor. */
export function arange(n: number, opts: TensorOptions = {}): Tensor {
  checkOptions('arange', opts, TENSOR_OPTIONS);
  const t = zeros([n], opts);
  for (let i = 0; i < n; i++) t.data[i] = i;
  return t;
}

/** A one-element tensor (shape `[]`). */
export function scalar(v: number, dtype: DType = 'float32'): Tensor {
  return full([], v, { dtype });
}
