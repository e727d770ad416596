/**
 * A Transformer encoder block (Vaswani et al. 2017) with the normalization
 * and its placement as options, for the Post-LN vs Pre-LN study of Xiong et
 * al. 2020 and the normalization-free DyT of Zhu et al. 2025.
 * Child names follow `torch.nn.TransformerEncoderLayer`: `self_attn`,
 * `linear1`, `linear2`, `norm1`, `norm2`.
 */
import type { Tensor } from '../tensor/tensor.js';
import { fmtShape } from '../tensor/shape.js';
import type { Rng } from '../tensor/random.js';
import { defaultRng } from '../tensor/random.js';
import { add } from '../functional/elementwise.js';
import { dropout } from '../functional/dropout.js';
import { type AttentionCallOptions, MultiheadAttention } from './attention.js';
import { Linear } from './linear.js';
import { type ActivationName, makeActivation } from './activation.js';
import { Layer, type UnaryModule } from './layer.js';
import { type NormKind, makeNorm } from './norm-factory.js';
import { checkOptions } from '../options.js';

/** Options of `TransformerBlock`. */
export interface TransformerBlockOptions {
  /** Model width d. */
  dModel: number;
  /** Attention heads (d must be divisible by it). */
  nHeads: number;
  /** Hidden width of the feed-forward sub-layer (default 4 dModel). */
  dFF?: number;
  /** Normalization (default 'layernorm'). */
  norm?: Extract<NormKind, 'layernorm' | 'rmsnorm' | 'dyt' | 'none'>;
  /** 'post' (the original, `norm(x + f(x))`) or 'pre' (`x + f(norm(x))`, default). */
  placement?: 'pre' | 'post';
  /** Causal self-attention (default false). */
  causal?: boolean;
  /** Dropout on attention weights and on each sub-layer's output, training only (default 0). */
  dropout?: number;
  /** Feed-forward activation (default 'gelu'). */
  activation?: Extract<ActivationName, 'gelu' | 'relu'>;
  /** Normalization epsilon (default: the module's own). */
  eps?: number;
  /** DyT's alpha init (default 0.5). */
  alphaInit?: number;
  /** Generator for weights and dropout masks. */
  rng?: Rng;
  /** QK-norm inside the attention (see `MultiheadAttentionOptions.qkNorm`; default null). */
  qkNorm?: 'layernorm' | 'rmsnorm' | null;
  /** Track the attention's largest logit (`selfAttn.maxLogit`; default false). */
  trackMaxLogit?: boolean;
}

/**
 * One block, input and output [B, T, dModel]:
 *   Post-LN:  x = norm1(x + drop(attn(x)));     x = norm2(x + drop(ffn(x)))
 *   Pre-LN:   x = x + drop(attn(norm1(x)));     x = x + drop(ffn(norm2(x)))
 *   ffn(x) = linear2(act(linear1(x)))
 * With `norm: 'none'`, norm1 and norm2 are identities. The sub-layer modules
 * (`selfAttn`, `linear1`, `linear2`, `norm1`, `norm2`) are public, so per-layer
 * gradient norms can be read after backward.
 */
export class TransformerBlock extends Layer {
  readonly dModel: number;
  readonly nHeads: number;
  readonly dFF: number;
  readonly normKind: NonNullable<TransformerBlockOptions['norm']>;
  readonly placement: 'pre' | 'post';
  readonly dropoutP: number;
  readonly activationName: NonNullable<TransformerBlockOptions['activation']>;
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: UnaryModule;
  readonly norm2: UnaryModule;
  private readonly act: UnaryModule;
  private readonly rng: Rng | null;

