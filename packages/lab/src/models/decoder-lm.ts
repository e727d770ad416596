/**
 * A small decoder-only (causal) Transformer language model for the lab's
 * Transformer experiments: token embedding + learned positions, `depth`
 * causal `TransformerBlock`s of the library, a final normalization for the
 * Pre placements (as GPT-2 and Xiong et al.'s Pre-LN have), and a linear head.
 *
 * Variants (where the normalization sits, which one, qk-norm, warm-up):
 * - `post-ln`: the original `LN(x + f(x))` (Vaswani et al. 2017), no warm-up.
 * - `post-ln-warmup`: the same with a linear warm-up over 10% of the steps.
 * - `pre-ln`: `x + f(LN(x))` with a final LN (Xiong et al. 2020).
 * - `pre-ln-qknorm`: Pre-LN plus LayerNorm on queries and keys per head (Dehghani et al. 2023).
 * - `pre-dyt`: Pre placement with DyT, alpha 0.5, in place of every LN (Zhu et al. 2025).
 * - `none`: no normalization at all (Pre placement, no final norm).
 * Every normalization is the library's (`makeNorm`), so 'layernorm' means
 * the same layer here as everywhere else.
 */
import { Tensor, Rng, noGrad } from 'normkit';
import { Module, Linear, Embedding, TransformerBlock, makeNorm, type UnaryModule } from 'normkit/nn';
import { normal_ } from 'normkit/nn/init';
import { add, slice } from 'normkit/functional';

/** The architectures the Transformer experiments compare. */
export const DECODER_VARIANTS = ['post-ln', 'post-ln-warmup', 'pre-ln', 'pre-ln-qknorm', 'pre-dyt', 'none'] as const;
export type DecoderVariant = (typeof DECODER_VARIANTS)[number];

interface Arch { norm: 'layernorm' | 'dyt' | 'none'; placement: 'pre' | 'post'; qkNorm: boolean; warmup: boolean; finalNorm: boolean }
/** What each variant is made of. */
export const DECODER_ARCH: Record<DecoderVariant, Arch> = {
  'post-ln': { norm: 'layernorm', placement: 'post', qkNorm: false, warmup: false, finalNorm: false },
  'post-ln-warmup': { norm: 'layernorm', placement: 'post', qkNorm: false, warmup: true, finalNorm: false },
  'pre-ln': { norm: 'layernorm', placement: 'pre', qkNorm: false, warmup: false, finalNorm: true },
  'pre-ln-qknorm': { norm: 'layernorm', placement: 'pre', qkNorm: true, warmup: false, finalNorm: true },
  'pre-dyt': { norm: 'dyt', placement: 'pre', qkNorm: false, warmup: false, finalNorm: true },
  none: { norm: 'none', placement: 'pre', qkNorm: false, warmup: false, finalNorm: false },
};

/** Check a variant name (runs come from JSON). */
export function decoderVariant(v: unknown): DecoderVariant {
  if (!DECODER_VARIANTS.includes(v as DecoderVariant)) throw new RangeError(`unknown Transformer variant '${String(v)}', expected one of ${DECODER_VARIANTS.join(', ')}`);
  return v as DecoderVariant;
}

/** Sizes of a `DecoderLM`. */
export interface DecoderLMOptions {
  /** Input ids (embedding rows) and output classes (head width). */
  vocabIn: number;
  vocabOut: number;
  /** Longest sequence (learned positions). */
  length: number;
  d: number;
  heads: number;
  dFF: number;
  depth: number;
  variant: DecoderVariant;
  /** Record each attention's largest logit (`maxLogit()`), for the qk-norm experiment. */
  trackMaxLogit?: boolean;
  rng: Rng;
}

/** Embedding + positions -> causal blocks -> (final norm) -> head; `forward` gives `[B, T, vocabOut]` logits. */
export class DecoderLM extends Module {
  readonly blocks: TransformerBlock[] = [];
  readonly embed: Embedding;
  readonly head: Linear;
  readonly finalNorm: UnaryModule | null;

  constructor(o: DecoderLMOptions) {
    super();
    const a = DECODER_ARCH[o.variant];
    this.embed = this.registerModule('embed', new Embedding(o.vocabIn, o.d, { rng: o.rng }));
    // N(0, 1/d) embeddings and positions: the residual stream starts at unit-ish scale.
    noGrad(() => normal_(this.embed.getParameter('weight')!, 0, 1 / Math.sqrt(o.d), { rng: o.rng }));
    const pos = this.registerParameter('pos', new Tensor(new Float32Array(o.length * o.d), [o.length, o.d]))!;
    noGrad(() => normal_(pos, 0, 1 / Math.sqrt(o.d), { rng: o.rng }));
    for (let i = 0; i < o.depth; i++) {
      this.blocks.push(this.registerModule(`block${i}`, new TransformerBlock({
        dModel: o.d, nHeads: o.heads, dFF: o.dFF, norm: a.norm, placement: a.placement, causal: true,
        qkNorm: a.qkNorm ? 'layernorm' : null, trackMaxLogit: o.trackMaxLogit ?? false, rng: o.rng,
      })));
    }
    // DyT's alpha starts at 0.5 (Zhu et al. 2025's default for non-LLM models).
    this.finalNorm = a.finalNorm ? this.registerModule('final_norm', makeNorm(a.norm === 'dyt' ? 'dyt' : 'layernorm', o.d, { alphaInit: 0.5 })) : null;
    this.head = this.registerModule('head', new Linear(o.d, o.vocabOut, { rng: o.rng }));
  }

  /** tokens `[B * T]` (row-major) -> logits `[B, T, vocabOut]`. */
  forward(tokens: Int32Array, batch: number, length: number): Tensor {
    let h = add(this.embed.forward(tokens, [batch, length]), sliceRows(this.param('pos')!, length));
    for (const b of this.blocks) h = b.forward(h);
    if (this.finalNorm) h = this.finalNorm.forward(h);
    return this.head.forward(h);
  }

  /** The largest attention logit of the last forward, over all blocks (needs `trackMaxLogit`). */
  maxLogit(): number {
    let m = -Infinity;
    for (const b of this.blocks) if (b.selfAttn.maxLogit > m) m = b.selfAttn.maxLogit;
    return m;
  }
}

/** The first `n` rows of a `[L, d]` parameter (positions of a shorter sequence). */
function sliceRows(p: Tensor, n: number): Tensor {
  return n === p.shape[0] ? p : slice(p, 0, 0, n);
}
