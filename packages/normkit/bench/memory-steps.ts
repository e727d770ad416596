/**
 * Memory over a long training run (`node --expose-gc dist/bench/memory-steps.js
 * [steps]` after `npm run build`): a small Pre-LN Transformer whose FFN and
 * qkv activations are large enough (>= 16,384 floats) to live in wasm
 * memory, trained in one synchronous loop as the lab does. Prints the wasm
 * bytes in use, the wasm memory's size and the JS heap after forced garbage
 * collections at a few steps. It measures a known problem (docs/BENCHMARKS.md):
 * dead tensors' wasm blocks are freed by a FinalizationRegistry, whose
 * callbacks cannot run until the loop yields to the event loop, so a
 * synchronous loop grows wasm memory up to the resident cap.
 */
import * as nk from '../src/index.js';
import { wasmMemoryUsage } from '../src/kernels/wasm/loader.js';

const steps = Number(process.argv[2] ?? 2000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const d = 32, T = 16, B = 16, vocab = 17;
const rng = new nk.Rng(1);
const emb = new nk.nn.Embedding(vocab, d, { rng });
const blocks = [0, 1].map(() => new nk.nn.TransformerBlock({ dModel: d, nHeads: 2, dFF: 128, causal: true, rng }));
const head = new nk.nn.Linear(d, vocab, { rng });
const params = [...emb.parameters(), ...blocks.flatMap((b) => b.parameters()), ...head.parameters()];
const opt = new nk.optim.Adam(params, { lr: 1e-3 });
const tokens = Int32Array.from({ length: B * T }, (_, i) => (i * 7) % vocab);
const y = Array.from(tokens, (t) => (t + 1) % vocab);
const mb = (b: number) => (b / 2 ** 20).toFixed(1);
console.log('step | wasm in use (MiB) | wasm memory (MiB) | JS heap (MiB) | yielded to the event loop before reading');
for (let step = 1; step <= steps; step++) {
  opt.zeroGrad();
  let h = emb.forward(tokens, [B, T]);
  for (const b of blocks) h = b.forward(h);
  const loss = nk.F.crossEntropy(nk.reshape(head.forward(h), [B * T, vocab]), y);
  loss.backward();
  opt.step();
  if ([10, 100, 500, 1000, steps].includes(step)) {
    gc();
    const w1 = wasmMemoryUsage();
    await new Promise((r) => setTimeout(r, 0)); // let the FinalizationRegistry's callbacks run
    gc();
    await new Promise((r) => setTimeout(r, 0));
    const w2 = wasmMemoryUsage();
    console.log(`${step} | ${mb(w1.usedBytes)} -> ${mb(w2.usedBytes)} | ${mb(w2.totalBytes)} | ${mb(process.memoryUsage().heapUsed)} | yes`);
  }
}
