/**
 * Steady-state training steps through the public API
 * (`node dist/bench/steady-steps.js [--dist <other build's dist>]` after
 * `npm run build`): the MLP 784-100-100-10 with BatchNorm at batch 32,
 * Pre-LN decoders (d 64, 4 heads, FFN 256) of depth 8 at batch 16 x 8 and of
 * depth 6 at batch 16 x 32 (the lab's copy task size), 4 blocks of d 128 at
 * batch 32 x 64, and the CNN of bench:steps, each step forward, backward and
 * an Adam step inside `nk.tidy`; then LayerNorm forward+backward at
 * 4096 x 768. bench/pytorch-steps.py times the same in PyTorch on one thread. Prints the median and fastest
 * of the timed steps after a long warm-up: this machine's noise moves a
 * median by up to ~30%, so compare two builds by alternating runs of this
 * script (`--dist` loads another checkout's dist/, e.g. a `git worktree` of
 * an older commit). Not a test: never run by `npm test`.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { cnnBn, mlpBn, preLn, type BenchModel } from './models.js';

const at = process.argv.indexOf('--dist');
const entry = at > 0 ? pathToFileURL(resolve(process.argv[at + 1]!, 'src/index.js')).href : '../src/index.js';
const nk = (await import(entry)) as typeof import('../src/index.js');

function adam(m: BenchModel): () => void {
  const opt = new nk.optim.Adam(m.params, { lr: 1e-3 });
  return () => nk.tidy(() => { opt.zeroGrad(); m.loss().backward(); opt.step(); });
}

const runs: [string, () => () => void, number, number][] = [
  ['MLP 784-100-100-10 + BatchNorm, batch 32', () => adam(mlpBn(nk)), 300, 1500],
  ['Pre-LN d64 x8, batch 16 x 8', () => adam(preLn(nk, 64, 8, 16, 8)), 10, 60],
  ['Pre-LN d64 x6, batch 16 x 32', () => adam(preLn(nk, 64, 6, 16, 32)), 5, 30],
  ['Pre-LN d128 x4, batch 32 x 64', () => adam(preLn(nk, 128, 4, 32, 64)), 3, 10],
  ['CNN 3 x (conv 16 + BatchNorm + ReLU), batch 32', () => adam(cnnBn(nk)), 10, 60],
];
// an older build (--dist) may predate wasmInfo
const relaxed = (nk as { wasmInfo?: () => { relaxedSimd: boolean } }).wasmInfo?.().relaxedSimd;
console.log(`normkit ${entry}; backend ${nk.getBackend()}${relaxed === undefined ? '' : relaxed ? ' (relaxed SIMD)' : ' (SIMD only)'}`);
for (const [name, make, warm, reps] of runs) {
  const step = make();
  for (let i = 0; i < warm; i++) step();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    step();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  console.log(`${name}: median ${ms[ms.length >> 1]!.toFixed(2)} ms, fastest ${ms[0]!.toFixed(2)} ms (${reps} steps after ${warm})`);
}

// LayerNorm forward + backward at 4096 x 768 (weight and bias), against a copy of the same bytes
{
  const x = nk.randn([4096, 768], { requiresGrad: true });
  const ln = new nk.LayerNorm([768]);
  const g = nk.randn([4096, 768]);
  const src = new Float32Array(4096 * 768).fill(1), dst = new Float32Array(4096 * 768);
  const med = (f: () => void, reps = 30): number => {
    for (let i = 0; i < 3; i++) f();
    const t: number[] = [];
    for (let i = 0; i < reps; i++) { const t0 = performance.now(); f(); t.push(performance.now() - t0); }
    t.sort((a, b) => a - b);
    return t[t.length >> 1]!;
  };
  const copy = med(() => dst.set(src));
  // the old gradients are disposed first, as zeroGrad() does (x.grad = null alone leaves them to the garbage collector)
  const fb = med(() => nk.tidy(() => { x.grad?.dispose(); x.grad = null; ln.zeroGrad(); ln.forward(x).backward(g); }));
  console.log(`LayerNorm forward+backward 4096x768: ${fb.toFixed(2)} ms (${(fb / copy).toFixed(2)}x a copy of ${copy.toFixed(3)} ms)`);
}
