/**
 * Shape utilities: element counts, strides, broadcasting and axis handling.
 * Every error names the received value and what was expected.
 */

/** Format a shape the way error messages print it: `[2, 4, 5]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Number of elements of a shape (1 for a scalar `[]`). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a contiguous tensor. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** True when two shapes are equal. */
export function shapeEq(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Check that a shape holds non-negative integers. */
export function checkShape(shape: readonly number[]): number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`shape must hold non-negative integers, got ${fmtShape(shape)}`);
    }
  }
  return [...shape];
}

/**
 * NumPy broadcasting: align trailing dims; each pair must be equal or one of them 1.
 */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together (dim ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides to read a tensor of shape `shape` as if broadcast to `target`:
 * 0 on broadcast dims, so the same element is read again.
 */
export function broadcastStrides(shape: readonly number[], target: readonly number[]): number[] {
  const st = stridesOf(shape);
  const out = new Array<number>(target.length).fill(0);
  const off = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : st[i]!;
  return out;
}

/** Resolve a possibly negative axis against `ndim` dims (PyTorch's `dim` rules). */
export function normalizeAxis(axis: number, ndim: number, what = 'dim'): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= Math.max(ndim, 1)) {
    throw new RangeError(`${what} ${axis} is out of range for a tensor of ${ndim} dims (expected an integer in [${-ndim}, ${Math.max(ndim, 1) - 1}])`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Resolve a list of axes (or all axes when undefined), sorted and without duplicates. */
export function normalizeAxes(axes: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (axes === undefined || axes === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = list.map((a) => normalizeAxis(a, ndim));
  const uniq = [...new Set(out)].sort((x, y) => x - y);
  if (uniq.length !== out.length) throw new RangeError(`axes ${fmtShape(list as number[])} repeat a dim`);
  return uniq;
}
