/**
 * Steady-state training steps through the public API
 * (`node dist/bench/steady-steps.js [--dist <other build's dist>]` after
 * `npm run build`): the MLP 784-100-100-10 with BatchNorm at batch 32, and
 * Pre-LN decoders (d 64, 4 heads, FFN 256) of depth 8 at batch 16 x 8 and of
 * depth 6 at batch 16 x 32 (the lab's copy task size), each step forward,
 * backward and an Adam step inside `nk.tidy`. Prints the median and fastest
 * of the timed steps after a long warm-up: this machine's noise moves a
 * median by up to ~30%, so compare two builds by alternating runs of this
 * script (`--dist` loads another checkout's dist/, e.g. a `git worktree` of
 * an older commit). Not a test: never run by `npm test`.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { mlpBn, preLn, type BenchModel } from './models.js';

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
