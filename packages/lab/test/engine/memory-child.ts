/**
 * Child process of memory-flat.test.ts (run with `node --expose-gc`): trains
 * the lab's decoder-only Transformer on the causal copy task for `steps` steps
 * through `trainCopy`, exactly as transformer-placement does (one synchronous
 * loop; each step in tidy via stepLoop), and prints one JSON line per
 * measurement: the step, wasm bytes in use and the wasm memory's size, and
 * the JS heap in use (the optimizer's moments stay in use: they live in wasm memory), each read right after two forced garbage collections
 * WITHOUT yielding to the event loop (so FinalizationRegistry callbacks cannot
 * have freed anything: what is flat is flat because it was released).
 */
import { memory } from 'normkit';
import { trainCopy, type CopySizes } from '../../src/tasks/copy-task.js';

const steps = Number(process.argv[2] ?? 2000);
const depth = Number(process.argv[3] ?? 1);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
// The lab's Transformer at transformer-placement's sizes (width 64, 4 heads, FFN 128, batch 16, 16 tokens to copy).
const s: CopySizes = { nTokens: 16, vocab: 16, d: 64, heads: 4, dFF: 128, batch: 16, steps };
let next = 0;
const t0 = performance.now();
trainCopy({
  s, variant: 'pre-ln', depth, lr: 1e-3, seed: 1,
  progress: (f) => {
    const step = Math.round(f * steps);
    if (step < next && f < 1) return;
    next = step + 100;
    gc!();
    gc!();
    const w = memory();
    console.log(JSON.stringify({ step, wasmUsed: w.wasmBytesInUse, wasmTotal: w.wasmBytesReserved, heapUsed: process.memoryUsage().heapUsed, ms: performance.now() - t0 }));
  },
});
