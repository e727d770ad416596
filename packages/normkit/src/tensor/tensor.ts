/**
 * The Tensor: a shape, a dtype and one contiguous row-major typed array,
 * plus what reverse-mode autograd needs (`requiresGrad`, `grad`, the node
 * that produced it). Tensors are never views: every op writes fresh storage,
 * which keeps kernels simple and `t.data` always the live, contiguous data.
 */
import { type DType, type TypedArray, dtypeOf } from './dtype.js';
import { allocateUninit } from './storage.js';
import { fmtShape, numel } from './shape.js';
import type { GradNode } from '../autograd/ops.js';
import { releaseStorage, retainStorage } from './storage.js';
import { setTensorCheck, trackTensor } from './scope.js';

/** Nested number arrays, as `toArray()` returns them. */
export type NestedArray = number | NestedArray[];

export class Tensor {
  /** The storage; null once disposed. */
  private _data: TypedArray | null;
  /** Dimensions, outermost first (`[]` for a scalar). */
  readonly shape: number[];
  /** Whether backward() should compute a gradient for this tensor. */
  requiresGrad: boolean;
  /** Accumulated gradient after backward() (leaves, and tensors that called retainGrad()). */
  grad: Tensor | null = null;
  /** The op that produced this tensor, when it was recorded for autograd. */
  node: GradNode | null = null;
  /** Keep `grad` on this non-leaf tensor after backward (used by the lab's probes). */
  retainsGrad = false;
  /** Survives the end of every enclosing `tidy` (set by `keep()`, modules and `backward()`). */
  kept = false;

  /**
   * A tensor on `data` (shared, not copied: use `nk.tensor` to copy). Inside
   * `tidy` the new tensor belongs to the scope.
   */
  constructor(data: TypedArray, shape: readonly number[], requiresGrad = false) {
    if (data.length !== numel(shape)) {
      throw new RangeError(`data has ${data.length} elements but shape ${fmtShape(shape)} needs ${numel(shape)}`);
    }
    this._data = data;
    this.shape = [...shape];
    this.requiresGrad = requiresGrad;
    retainStorage(data);
    trackTensor(this);
  }

  /**
   * Live contiguous row-major storage: writing into it changes the tensor.
   * Throws once the tensor is disposed (by `dispose()` or the end of `tidy`).
   */
  get data(): TypedArray {
    const d = this._data;
    if (d === null) {
      throw new Error(`this tensor (shape ${fmtShape(this.shape)}) was disposed, by dispose() or at the end of tidy(); return it from tidy(), or keep() it, to use it afterwards`);
    }
    return d;
  }

  set data(d: TypedArray) {
    if (this._data === null) throw new Error(`cannot assign data to a disposed tensor (shape ${fmtShape(this.shape)})`);
    if (d.length !== numel(this.shape)) {
      throw new RangeError(`data has ${d.length} elements but shape ${fmtShape(this.shape)} needs ${numel(this.shape)}`);
    }
    retainStorage(d);
    releaseStorage(this._data);
    this._data = d;
  }

  /** True once `dispose()` ran (directly or at the end of `tidy`). */
  get isDisposed(): boolean {
    return this._data === null;
  }

  /**
   * Release this tensor's storage now, and its place in the autograd graph.
   * Backend memory is reused as soon as no other tensor on the same storage
   * (a reshape, a detach) is alive; reading the tensor afterwards throws.
   * Disposing twice is a no-op. A typed array taken from `.data` before is
   * no longer valid: copy it (`t.data.slice()`) to keep the values.
   */
  dispose(): void {
    const d = this._data;
    if (d === null) return;
    this._data = null;
    const owned = this.node?.owned;
    this.node = null;
    releaseStorage(d);
    // what the op that made this tensor kept for its backward alone goes with it
    if (owned) for (const t of owned) t.dispose();
  }

  /** `'float32'` or `'float64'`. */
  get dtype(): DType {
    return dtypeOf(this.data);
  }

  /** Number of dims. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return this._data !== null ? this._data.length : numel(this.shape);
  }

  /** True for tensors made by the user rather than by an op. */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /**
   * Reverse-mode autograd from this tensor. Without `grad`, the tensor must
   * hold one element (a loss) and the seed is 1.
   */
  backward(grad?: Tensor): void {
    backwardImpl(this, grad);
  }

  /** Keep this non-leaf tensor's gradient after backward. */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** A tensor sharing this one's storage but cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false);
  }

  /** A deep copy, cut from the graph. */
  clone(): Tensor {
    const d = allocateUninit(this.dtype, this.size);
    d.set(this.data);
    return new Tensor(d, this.shape, false);
  }

  /** Enable or disable gradient tracking on a leaf (returns this). */
  requiresGrad_(flag = true): this {
    this.requiresGrad = flag;
    return this;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) {
      throw new RangeError(`item() needs a tensor with one element, got shape ${fmtShape(this.shape)}`);
    }
    return this.data[0]!;
  }

  /** The values as nested arrays (a number for a scalar). */
  toArray(): NestedArray {
    const d = this.data;
    const shape = this.shape;
    if (shape.length === 0) return d[0]!;
    let pos = 0;
    const build = (dim: number): NestedArray[] => {
      const n = shape[dim]!;
      const out: NestedArray[] = new Array(n);
      if (dim === shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = d[pos++]!;
      } else {
        for (let i = 0; i < n; i++) out[i] = build(dim + 1);
      }
      return out;
    };
    return build(0);
  }

  /** The values as a flat plain array. */
  toList(): number[] {
    return Array.from(this.data);
  }

  toString(): string {
    if (this._data === null) return `Tensor(shape=${fmtShape(this.shape)}, disposed)`;
    const vals = this.data.length <= 12 ? Array.from(this.data).map((v) => +v.toPrecision(5)).join(', ') : `${this.data.length} values`;
    return `Tensor(shape=${fmtShape(this.shape)}, dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad=true' : ''}, [${vals}])`;
  }
}

setTensorCheck((x: unknown): x is Tensor => x instanceof Tensor);

/**
 * The reverse-mode pass behind `Tensor.backward`, installed by
 * autograd/backward.ts when it loads: the tensor core does not import
 * autograd (which imports the tensor core), so imports flow one way.
 */
let backwardImpl: (root: Tensor, grad?: Tensor) => void = () => {
  throw new Error("backward(): autograd is not loaded; import 'normkit' (or 'normkit/functional', 'normkit/nn') first");
};

/** Called once by autograd/backward.ts. */
export function setBackwardImpl(fn: (root: Tensor, grad?: Tensor) => void): void {
  backwardImpl = fn;
}
