/**
 * Dropout through the public API and its mask kernel alone, over 1M floats
 * (`node --experimental-wasm-relaxed-simd dist/bench/dropout.js [--dist <other build's dist>]`
 * after `npm run build`): fastest and median of 30 calls in `tidy`. With
 * `--dist` the other build is timed instead of this one, in this process
 * alone: compare builds in separate, alternated processes (two builds in one
 * process timed identical code up to 1.5x apart on this host). Not a test.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const at = process.argv.indexOf('--dist');
const dist = at > 0 ? resolve(process.argv[at + 1]!) : resolve(new URL('..', import.meta.url).pathname);
const nk = (await import(pathToFileURL(resolve(dist, 'src/index.js')).href)) as typeof import('../src/index.js');
const { dropoutMask } = (await import(pathToFileURL(resolve(dist, 'src/kernels/js/dropout.js')).href)) as typeof import('../src/kernels/js/dropout.js');

const n = 1 << 20;
function time(fn: () => void): string {
  const t: number[] = [];
  for (let i = 0; i < 5; i++) fn();
  for (let i = 0; i < 30; i++) { const t0 = performance.now(); fn(); t.push(performance.now() - t0); }
  t.sort((a, b) => a - b);
  return `fastest ${t[0]!.toFixed(2)} ms, median ${t[15]!.toFixed(2)} ms`;
}
const x = nk.randn([n]);
const rng = new nk.Rng(1);
const mask = nk.zeros([n]).data;
const state = new Int32Array([1, 2, 3, 4]);
console.log(`${dist} (${nk.getBackend()}${nk.wasmInfo().relaxedSimd ? ', relaxed SIMD' : ''})`);
console.log(`dropout(x, 0.1) over ${n} floats: ${time(() => nk.tidy(() => { nk.dropout(x, 0.1, true, rng); }))}`);
console.log(`its mask kernel alone: ${time(() => dropoutMask(mask, state, 0.1, 1 / 0.9))}`);
