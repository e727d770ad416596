/**
 * Memory over a long training run (`node --expose-gc dist/bench/memory-steps.js
 * [steps] [tidy|plain]` after `npm run build`): a small Pre-LN Transformer whose FFN and
 * qkv activations are large enough (>= 16,384 floats) to live in wasm
 * memory, trained in one synchronous loop as the lab does. Prints the wasm
 * bytes in use, the wasm memory's size and the JS heap after forced garbage
 * collections at a few steps. `plain` shows the problem of a loop without
 * explicit lifetimes (docs/BENCHMARKS.md): dead forward tensors' wasm blocks
 * are freed by a FinalizationRegistry, whose callbacks cannot run until the
 * loop yields to the event loop, so a synchronous loop grows wasm memory up
 * to the resident cap (backward's own temporaries are freed as it goes).
 * `tidy` (the default) wraps each step in `nk.tidy`, as the lab does.
 */
import * as nk from '../src/index.js';
import { wasmMemoryUsage } from '../src/kernels/wasm/loader.js';

const steps = Number(process.argv[2] ?? 2000);
const mode = process.argv[3] ?? 'tidy';
if (mode !== 'tidy' && mode !== 'plain') throw new Error(`mode must be tidy or plain, got ${mode}`);
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
const trainStep = (): number => {
  opt.zeroGrad();
  let h = emb.forward(tokens, [B, T]);
  for (const b of blocks) h = b.forward(h);
  const loss = nk.F.crossEntropy(nk.reshape(head.forward(h), [B * T, vocab]), y);
  loss.backward();
  opt.step();
  return loss.item();
};
console.log(`mode: ${mode}`);
const t0 = performance.now();
for (let step = 1; step <= steps; step++) {
  if (mode === 'tidy') nk.tidy(trainStep);
  else trainStep();
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
console.log(`${((performance.now() - t0) / steps).toFixed(2)} ms per step (including the measurements)`);
