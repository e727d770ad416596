/**
 * `nk.testing` (also `normkit/testing`): closeness checks for comparing
 * normkit's results with a reference, e.g. PyTorch outputs saved with a
 * model when porting it, in the spirit of `torch.testing.assert_close`.
 * Each failure names the worst element and the largest differences. Plain
 * `Error`s, no Node built-ins: usable in browsers and any test runner.
 *
 * ```ts
 * import { assertClose } from 'normkit/testing';
 * assertClose(model.forward(x), expected, { atol: 1e-6, rtol: 1e-5 });
 * ```
 */
import { Tensor } from './tensor/tensor.js';

type Values = ArrayLike<number> | Tensor;
const values = (v: Values): ArrayLike<number> => (v instanceof Tensor ? v.data : v);

/** Largest absolute and relative difference between two arrays (or tensors), and where the absolute one is. */
export function maxDiff(actual: Values, expected: Values): { abs: number; rel: number; at: number } {
  const a = values(actual);
  const b = values(expected);
  if (a.length !== b.length) throw new Error(`maxDiff: length ${a.length} vs ${b.length}`);
  let abs = 0;
  let rel = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(d) && !(Number.isNaN(a[i]!) && Number.isNaN(b[i]!))) return { abs: NaN, rel: NaN, at: i };
    const r = d / Math.max(Math.abs(b[i]!), 1e-30);
    if (d > abs) {
      abs = d;
      at = i;
    }
    if (r > rel) rel = r;
  }
  return { abs, rel, at };
}

/**
 * Throw unless |actual - expected| <= atol + rtol * |expected| everywhere
 * (NaN matches only NaN). Defaults atol 1e-6, rtol 1e-5. Tensors are
 * compared by their values (shapes too, when both are tensors).
 */
export function assertClose(actual: Values, expected: Values, opts: { atol?: number; rtol?: number; msg?: string } = {}): void {
  const atol = opts.atol ?? 1e-6;
  const rtol = opts.rtol ?? 1e-5;
  const msg = opts.msg ?? '';
  if (actual instanceof Tensor && expected instanceof Tensor && actual.shape.join(',') !== expected.shape.join(',')) {
    throw new Error(`${msg} shape [${actual.shape.join(', ')}] vs [${expected.shape.join(', ')}]`);
  }
  const a = values(actual);
  const b = values(expected);
  if (a.length !== b.length) throw new Error(`${msg} length ${a.length} vs ${b.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (!(Number.isNaN(x) && Number.isNaN(y))) throw new Error(`${msg} NaN mismatch at ${i}: ${x} vs ${y}`);
      continue;
    }
    if (x === y) continue;
    const excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0) {
    const { abs, rel } = maxDiff(a, b);
    throw new Error(`${msg} not close at index ${worst}: ${a[worst]} vs ${b[worst]} (max abs diff ${abs.toExponential(3)}, max rel ${rel.toExponential(3)}, atol ${atol}, rtol ${rtol})`);
  }
}

/** Relative error of `actual` against the reference `expected`: max|a - b| / max|b| (the absolute error when b is all zero). */
export function relError(actual: Values, expected: Values): number {
  const a = values(actual);
  const b = values(expected);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return den === 0 ? num : num / den;
}