  constructor(opts: TransformerBlockOptions) {
    super();
    checkOptions('TransformerBlock', opts, ['dModel', 'nHeads', 'dFF', 'norm', 'placement', 'causal', 'dropout', 'activation', 'eps', 'alphaInit', 'rng', 'qkNorm', 'trackMaxLogit']);
    const { dModel, nHeads } = opts;
    this.dModel = dModel;
    this.nHeads = nHeads;
    this.dFF = opts.dFF ?? 4 * dModel;
    this.normKind = opts.norm ?? 'layernorm';
    this.placement = opts.placement ?? 'pre';
    this.dropoutP = opts.dropout ?? 0;
    this.activationName = opts.activation ?? 'gelu';
    this.rng = opts.rng ?? null;
    if (!['layernorm', 'rmsnorm', 'dyt', 'none'].includes(this.normKind)) {
      throw new RangeError(`TransformerBlock: norm must be 'layernorm', 'rmsnorm', 'dyt' or 'none', got '${String(this.normKind)}'`);
    }
    if (this.placement !== 'pre' && this.placement !== 'post') {
      throw new RangeError(`TransformerBlock: placement must be 'pre' or 'post', got '${String(this.placement)}'`);
    }
    if (!Number.isInteger(this.dFF) || this.dFF < 1) throw new RangeError(`TransformerBlock: dFF must be a positive integer, got ${this.dFF}`);
    if (!(this.dropoutP >= 0 && this.dropoutP < 1)) throw new RangeError(`TransformerBlock: dropout must be in [0, 1), got ${this.dropoutP}`);
    this.selfAttn = this.registerModule('self_attn', new MultiheadAttention(dModel, nHeads, {
      causal: opts.causal, dropout: this.dropoutP, rng: opts.rng, qkNorm: opts.qkNorm ?? null, trackMaxLogit: opts.trackMaxLogit ?? false,
    }));
    this.linear1 = this.registerModule('linear1', new Linear(dModel, this.dFF, { rng: opts.rng }));
    this.linear2 = this.registerModule('linear2', new Linear(this.dFF, dModel, { rng: opts.rng }));
    const nopts = { eps: opts.eps, alphaInit: opts.alphaInit };
    this.norm1 = this.registerModule('norm1', makeNorm(this.normKind, dModel, nopts));
    this.norm2 = this.registerModule('norm2', makeNorm(this.normKind, dModel, nopts));
    this.act = makeActivation(this.activationName);
  }

  /** The feed-forward sub-layer: linear2(act(linear1(x))). */
  ffn(x: Tensor): Tensor {
    return this.linear2.forward(this.act.forward(this.linear1.forward(x)));
  }

  private drop(x: Tensor): Tensor {
    return this.dropoutP > 0 && this.training ? dropout(x, this.dropoutP, true, this.rng ?? defaultRng()) : x;
  }

  /**
   * x [B, T, dModel] -> [B, T, dModel]. `keyPaddingMask` [B, T] (true =
   * padding, not attended; PyTorch's `src_key_padding_mask`) and `attnMask`
   * [T, T] go to the self-attention.
   */
  forward(x: Tensor, opts: { keyPaddingMask?: AttentionCallOptions['keyPaddingMask']; attnMask?: AttentionCallOptions['attnMask'] } = {}): Tensor {
    checkOptions('TransformerBlock.forward', opts, ['keyPaddingMask', 'attnMask']);
    if (x.ndim !== 3 || x.shape[2] !== this.dModel) {
      throw new RangeError(`TransformerBlock: expected input with shape [B, T, ${this.dModel}], got ${fmtShape(x.shape)}`);
    }
    const attn = (t: Tensor) => (opts.keyPaddingMask || opts.attnMask ? this.selfAttn.forward(t, t, t, opts) : this.selfAttn.forward(t));
    if (this.placement === 'post') {
      const h = this.norm1.forward(add(x, this.drop(attn(x))));
      return this.norm2.forward(add(h, this.drop(this.ffn(h))));
    }
    const h = add(x, this.drop(attn(this.norm1.forward(x))));
    return add(h, this.drop(this.ffn(this.norm2.forward(h))));
  }

  override extraRepr(): string {
    return `dModel=${this.dModel}, nHeads=${this.nHeads}, dFF=${this.dFF}, norm='${this.normKind}', placement='${this.placement}', activation='${this.activationName}'${this.dropoutP ? `, dropout=${this.dropoutP}` : ''}`;
  }
}
