/**
 * Test helpers: closeness checks (from `nk.testing`) and gradient checks.
 */
import assert from 'node:assert/strict';

// The closeness checks are the library's own (src/testing.ts, `nk.testing`).
export { maxDiff, assertClose, relError } from '../src/testing.js';

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
