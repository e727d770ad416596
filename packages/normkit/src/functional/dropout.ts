/**
 * Inverted dropout (Srivastava et al. 2014, as `torch.nn.functional.dropout`):
 * in training each element is zeroed with probability p and the survivors are
 * scaled by 1/(1-p), so the expected value is unchanged and evaluation is the
 * identity. The mask comes from a seeded `Rng`, so runs are reproducible.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate, allocateUninit } from '../tensor/dtype.js';
import { dropoutMask } from '../kernels/js/dropout.js';
import { type Rng, defaultRng } from '../tensor/random.js';
import { mul } from './elementwise.js';

/**
 * `y = x * m / (1 - p)` with `m ~ Bernoulli(1 - p)` per element when
 * `training`, else `x` itself. The gradient is `dy * m / (1 - p)` (through `mul`).
 */
export function dropout(x: Tensor, p = 0.5, training = true, rng: Rng = defaultRng()): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability has to be between 0 and 1, got ${p}`);
  if (!training || p === 0) return x;
  let mask;
  if (p < 1) {
    // one 32-bit draw per element (uniform() spends two), in the dropoutMask kernel's loop
    mask = allocateUninit(x.dtype, x.size);
    dropoutMask(mask, rng.stateWords(), p, 1 / (1 - p));
  } else mask = allocate(x.dtype, x.size);
  return mul(x, new Tensor(mask, x.shape));
}
