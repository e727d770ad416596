/**
 * Embedding table, as `torch.nn.Embedding`: row lookup of a learned matrix.
 */
import { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import type { Rng } from '../tensor/random.js';
import { noGrad } from '../autograd/grad-mode.js';
import { indexSelect, reshape } from '../functional/shape-ops.js';
import { normal_ } from './init.js';
import { Module } from './module.js';

/** Options of `Embedding`. */
export interface EmbeddingOptions {
  /** Generator for the initial weights (default: the global one). */
  rng?: Rng;
}

/**
 * `y[..., :] = weight[index[...], :]`. Parameter `weight` [numEmbeddings,
 * embeddingDim], initialized N(0, 1) as PyTorch. The gradient scatter-adds
 * into the rows that were looked up.
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    for (const [k, v] of [['numEmbeddings', numEmbeddings], ['embeddingDim', embeddingDim]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Embedding: ${k} must be a positive integer, got ${v}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.registerParameter('weight', zeros([numEmbeddings, embeddingDim]));
    this.resetParameters(opts.rng);
  }

  /** The table [numEmbeddings, embeddingDim]. */
  get weight(): Tensor | null {
    return this.getParameter('weight');
  }

  /** Re-draw the table from N(0, 1). */
  resetParameters(rng?: Rng): void {
    const w = this.getParameter('weight');
    if (w) noGrad(() => normal_(w, 0, 1, { rng }));
  }

  /**
   * Look up rows. `indices`: a Tensor of integral values (output shape
   * `[...indices.shape, dim]`), or a flat Int32Array/number[] with an optional
   * `shape` for it (default `[indices.length]`).
   */
  forward(indices: Tensor | Int32Array | readonly number[], shape?: readonly number[]): Tensor {
    const flat: ArrayLike<number> = indices instanceof Tensor ? indices.data : indices;
    const sh = indices instanceof Tensor ? indices.shape : shape ?? [flat.length];
    const n = this.numEmbeddings;
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= n) {
        throw new RangeError(`Embedding: index ${v} at position ${i} is out of range for ${n} embeddings (expected an integer in [0, ${n - 1}])`);
      }
    }
    const rows = indexSelect(this.param('weight')!, 0, flat);
    return reshape(rows, [...sh, this.embeddingDim]);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}
