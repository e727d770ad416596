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
import { max, sum } from '../functional/reduce.js';
import { attentionSoftmax, softmax } from '../functional/softmax.js';
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
  /** Feature size of the keys (default dModel). When kdim or vdim differ from dModel, the projections are `q_proj_weight`, `k_proj_weight`, `v_proj_weight` (PyTorch's names). */
  kdim?: number;
  /** Feature size of the values (default dModel). */
  vdim?: number;
  /** Only true is supported (inputs are [B, T, E], PyTorch's batch_first=True); false throws. */
  batchFirst?: boolean;
}

/** Options of `MultiheadAttention.forward` / `attention` (PyTorch's forward keywords, camelCase). */
export interface AttentionCallOptions {
  /**
   * [B, S] per key: boolean-like (1/true = padding, not attended) when given
   * as an array of booleans or a Tensor of 0/1 with `maskKind: 'bool'` default;
   * a Float Tensor is added to the logits. PyTorch's `key_padding_mask`.
   */
  keyPaddingMask?: Tensor | readonly (readonly boolean[])[] | null;
  /** [T, S] or [B*H, T, S]: boolean (true = not allowed) or additive float; PyTorch's `attn_mask`. */
  attnMask?: Tensor | readonly (readonly boolean[])[] | null;
  /** Also return the attention weights (from `attention()`; default true there, as PyTorch). */
  needWeights?: boolean;
  /** Average the returned weights over heads (default true) or return [B, H, T, S]. */
  averageAttnWeights?: boolean;
  /** Treat a 0/1 Tensor mask as boolean (default true); false adds it to the logits as a float mask. */
  boolMasks?: boolean;
}

const MHA_OPTIONS = ['causal', 'bias', 'dropout', 'rng', 'qkNorm', 'trackMaxLogit', 'kdim', 'vdim', 'batchFirst'];

/**
 * The largest entry of `scores`, NaN entries left out (-inf when all are NaN),
 * for `trackMaxLogit`: the max kernel (SIMD on wasm) over all entries, and
 * only when that is NaN (a diverging run) a scan that skips NaNs.
 */
function largestLogit(scores: Tensor): number {
  const m = noGrad(() => max(scores)).data[0]!;
  if (!Number.isNaN(m)) return m;
  let r = -Infinity;
  const sd = scores.data;
  for (let i = 0; i < sd.length; i++) if (sd[i]! > r) r = sd[i]!;
  return r;
}

