/**
 * Embedding table, as `torch.nn.Embedding`: row lookup of a learned matrix,
 * with PyTorch's `padding_idx` and `max_norm` (camelCase here).
 */
import { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import type { DType } from '../tensor/dtype.js';
import type { Rng } from '../tensor/random.js';
import { noGrad } from '../autograd/grad-mode.js';
import { indexSelect, reshape } from '../functional/shape-ops.js';
import { add, mul } from '../functional/elementwise.js';
import { checkOptions, unsupported } from '../options.js';
import { normal_ } from './init.js';
import { Module } from './module.js';

/** Options of `Embedding` (PyTorch's keyword arguments, camelCase). */
export interface EmbeddingOptions {
  /** Generator for the initial weights (default: the global one). */
  rng?: Rng;
  /**
   * Row that gets no gradient (PyTorch's `padding_idx`; negative counts from
   * the end): initialized to zeros, looked up as stored, never trained.
   */
  paddingIdx?: number | null;
  /** Renormalize, in place, each looked-up row whose `normType`-norm exceeds this (PyTorch's `max_norm`). */
  maxNorm?: number | null;
  /** The p of the `maxNorm` norm (default 2). */
  normType?: number;
  /** Not supported (throws when true). */
  scaleGradByFreq?: boolean;
  /** Not supported (throws when true): gradients are dense. */
  sparse?: boolean;
  /** Storage type of the table (default 'float32'). */
  dtype?: DType;
}

/**
 * `y[..., :] = weight[index[...], :]`. Parameter `weight` [numEmbeddings,
 * embeddingDim], initialized N(0, 1) as PyTorch (row `paddingIdx` zeroed).
 * The gradient scatter-adds into the rows that were looked up, except row
 * `paddingIdx`. With `maxNorm`, rows about to be looked up are first scaled
 * in place by maxNorm / (||row||_p + 1e-7) when their norm exceeds maxNorm
 * (torch.embedding_renorm_).
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    checkOptions('Embedding', opts, ['rng', 'paddingIdx', 'maxNorm', 'normType', 'scaleGradByFreq', 'sparse', 'dtype']);
    unsupported('Embedding', 'scaleGradByFreq', opts.scaleGradByFreq, false);
    unsupported('Embedding', 'sparse', opts.sparse, false, 'normkit gradients are dense');
    for (const [k, v] of [['numEmbeddings', numEmbeddings], ['embeddingDim', embeddingDim]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Embedding: ${k} must be a positive integer, got ${v}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    const pi = opts.paddingIdx ?? null;
    if (pi !== null && (!Number.isInteger(pi) || pi < -numEmbeddings || pi >= numEmbeddings)) {
      throw new RangeError(`Embedding: paddingIdx must be an integer within num_embeddings [${-numEmbeddings}, ${numEmbeddings - 1}], got ${pi}`);
    }
    this.paddingIdx = pi === null ? null : pi < 0 ? pi + numEmbeddings : pi;
    this.maxNorm = opts.maxNorm ?? null;
    if (this.maxNorm !== null && !(this.maxNorm > 0)) throw new RangeError(`Embedding: maxNorm must be > 0 or null, got ${this.maxNorm}`);
    this.normType = opts.normType ?? 2;
    if (!(this.normType > 0)) throw new RangeError(`Embedding: normType must be > 0, got ${this.normType}`);
    this.registerParameter('weight', zeros([numEmbeddings, embeddingDim], { dtype: opts.dtype ?? 'float32' }));
    this.resetParameters(opts.rng);
  }

  /** The table [numEmbeddings, embeddingDim]. */
  get weight(): Tensor | null {
    return this.getParameter('weight');
  }

  /** Re-draw the table from N(0, 1) (and zero the padding row, as PyTorch). */
  resetParameters(rng?: Rng): void {
    const w = this.getParameter('weight');
    if (!w) return;
    noGrad(() => normal_(w, 0, 1, { rng }));
    if (this.paddingIdx !== null) w.data.fill(0, this.paddingIdx * this.embeddingDim, (this.paddingIdx + 1) * this.embeddingDim);
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
    const w = this.param('weight')!;
    if (this.maxNorm !== null) this.renorm(w, flat);
    let rows = indexSelect(w, 0, flat);
    const pad = this.paddingIdx;
    if (pad !== null && Array.prototype.includes.call(flat, pad)) {
      // rows m + detached rows (1 - m), m = 0 at padding positions: same values, no gradient into the padding row
      const m = zeros([flat.length, 1], { dtype: w.dtype });
      for (let i = 0; i < flat.length; i++) m.data[i] = flat[i] === pad ? 0 : 1;
      const inv = zeros([flat.length, 1], { dtype: w.dtype });
      for (let i = 0; i < flat.length; i++) inv.data[i] = 1 - m.data[i]!;
      rows = add(mul(rows, m), mul(indexSelect(w.detach(), 0, flat), inv));
    }
    return reshape(rows, [...sh, this.embeddingDim]);
  }

  /** torch.embedding_renorm_: scale each distinct looked-up row with norm > maxNorm to norm maxNorm (in place, untracked). */
  private renorm(w: Tensor, flat: ArrayLike<number>): void {
    const D = this.embeddingDim;
    const p = this.normType;
    const max = this.maxNorm!;
    const seen = new Set<number>();
    for (let i = 0; i < flat.length; i++) {
      const r = flat[i]!;
      if (seen.has(r)) continue;
      seen.add(r);
      const d = w.data;
      let norm = 0;
      if (p === Infinity) for (let j = 0; j < D; j++) norm = Math.max(norm, Math.abs(d[r * D + j]!));
      else {
        for (let j = 0; j < D; j++) norm += Math.pow(Math.abs(d[r * D + j]!), p);
        norm = Math.pow(norm, 1 / p);
      }
      if (norm > max) {
        const scale = max / (norm + 1e-7);
        for (let j = 0; j < D; j++) d[r * D + j] = d[r * D + j]! * scale;
      }
    }
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}${this.maxNorm !== null ? `, maxNorm=${this.maxNorm}` : ''}`;
  }
}
