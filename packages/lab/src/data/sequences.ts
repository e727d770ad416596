/**
 * Seeded synthetic sequence tasks for the lab: the classic benchmarks used to
 * study recurrent and attention models (copy memory, adding problem,
 * reversal, sorting) and a tiny character language model over generated
 * text. Everything is drawn from an `Rng`, so a seed fixes every batch.
 *
 * Layout: token batches are row-major `[batch, length]` Int32Arrays;
 * real-valued inputs are `[batch, length, features]` Float32Arrays.
 */
import { Rng } from 'normkit';

/** A batch of token sequences with per-position targets. */
export interface TokenBatch {
  /** `[batch, length]` input token ids. */
  inputs: Int32Array;
  /** `[batch, length]` target token ids. */
  targets: Int32Array;
  /** `[batch, length]` 1 where the position is scored, 0 where it is ignored. */
  mask: Float32Array;
  batch: number;
  length: number;
  /** Number of distinct token ids (inputs and targets). */
  vocab: number;
}

function checkPositive(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

/** `[batch, length]` uniform token ids from `vocab` symbols, row by row (arguments checked). */
function randomTokens(rng: Rng, batch: number, length: number, vocab: number): Int32Array {
  checkPositive('batch', batch);
  checkPositive('length', length);
  if (!Number.isInteger(vocab) || vocab < 2) throw new RangeError(`vocab must be an integer >= 2, got ${vocab}`);
  const tokens = new Int32Array(batch * length);
  for (let i = 0; i < tokens.length; i++) tokens[i] = rng.int(vocab);
  return tokens;
}

/**
 * Reversal: a random sequence of `length` tokens from `vocab` symbols; the
 * target at position i is the input at position length-1-i. Every position
 * is scored. Solving it requires attention (or memory) across the sequence.
 */
export function reversalBatch(rng: Rng, batch: number, length: number, vocab: number): TokenBatch {
  const inputs = randomTokens(rng, batch, length, vocab);
  const targets = new Int32Array(batch * length);
  for (let b = 0; b < batch; b++) {
    const o = b * length;
    for (let t = 0; t < length; t++) targets[o + t] = inputs[o + length - 1 - t]!;
  }
  return { inputs, targets, mask: new Float32Array(batch * length).fill(1), batch, length, vocab };
}

/**
 * Sorting: a random sequence of `length` tokens from `vocab` symbols; the
 * target is the same multiset in ascending order. Every position is scored.
 */
export function sortingBatch(rng: Rng, batch: number, length: number, vocab: number): TokenBatch {
  const inputs = randomTokens(rng, batch, length, vocab);
  const targets = new Int32Array(batch * length);
  for (let b = 0; b < batch; b++) {
    const o = b * length;
    const sorted = inputs.slice(o, o + length).sort();
    targets.set(sorted, o);
  }
  return { inputs, targets, mask: new Float32Array(batch * length).fill(1), batch, length, vocab };
}

/**
 * Copy memory task (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016):
 * `nSymbols` random symbols from 1..`categories`, then `delay` blanks (0),
 * whose last one is replaced by the delimiter `categories + 1`, then
 * `nSymbols` blanks during which the model must reproduce the symbols.
 * Total length `2 * nSymbols + delay`; vocab `categories + 2`. Only the last
 * `nSymbols` positions are scored (mask), so the baseline of guessing is
 * log(categories) nats per scored position.
 */
export function copyBatch(rng: Rng, batch: number, nSymbols: number, delay: number, categories: number): TokenBatch {
  checkPositive('batch', batch);
  checkPositive('nSymbols', nSymbols);
  checkPositive('delay', delay);
  if (!Number.isInteger(categories) || categories < 2) throw new RangeError(`categories must be an integer >= 2, got ${categories}`);
  const length = 2 * nSymbols + delay;
  const inputs = new Int32Array(batch * length);
  const targets = new Int32Array(batch * length);
  const mask = new Float32Array(batch * length);
  for (let b = 0; b < batch; b++) {
    const o = b * length;
    for (let t = 0; t < nSymbols; t++) {
      const s = 1 + rng.int(categories);
      inputs[o + t] = s;
      targets[o + nSymbols + delay + t] = s;
      mask[o + nSymbols + delay + t] = 1;
    }
    inputs[o + nSymbols + delay - 1] = categories + 1;
  }
  return { inputs, targets, mask, batch, length, vocab: categories + 2 };
}

/** A batch of the adding problem. */
export interface AddingBatch {
  /** `[batch, length, 2]`: a value in [0, 1) and a 0/1 marker per step. */
  inputs: Float32Array;
  /** `[batch]`: the sum of the two marked values, in [0, 2). */
  targets: Float32Array;
  batch: number;
  length: number;
}

/**
 * Adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015): each step
 * carries a uniform value and a marker; exactly two steps are marked, one in
 * each half of the sequence, and the target is the sum of their values. The
 * constant prediction 1 has mean squared error 1/6 ~ 0.167, the baseline a
 * model must beat to have learned anything.
 */
export function addingBatch(rng: Rng, batch: number, length: number): AddingBatch {
  checkPositive('batch', batch);
  if (!Number.isInteger(length) || length < 2) throw new RangeError(`length must be an integer >= 2, got ${length}`);
  const inputs = new Float32Array(batch * length * 2);
  const targets = new Float32Array(batch);
  const half = Math.floor(length / 2);
  for (let b = 0; b < batch; b++) {
    const o = b * length * 2;
    for (let t = 0; t < length; t++) inputs[o + 2 * t] = rng.uniform();
    const i = rng.int(half);
    const j = half + rng.int(length - half);
    inputs[o + 2 * i + 1] = 1;
    inputs[o + 2 * j + 1] = 1;
    targets[b] = inputs[o + 2 * i]! + inputs[o + 2 * j]!;
  }
  return { inputs, targets, batch, length };
}

/** A generated text and its character vocabulary. */
export interface CharCorpus {
  text: string;
  /** The distinct characters, sorted; a token id is an index into this list. */
  chars: string[];
  /** `text` as token ids. */
  ids: Int32Array;
}

const SUBJECTS = ['the cat', 'a dog', 'my friend', 'the old man', 'she', 'he', 'the bird', 'a child'];
const VERBS = ['sees', 'likes', 'finds', 'takes', 'wants', 'makes', 'hears', 'knows'];
const OBJECTS = ['the ball', 'a red box', 'some milk', 'the tree', 'a small boat', 'the moon', 'her hat', 'the road'];
const TAILS = ['', ' today', ' at night', ' again', ' in the park', ' slowly'];

/**
 * A tiny character language-model corpus: `sentences` sentences drawn from
 * a small subject-verb-object grammar ("the cat sees a red box today."),
 * so the text has short-range structure (spelling) and longer-range
 * structure (sentence shape) a small model can learn in a few hundred steps.
 */
export function charCorpus(rng: Rng, sentences: number): CharCorpus {
  checkPositive('sentences', sentences);
  const pick = (a: readonly string[]) => a[rng.int(a.length)]!;
  const parts: string[] = [];
  for (let s = 0; s < sentences; s++) parts.push(`${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)}${pick(TAILS)}.`);
  const text = parts.join(' ');
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, i) => [c, i]));
  const ids = new Int32Array(text.length);
  for (let i = 0; i < text.length; i++) ids[i] = index.get(text[i]!)!;
  return { text, chars, ids };
}

