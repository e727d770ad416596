/**
 * Multi-head self-attention (Vaswani et al. 2017), batch-first, with
 * PyTorch's parameter layout (`in_proj_weight` [3d, d], `in_proj_bias` [3d],
 * `out_proj.weight`, `out_proj.bias`) so state dicts match
 * `torch.nn.MultiheadAttention(d, h, batch_first=True)`.
 */
import { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import { fmtShape } from '../tensor/shape.js';
import type { Rng } from '../tensor/random.js';
import { defaultRng } from '../tensor/random.js';
import { noGrad } from '../autograd/grad-mode.js';
import { add, mul } from '../functional/elementwise.js';
import { matmul } from '../functional/matmul.js';
import { permute, reshape, slice } from '../functional/shape-ops.js';
import { softmax } from '../functional/softmax.js';
import { linear } from '../functional/linear.js';
import { dropout } from '../functional/dropout.js';
import { xavierUniform, zeros_ } from './init.js';
import { Layer, type UnaryModule } from './layer.js';
import { Linear } from './linear.js';
import { makeNorm } from './norm-factory.js';
import { checkOptions } from '../options.js';

/** Options of `MultiheadAttention`. */
export interface MultiheadAttentionOptions {
  /** Mask future positions (position t attends to 0..t only). Default false. */
  causal?: boolean;
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Dropout on the attention weights, in training only (default 0). */
  dropout?: number;
  /** Generator for the initial weights and the dropout masks. */
  rng?: Rng;
  /**
   * Normalize queries and keys per head, over the head dimension, before the
   * dot product ("QK-LayerNorm", Dehghani et al. 2023; Wortsman et al. 2023):
   * it bounds the attention logits, which otherwise grow at high learning
   * rates until the softmax saturates. 'layernorm' or 'rmsnorm' (each with its
   * own affine weight of size headDim, children `q_norm` and `k_norm`); default
   * null (off, as in PyTorch's MultiheadAttention).
   */
  qkNorm?: 'layernorm' | 'rmsnorm' | null;
  /** Keep the largest attention logit (before the mask) of the last forward in `maxLogit` (default false). */
  trackMaxLogit?: boolean;
}

const MHA_OPTIONS = ['causal', 'bias', 'dropout', 'rng', 'qkNorm', 'trackMaxLogit'];

/** Cached additive causal masks: 0 on and below the diagonal, -inf above. */
const causalMasks = new Map<string, Tensor>();
function causalMask(T: number, dtype: 'float32' | 'float64'): Tensor {
  const key = `${T}:${dtype}`;
  let m = causalMasks.get(key);
  if (!m) {
    m = zeros([T, T], { dtype });
    for (let i = 0; i < T; i++) m.data.fill(-Infinity, i * T + i + 1, (i + 1) * T);
    if (causalMasks.size > 64) causalMasks.clear();
    causalMasks.set(key, m);
  }
  return m;
}

/**
 * Self-attention over x [B, T, d]:
 *   [q, k, v] = x W_in^T + b_in;  split into h heads of size d/h
 *   A = softmax(q k^T / sqrt(d/h) + mask)       (mask: -inf above the diagonal when causal)
 *   y = concat_heads(A v) W_out^T + b_out
 * Initialization as PyTorch: W_in xavier-uniform, biases 0, W_out as Linear.
 */
export class MultiheadAttention extends Layer {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly causal: boolean;
  readonly dropoutP: number;
  readonly outProj: Linear;
  readonly qkNorm: 'layernorm' | 'rmsnorm' | null;
  /** `q_norm` and `k_norm` when `qkNorm` is set, else null. */
  readonly qNorm: UnaryModule | null;
  readonly kNorm: UnaryModule | null;
  readonly trackMaxLogit: boolean;
  /** The largest scaled logit q.k/sqrt(dh) of the last forward (NaN until one ran with `trackMaxLogit`). */
  maxLogit = NaN;
  private readonly rng: Rng | null;

  constructor(dModel: number, nHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    if (!Number.isInteger(dModel) || dModel < 1) throw new RangeError(`MultiheadAttention: dModel must be a positive integer, got ${dModel}`);
    if (!Number.isInteger(nHeads) || nHeads < 1 || dModel % nHeads !== 0) {
      throw new RangeError(`MultiheadAttention: dModel (${dModel}) must be divisible by nHeads (${nHeads})`);
    }
    checkOptions('MultiheadAttention', opts, MHA_OPTIONS);
    const p = opts.dropout ?? 0;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`MultiheadAttention: dropout has to be between 0 and 1, got ${p}`);
    this.embedDim = dModel;
    this.numHeads = nHeads;
    this.headDim = dModel / nHeads;
    this.causal = opts.causal ?? false;
    this.dropoutP = p;
    this.rng = opts.rng ?? null;
    const bias = opts.bias ?? true;
    this.registerParameter('in_proj_weight', zeros([3 * dModel, dModel]));
    this.registerParameter('in_proj_bias', bias ? zeros([3 * dModel]) : null);
    this.outProj = this.registerModule('out_proj', new Linear(dModel, dModel, { bias, rng: opts.rng }));
    this.qkNorm = opts.qkNorm ?? null;
    if (this.qkNorm !== null && this.qkNorm !== 'layernorm' && this.qkNorm !== 'rmsnorm') {
      throw new RangeError(`MultiheadAttention: qkNorm must be 'layernorm', 'rmsnorm' or null, got '${String(this.qkNorm)}'`);
    }
    this.qNorm = this.qkNorm ? this.registerModule('q_norm', makeNorm(this.qkNorm, this.headDim)) : null;
    this.kNorm = this.qkNorm ? this.registerModule('k_norm', makeNorm(this.qkNorm, this.headDim)) : null;
    this.trackMaxLogit = opts.trackMaxLogit ?? false;
    this.resetParameters(opts.rng);
  }

  /** Re-draw the weights as at construction. */
  resetParameters(rng?: Rng): void {
    noGrad(() => {
      const w = this.getParameter('in_proj_weight');
      if (w) xavierUniform(w, { rng });
      const b = this.getParameter('in_proj_bias');
      if (b) zeros_(b);
      this.outProj.resetParameters(rng);
      const ob = this.outProj.bias;
      if (ob) zeros_(ob);
    });
  }

  /** Attention over x [B, T, dModel]; returns [B, T, dModel]. */
  forward(x: Tensor): Tensor {
    const d = this.embedDim;
    if (x.ndim !== 3 || x.shape[2] !== d) throw new RangeError(`MultiheadAttention: expected input with shape [B, T, ${d}], got ${fmtShape(x.shape)}`);
    const [B, T] = x.shape as [number, number];
    const H = this.numHeads;
    const dh = this.headDim;
    const qkv = reshape(linear(x, this.param('in_proj_weight')!, this.param('in_proj_bias')), [B, T, 3, H, dh]);
    // Heads to the front; k is laid out transposed ([B, H, dh, T]) directly, saving a copy.
    // qk-norm acts on the last (head) dim of [B, T, H, dh], before the permutes.
    const part = (i: number) => reshape(slice(qkv, 2, i, i + 1), [B, T, H, dh]);
    const q = permute(this.qNorm ? this.qNorm.forward(part(0)) : part(0), [0, 2, 1, 3]);
    const kT = permute(this.kNorm ? this.kNorm.forward(part(1)) : part(1), [0, 2, 3, 1]);
    const v = permute(part(2), [0, 2, 1, 3]);
    let scores = matmul(mul(q, 1 / Math.sqrt(dh)), kT); // [B, H, T, T]
    if (this.trackMaxLogit) {
      let m = -Infinity;
      const sd = scores.data;
      for (let i = 0; i < sd.length; i++) if (sd[i]! > m) m = sd[i]!;
      this.maxLogit = m;
    }
    if (this.causal) scores = add(scores, causalMask(T, scores.dtype));
    let attn = softmax(scores, -1);
    if (this.dropoutP > 0 && this.training) attn = dropout(attn, this.dropoutP, true, this.rng ?? defaultRng());
    const ctx = reshape(permute(matmul(attn, v), [0, 2, 1, 3]), [B, T, d]);
    return this.outProj.forward(ctx);
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, causal=${this.causal}${this.dropoutP ? `, dropout=${this.dropoutP}` : ''}${this.qkNorm ? `, qkNorm='${this.qkNorm}'` : ''}`;
  }
}