/** The largest of scale * scores (scale > 0 keeps the order), rounded as a float32 product would be. */
function scaledLogit(largest: number, scale: number, dtype: 'float32' | 'float64'): number {
  return dtype === 'float32' ? Math.fround(Math.fround(scale) * largest) : scale * largest;
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
  readonly kdim: number;
  readonly vdim: number;
  /** False when kdim/vdim differ from dModel: separate q/k/v projection weights. */
  readonly qkvSameEmbedDim: boolean;
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
    if (opts.batchFirst === false) throw new TypeError('MultiheadAttention: option batchFirst=false is not supported (inputs are [B, T, E], PyTorch\'s batch_first=True)');
    this.kdim = opts.kdim ?? dModel;
    this.vdim = opts.vdim ?? dModel;
    for (const [k, v] of [['kdim', this.kdim], ['vdim', this.vdim]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`MultiheadAttention: ${k} must be a positive integer, got ${v}`);
    }
    this.qkvSameEmbedDim = this.kdim === dModel && this.vdim === dModel;
    if (this.qkvSameEmbedDim) this.registerParameter('in_proj_weight', zeros([3 * dModel, dModel]));
    else {
      this.registerParameter('q_proj_weight', zeros([dModel, dModel]));
      this.registerParameter('k_proj_weight', zeros([dModel, this.kdim]));
      this.registerParameter('v_proj_weight', zeros([dModel, this.vdim]));
    }
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
      for (const n of ['in_proj_weight', 'q_proj_weight', 'k_proj_weight', 'v_proj_weight']) {
        const w = this.getParameter(n);
        if (w) xavierUniform(w, { rng });
      }
      const b = this.getParameter('in_proj_bias');
      if (b) zeros_(b);
      this.outProj.resetParameters(rng);
      const ob = this.outProj.bias;
      if (ob) zeros_(ob);
    });
  }

  /**
   * Attention, returning the output [B, T, dModel]. `forward(x)` is
   * self-attention; `forward(query, key, value, opts)` attends from query
   * [B, T, dModel] to key [B, S, kdim] / value [B, S, vdim], with
   * `keyPaddingMask` and `attnMask` as PyTorch. For the weights too, use
   * `attention()` (PyTorch's `(attn_output, attn_weights)` pair).
   */
  forward(query: Tensor, key?: Tensor | null, value?: Tensor | null, opts: AttentionCallOptions = {}): Tensor {
    checkOptions('MultiheadAttention.forward', opts, ['keyPaddingMask', 'attnMask', 'needWeights', 'averageAttnWeights', 'boolMasks']);
    if ((key == null && value == null) && !opts.keyPaddingMask && !opts.attnMask && this.qkvSameEmbedDim) return this.selfAttention(query);
    return this.general(query, key ?? query, value ?? key ?? query, { ...opts, needWeights: false })[0];
  }

  /**
   * PyTorch's `forward(query, key, value, key_padding_mask, need_weights,
   * attn_mask, average_attn_weights)`: returns `[output, weights]`, weights
   * [B, T, S] averaged over heads (or [B, H, T, S]), null with `needWeights: false`.
   */
  attention(query: Tensor, key?: Tensor | null, value?: Tensor | null, opts: AttentionCallOptions = {}): [Tensor, Tensor | null] {
    checkOptions('MultiheadAttention.attention', opts, ['keyPaddingMask', 'attnMask', 'needWeights', 'averageAttnWeights', 'boolMasks']);
    return this.general(query, key ?? query, value ?? key ?? query, opts);
  }

  /** The projection weights and biases of q, k, v (slices of in_proj_* when packed). */
  private projections(): [Tensor, Tensor, Tensor, Tensor | null, Tensor | null, Tensor | null] {
    const E = this.embedDim;
    const b = this.param('in_proj_bias');
    const bs = (i: number) => (b ? slice(b, 0, i * E, (i + 1) * E) : null);
    if (this.qkvSameEmbedDim) {
      const w = this.param('in_proj_weight')!;
      return [slice(w, 0, 0, E), slice(w, 0, E, 2 * E), slice(w, 0, 2 * E, 3 * E), bs(0), bs(1), bs(2)];
    }
    return [this.param('q_proj_weight')!, this.param('k_proj_weight')!, this.param('v_proj_weight')!, bs(0), bs(1), bs(2)];
  }

  /** General attention with separate key/value inputs and masks. */
  private general(query: Tensor, key: Tensor, value: Tensor, opts: AttentionCallOptions): [Tensor, Tensor | null] {
    const E = this.embedDim;
    const H = this.numHeads;
    const dh = this.headDim;
    if (query.ndim !== 3 || query.shape[2] !== E) throw new RangeError(`MultiheadAttention: expected query with shape [B, T, ${E}], got ${fmtShape(query.shape)}`);
    const [B, T] = query.shape as [number, number];
    if (key.ndim !== 3 || key.shape[0] !== B || key.shape[2] !== this.kdim) throw new RangeError(`MultiheadAttention: expected key with shape [${B}, S, ${this.kdim}], got ${fmtShape(key.shape)}`);
    const S = key.shape[1]!;
    if (value.ndim !== 3 || value.shape[0] !== B || value.shape[1] !== S || value.shape[2] !== this.vdim) throw new RangeError(`MultiheadAttention: expected value with shape [${B}, ${S}, ${this.vdim}], got ${fmtShape(value.shape)}`);
    const [wq, wk, wv, bq, bk, bv] = this.projections();
    const heads = (t: Tensor, L: number) => reshape(t, [B, L, H, dh]);
    let q = heads(linear(query, wq, bq), T);
    let k = heads(linear(key, wk, bk), S);
    if (this.qNorm) q = this.qNorm.forward(q);
    if (this.kNorm) k = this.kNorm.forward(k);
    const v = permute(heads(linear(value, wv, bv), S), [0, 2, 1, 3]);
    const scale = 1 / Math.sqrt(dh);
    let attnW: Tensor;
    if (opts.attnMask || opts.keyPaddingMask) {
      // a general additive mask: scale, add, then softmax
      let scores = matmul(mul(permute(q, [0, 2, 1, 3]), scale), permute(k, [0, 2, 3, 1])); // [B, H, T, S]
      if (this.trackMaxLogit) this.maxLogit = largestLogit(scores);
      scores = add(scores, this.buildMask(B, T, S, scores.dtype, opts)!);
      attnW = softmax(scores, -1);
    } else {
      // no mask or only the causal one: scale, mask and softmax in one pass
      const scores = matmul(permute(q, [0, 2, 1, 3]), permute(k, [0, 2, 3, 1])); // [B, H, T, S], unscaled
      if (this.trackMaxLogit) this.maxLogit = scaledLogit(largestLogit(scores), scale, scores.dtype);
      attnW = attentionSoftmax(scores, scale, this.causal);
    }
    let attn = attnW;
    if (this.dropoutP > 0 && this.training) attn = dropout(attn, this.dropoutP, true, this.rng ?? defaultRng());
    const ctx = reshape(permute(matmul(attn, v), [0, 2, 1, 3]), [B, T, E]);
    const out = this.outProj.forward(ctx);
    if (opts.needWeights === false) return [out, null];
    const w = (opts.averageAttnWeights ?? true) ? mul(sum(attnW, 1), 1 / H) : attnW;
    return [out, w];
  }

  /** The additive mask [B, H, T, S] from causal, attnMask and keyPaddingMask (-inf where not allowed), or null. */
  private buildMask(B: number, T: number, S: number, dtype: 'float32' | 'float64', opts: AttentionCallOptions): Tensor | null {
    const H = this.numHeads;
    if (!this.causal && !opts.attnMask && !opts.keyPaddingMask) return null;
    const m = zeros([B, H, T, S], { dtype });
    const d = m.data;
    const boolMasks = opts.boolMasks ?? true;
    const flat = (x: Tensor | readonly (readonly boolean[])[]): [ArrayLike<number>, number[], boolean] =>
      x instanceof Tensor ? [x.data, x.shape, boolMasks] : [x.flat().map(Number), [x.length, x[0]?.length ?? 0], true];
    const addAt = (i: number, val: number, isBool: boolean) => {
      if (isBool) { if (val) d[i] = -Infinity; } else d[i] += val;
    };
    if (this.causal) {
      for (let b = 0; b < B * H; b++) for (let t = 0; t < T; t++) for (let s = t + 1; s < S; s++) d[(b * T + t) * S + s] = -Infinity;
    }
    if (opts.attnMask) {
      const [a, sh, isBool] = flat(opts.attnMask);
      const per = sh.length === 3;
      if (!((sh.length === 2 && sh[0] === T && sh[1] === S) || (per && sh[0] === B * H && sh[1] === T && sh[2] === S))) {
        throw new RangeError(`MultiheadAttention: attnMask must have shape [${T}, ${S}] or [${B * H}, ${T}, ${S}], got ${fmtShape(sh)}`);
      }
      for (let bh = 0; bh < B * H; bh++) for (let i = 0; i < T * S; i++) addAt(bh * T * S + i, a[(per ? bh * T * S : 0) + i]!, isBool);
    }
    if (opts.keyPaddingMask) {
      const [a, sh, isBool] = flat(opts.keyPaddingMask);
      if (sh.length !== 2 || sh[0] !== B || sh[1] !== S) throw new RangeError(`MultiheadAttention: keyPaddingMask must have shape [${B}, ${S}], got ${fmtShape(sh)}`);
      for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) for (let s = 0; s < S; s++) addAt(((b * H + h) * T + t) * S + s, a[b * S + s]!, isBool);
    }
    return m;
  }

  /** Self-attention over x [B, T, dModel] with the packed projection (the fast path). */
  private selfAttention(x: Tensor): Tensor {
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
    // scores [B, H, T, T] unscaled: the scale, the causal mask and softmax are one pass
    const scores = matmul(q, kT);
    const scale = 1 / Math.sqrt(dh);
    if (this.trackMaxLogit) this.maxLogit = scaledLogit(largestLogit(scores), scale, scores.dtype);
    let attn = attentionSoftmax(scores, scale, this.causal);
    if (this.dropoutP > 0 && this.training) attn = dropout(attn, this.dropoutP, true, this.rng ?? defaultRng());
    const ctx = reshape(permute(matmul(attn, v), [0, 2, 1, 3]), [B, T, d]);
    return this.outProj.forward(ctx);
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, causal=${this.causal}${this.dropoutP ? `, dropout=${this.dropoutP}` : ''}${this.qkNorm ? `, qkNorm='${this.qkNorm}'` : ''}`;
  }
}
