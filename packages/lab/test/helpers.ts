/**
 * Test helpers of the lab package: the library's closeness checks (`normkit/testing`) and a float64 leaf maker.
 */
export { maxDiff, assertClose, relError } from 'normkit/testing';

import * as nk from 'normkit';

/** A seeded float64 leaf that requires grad: randn(shape) * scale + shift. */
export function f64(shape: number[], seed: number, shift = 0, scale = 1): nk.Tensor {
  const t = nk.randn(shape, { dtype: 'float64', rng: new nk.Rng(seed) });
  for (let i = 0; i < t.size; i++) t.data[i] = t.data[i]! * scale + shift;
  return t.requiresGrad_();
}
