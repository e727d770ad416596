/**
 * The normkit models the step benchmarks train (bench/train-steps.ts beside
 * TensorFlow.js, bench/steady-steps.ts in steady state), built against a
 * given normkit module so that steady-steps can load another build's.
 */
import type * as NK from '../src/index.js';

type Nk = typeof NK;
type T = NK.Tensor;

/** A model's trainable parameters and a closure computing its loss on a fixed batch. */
export interface BenchModel { params: T[]; loss: () => T }

/** Deterministic labels: i * 7 mod k. */
export const labels = (n: number, k: number): number[] => Array.from({ length: n }, (_, i) => (i * 7) % k);

/** MLP 784-100-100-10 with BatchNorm before each ReLU, batch 32. */
export function mlpBn(nk: Nk): BenchModel {
  const rng = new nk.Rng(1);
  const m = new nk.nn.Sequential(new nk.nn.Linear(784, 100, { rng }), new nk.BatchNorm1d(100), new nk.nn.ReLU(),
    new nk.nn.Linear(100, 100, { rng }), new nk.BatchNorm1d(100), new nk.nn.ReLU(), new nk.nn.Linear(100, 10, { rng }));
  const x = nk.rand([32, 784], { rng });
  const y = labels(32, 10);
  return { params: m.parameters(), loss: () => nk.F.crossEntropy(m.forward(x), y) };
}

/** `depth` Pre-LN blocks (4 heads, FFN 4d, causal) over an embedding of 64 tokens, batch B x T, a linear head. */
export function preLn(nk: Nk, d: number, depth: number, B: number, T: number, vocab = 64): BenchModel {
  const rng = new nk.Rng(1);
  const emb = new nk.nn.Embedding(vocab, d, { rng });
  const blocks = Array.from({ length: depth }, () => new nk.nn.TransformerBlock({ dModel: d, nHeads: 4, dFF: 4 * d, norm: 'layernorm', placement: 'pre', causal: true, rng }));
  const ln = new nk.LayerNorm([d]);
  const head = new nk.nn.Linear(d, vocab, { rng });
  const tokens = Int32Array.from({ length: B * T }, (_, i) => (i * 13) % vocab);
  const y = labels(B * T, vocab);
  const params = [...emb.parameters(), ...blocks.flatMap((b) => b.parameters()), ...ln.parameters(), ...head.parameters()];
  return {
    params,
    loss: () => {
      let h = emb.forward(tokens, [B, T]);
      for (const b of blocks) h = b.forward(h);
      return nk.F.crossEntropy(nk.reshape(head.forward(ln.forward(h)), [B * T, vocab]), y);
    },
  };
}

/** 3 x (conv 3x3 16 channels without bias, BatchNorm2d, ReLU), 2x2 max-pools after the first two, linear 784 -> 10; batch 32 of 1x28x28. */
export function cnnBn(nk: Nk): BenchModel {
  const rng = new nk.Rng(1);
  const layers: NK.nn.UnaryModule[] = [];
  for (let i = 0; i < 3; i++) {
    layers.push(new nk.nn.Conv2d(i === 0 ? 1 : 16, 16, 3, { padding: 1, bias: false, rng }), new nk.BatchNorm2d(16), new nk.nn.ReLU());
    if (i < 2) layers.push(new nk.nn.MaxPool2d(2));
  }
  const m = new nk.nn.Sequential(...layers, new nk.nn.Flatten(), new nk.nn.Linear(16 * 7 * 7, 10, { rng }));
  const x = nk.rand([32, 1, 28, 28], { rng });
  const y = labels(32, 10);
  return { params: m.parameters(), loss: () => nk.F.crossEntropy(m.forward(x), y) };
}
