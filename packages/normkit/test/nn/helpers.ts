/**
 * Helpers for layer tests: float64 copies of modules (for gradcheck) and a
 * gradcheck wrapper that fails with the worst entry.
 */
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';

/** Switch every parameter and buffer of `m` to float64 storage, in place. */
export function toF64<M extends nk.Module>(m: M): M {
  for (const t of [...m.parameters(), ...m.buffers()]) t.data = Float64Array.from(t.data);
  return m;
}

/** A float64 leaf of random normal values. */
export function f64(shape: number[], seed: number, scale = 1): nk.Tensor {
  const t = nk.randn(shape, { dtype: 'float64', rng: new nk.Rng(seed) });
  for (let i = 0; i < t.size; i++) t.data[i] *= scale;
  return t.requiresGrad_();
}

/** gradcheck of `fn` over `inputs` (x first, then parameters), asserting with the worst entry. */
export function check(name: string, fn: (...xs: nk.Tensor[]) => nk.Tensor, inputs: nk.Tensor[], opts: nk.GradcheckOptions = {}): void {
  const r = nk.gradcheck(fn, inputs, { maxPerInput: 60, ...opts });
  assert.ok(r.ok, `${name}: max error ${r.maxAbsError} at ${JSON.stringify(r.worst)}`);
}
