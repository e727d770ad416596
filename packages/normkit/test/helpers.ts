/**
 * Test helpers: closeness checks that report the largest difference and where.
 */
import assert from 'node:assert/strict';

/** Largest absolute and relative difference between two arrays. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; rel: number; at: number } {
  assert.equal(a.length, b.length, `length ${a.length} vs ${b.length}`);
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
 * Assert |a - b| <= atol + rtol * |b| everywhere; the message names the worst element.
 */
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, opts: { atol?: number; rtol?: number; msg?: string } = {}): void {
  const atol = opts.atol ?? 1e-6;
  const rtol = opts.rtol ?? 1e-5;
  assert.equal(a.length, b.length, `${opts.msg ?? ''} length ${a.length} vs ${b.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (!(Number.isNaN(x) && Number.isNaN(y))) assert.fail(`${opts.msg ?? ''} NaN mismatch at ${i}: ${x} vs ${y}`);
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
    assert.fail(`${opts.msg ?? ''} not close at index ${worst}: ${a[worst]} vs ${b[worst]} (max abs diff ${abs.toExponential(3)}, max rel ${rel.toExponential(3)}, atol ${atol}, rtol ${rtol})`);
  }
}

/** Relative error of a vs the reference b: max|a-b| / max|b| (0 when both are zero). */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return den === 0 ? num : num / den;
}

// Gradient-check helpers shared by the gradient test files.
import * as nk from '../src/index.js';

/** A seeded float64 leaf that requires grad: randn(shape) * scale + shift. */
export function f64(shape: number[], seed: number, shift = 0, scale = 1): nk.Tensor {
  const t = nk.randn(shape, { dtype: 'float64', rng: new nk.Rng(seed) });
  for (let i = 0; i < t.size; i++) t.data[i] = t.data[i]! * scale + shift;
  return t.requiresGrad_();
}

/** Assert that autograd matches central finite differences (nk.gradcheck), naming the worst entry. */
export function checkGrad(name: string, fn: (...xs: nk.Tensor[]) => nk.Tensor, inputs: nk.Tensor[], opts?: nk.GradcheckOptions): void {
  const r = nk.gradcheck(fn, inputs, opts);
  assert.ok(r.ok, `${name}: max error ${r.maxAbsError} at ${JSON.stringify(r.worst)}`);
}