/**
 * Next-character prediction windows: `batch` random windows of `length`
 * characters; the target at each position is the following character.
 */
export function charLmBatch(rng: Rng, corpus: CharCorpus, batch: number, length: number): TokenBatch {
  checkPositive('batch', batch);
  checkPositive('length', length);
  if (corpus.ids.length < length + 1) {
    throw new RangeError(`corpus of ${corpus.ids.length} characters is too short for windows of ${length} + 1`);
  }
  const inputs = new Int32Array(batch * length);
  const targets = new Int32Array(batch * length);
  for (let b = 0; b < batch; b++) {
    const start = rng.int(corpus.ids.length - length);
    inputs.set(corpus.ids.subarray(start, start + length), b * length);
    targets.set(corpus.ids.subarray(start + 1, start + length + 1), b * length);
  }
  return { inputs, targets, mask: new Float32Array(batch * length).fill(1), batch, length, vocab: corpus.chars.length };
}

/**
 * Causal copy: the model reads `nTokens` random tokens from `vocab` symbols,
 * a separator (id `vocab`), then must reproduce the tokens, one per step,
 * predicting each next token (a decoder-only language model's task). The
 * full sequence is `[x_1..x_n, SEP, x_1..x_n]`; `inputs` are its first 2n
 * tokens and `targets` the same shifted by one, so position t predicts token
 * t + 1. Only the n positions after the separator are scored (`mask`):
 * positions n..2n-1, whose targets are x_1..x_n. Guessing scores log(vocab)
 * nats per scored position; solving it needs attention to the position n
 * steps back. Input vocabulary: `vocab + 1` ids (tokens and SEP).
 */
export function causalCopyBatch(rng: Rng, batch: number, nTokens: number, vocab: number): TokenBatch {
  const xs = randomTokens(rng, batch, nTokens, vocab);
  const length = 2 * nTokens;
  const inputs = new Int32Array(batch * length);
  const targets = new Int32Array(batch * length);
  const mask = new Float32Array(batch * length);
  for (let b = 0; b < batch; b++) {
    const seq = new Int32Array(length + 1);
    seq.set(xs.subarray(b * nTokens, (b + 1) * nTokens), 0);
    seq[nTokens] = vocab;
    seq.set(xs.subarray(b * nTokens, (b + 1) * nTokens), nTokens + 1);
    inputs.set(seq.subarray(0, length), b * length);
    targets.set(seq.subarray(1), b * length);
    mask.fill(1, b * length + nTokens, (b + 1) * length);
  }
  return { inputs, targets, mask, batch, length, vocab: vocab + 1 };
}
