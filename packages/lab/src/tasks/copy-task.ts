/**
 * Training a `DecoderLM` on the causal copy task (data/sequences.ts
 * `causalCopyBatch`), shared by the transformer-placement and qk-norm
 * experiments: Adam (0.9, 0.98), a constant learning rate after an optional
 * linear warm-up over 10% of the steps, fresh random batches every step (so
 * the training loss is also a test loss), the loss scored only on the copied
 * half, and at the end the copy accuracy (next-token argmax, teacher forcing)
 * on 512 fresh sequences.
 */
import { Rng, noGrad, tidy, type Tensor } from 'normkit';
import { Adam } from 'normkit/optim';
import { linearWarmup } from 'normkit/optim/schedules';
import { crossEntropy, reshape, slice } from 'normkit/functional';
import { Module } from 'normkit/nn';
import { causalCopyBatch, type TokenBatch } from '../data/sequences.js';
import { DECODER_ARCH, DecoderLM, type DecoderVariant } from '../models/decoder-lm.js';
import { finiteStep, stepLoop } from '../train-utils.js';

/** Sizes of the copy task and its model. */
export interface CopySizes {
  /** Tokens to copy (sequence length 2n) and vocabulary. */
  nTokens: number;
  vocab: number;
  d: number;
  heads: number;
  dFF: number;
  batch: number;
  steps: number;
}

export const COPY_BETAS: [number, number] = [0.9, 0.98];
/** Warm-up length of the `-warmup` variants: 10% of the steps. */
export const warmupSteps = (steps: number): number => Math.max(1, Math.round(0.1 * steps));

/** A fresh model for a variant (the seed fixes every weight). */
export function copyModel(s: CopySizes, variant: DecoderVariant, depth: number, seed: number, trackMaxLogit = false): DecoderLM {
  return new DecoderLM({ vocabIn: s.vocab + 1, vocabOut: s.vocab, length: 2 * s.nTokens, d: s.d, heads: s.heads, dFF: s.dFF, depth, variant, trackMaxLogit, rng: new Rng(seed) });
}

/** Logits of the scored positions n..2n-1, flattened to `[B * n, vocab]`. */
function scoredLogits(model: DecoderLM, b: TokenBatch, n: number, vocab: number): Tensor {
  const logits = model.forward(b.inputs, b.batch, b.length);
  return reshape(slice(logits, 1, n, 2 * n), [b.batch * n, vocab]);
}

/** The copied tokens (targets at the scored positions), in the order of `scoredLogits`. */
function scoredTargets(b: TokenBatch, n: number): Int32Array {
  const out = new Int32Array(b.batch * n);
  for (let i = 0; i < b.batch; i++) out.set(b.targets.subarray(i * b.length + n, (i + 1) * b.length), i * n);
  return out;
}

/** Cross-entropy of the copy on one batch (what the model is trained on). */
export function copyLoss(model: DecoderLM, b: TokenBatch, s: CopySizes): Tensor {
  return crossEntropy(scoredLogits(model, b, s.nTokens, s.vocab), scoredTargets(b, s.nTokens));
}

/** Fraction of copied tokens predicted right on `sequences` fresh sequences (seeded). */
export function copyAccuracy(model: DecoderLM, s: CopySizes, seed: number, sequences = 512): number {
  const rng = new Rng(seed);
  let ok = 0;
  let total = 0;
  for (let done = 0; done < sequences; done += 64) {
    tidy(() => { // the batch's tensors go back to the backend at once
      const b = causalCopyBatch(rng, Math.min(64, sequences - done), s.nTokens, s.vocab);
      const logits = noGrad(() => scoredLogits(model, b, s.nTokens, s.vocab)).data;
      const y = scoredTargets(b, s.nTokens);
      for (let i = 0; i < y.length; i++) {
        let best = 0;
        for (let c = 1; c < s.vocab; c++) if (logits[i * s.vocab + c]! > logits[i * s.vocab + best]!) best = c;
        if (best === y[i]) ok++;
      }
      total += y.length;
    });
  }
  return ok / total;
}

/** What one training run of the copy task gives. */
export interface CopyRun {
  losses: number[];
  divergedAt?: number;
  /** Copy accuracy at the end (null when diverged). */
  accuracy: number | null;
  /** The largest attention logit, every `logitEvery` steps (when tracked). */
  maxLogits: number[];
  logitEvery: number;
  stepMs: number;
}

/** Train `variant` at learning rate `lr` for `s.steps` steps; warm-up as the variant says. */
export function trainCopy(o: { s: CopySizes; variant: DecoderVariant; depth: number; lr: number; seed: number; trackMaxLogit?: boolean; progress?: (f: number) => void }): CopyRun {
  const { s } = o;
  const model = copyModel(s, o.variant, o.depth, o.seed, o.trackMaxLogit ?? false);
  const warm = DECODER_ARCH[o.variant].warmup ? warmupSteps(s.steps) : 0;
  const opt = new Adam(model.parameters(), { lr: o.lr, betas: COPY_BETAS, schedule: linearWarmup(warm) });
  const data = new Rng(1000 + o.seed);
  const logitEvery = Math.max(1, Math.round(s.steps / 50));
  const maxLogits: number[] = [];
  const t0 = performance.now();
  const r = stepLoop({
    steps: s.steps,
    step: (i) => {
      const b = causalCopyBatch(data, s.batch, s.nTokens, s.vocab);
      const loss = finiteStep(opt, () => copyLoss(model, b, s));
      if (o.trackMaxLogit && i % logitEvery === 0) maxLogits.push(model.maxLogit());
      return loss;
    },
    progress: o.progress,
  });
  const stepMs = (performance.now() - t0) / Math.max(1, r.losses.length);
  const accuracy = r.divergedAt === undefined ? copyAccuracy(model, s, 5000 + o.seed) : null;
  return { losses: r.losses, divergedAt: r.divergedAt, accuracy, maxLogits, logitEvery, stepMs };
}

/** L2 norm of the gradients of a module's weight matrices (its 2-D parameters). */
export function weightGradNorm(m: Module): number {
  let s = 0;
  for (const [, p] of m.namedParameters()) {
    if (p.ndim !== 2 || !p.grad) continue;
    for (const v of p.grad.data) s += v * v;
  }
  return Math.sqrt(s);
}

/** Per-block weight-gradient norms at initialization (one batch of 16), block 1 = input side. */
export function initGradNorms(s: CopySizes, variant: DecoderVariant, depth: number, seed: number): number[] {
  const model = copyModel(s, variant, depth, seed);
  const b = causalCopyBatch(new Rng(seed * 7919 + depth), 16, s.nTokens, s.vocab);
  copyLoss(model, b, s).backward();
  return model.blocks.map(weightGradNorm);
}
