/**
 * Dropout layer, as `torch.nn.Dropout`.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../tensor/random.js';
import { defaultRng } from '../tensor/random.js';
import { dropout } from '../functional/dropout.js';
import { Layer } from './layer.js';
import { checkOptions } from '../options.js';

/**
 * Inverted dropout (Srivastava et al. 2014): in training, zero each element
 * with probability `p` and scale the rest by 1/(1-p); identity in eval mode.
 * Masks are drawn from `rng` (default: the global generator at call time).
 */
export class Dropout extends Layer {
  readonly p: number;
  private readonly rng: Rng | null;

  constructor(p = 0.5, opts: { rng?: Rng } = {}) {
    super();
    checkOptions('Dropout', opts, ['rng']);
    if (typeof p !== 'number') throw new TypeError(`Dropout: p must be a number, got ${typeof p} (options go second: new Dropout(p, { rng }))`);
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: probability has to be between 0 and 1, got ${p}`);
    this.p = p;
    this.rng = opts.rng ?? null;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.rng ?? defaultRng());
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
