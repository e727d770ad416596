/**
 * Normalization through the public API, called the way users call it
 * (`npm run bench:api -w normkit` after `npm run build`): Tensors in, Tensors
 * out, on the default (wasm) backend, at 16384 x 1024 float32, each figure a
 * ratio to a memory copy of the same bytes (`dst.set(src)`) measured in the
 * same run. Two loops per row:
 *
 * - `plain`: the result is dropped and left to the garbage collector, as a
 *   first loop of a new user is written;
 * - `tidy`: each call inside `nk.tidy`, so the output's block goes back to the
 *   backend at once (what the lab's training loops do).
 *
 * A last reference row times `src.slice()`, the same copy into a fresh array:
 * the cost of fresh memory pages that every plain-loop output pays (no
 * JavaScript library can reuse an output the caller dropped within one
 * synchronous loop: finalizers run only between tasks).
 *
 * Not a test: never run by `npm test`.
 */
import * as nk from '../src/index.js';

const N = 16384, C = 1024;
const args = process.argv.slice(2);
const CALLS = args.includes('--quick') ? 10 : 30;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median ms of `calls` consecutive calls (after 3 warm-up calls), one synchronous loop as a user writes it. */
function time(fn: () => void, calls = CALLS): number {
  for (let i = 0; i < 3; i++) fn();
  const xs: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    fn();
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

const src = new Float32Array(N * C).map((_, i) => Math.sin(i * 0.37) * 3 + 1);
const dst = new Float32Array(N * C);
const copyMs = time(() => dst.set(src));
const grad = nk.tensor(new Float32Array(N * C).fill(1e-3), [N, C]);
const w = nk.ones([C], { requiresGrad: true });
const b = nk.zeros([C], { requiresGrad: true });
const fromUser = nk.tensor(src, [N, C]);
const random = nk.randn([N, C]);
const bn = new nk.BatchNorm1d(C);
const xg = nk.tensor(src, [N, C], { requiresGrad: true });
/** Set while the tidy loop of a row runs. */
let activeTidy: unknown = null;

const rows: [string, () => void][] = [
  ['F.layerNorm(x, [C]), x = nk.tensor(Float32Array)', () => { nk.layerNorm(fromUser, [C]); }],
  ['F.layerNorm(x, [C]), x = nk.randn', () => { nk.layerNorm(random, [C]); }],
  ['F.rmsNorm(x, [C]), x = nk.randn', () => { nk.rmsNorm(random, [C]); }],
  ['BatchNorm1d(C) training forward', () => { bn.forward(random); }],
  ['F.layerNorm(x, [C], w, b).backward(g), grads reset', () => {
    // plain: `t.grad = null`; in tidy the old gradients are disposed first, as zeroGrad() does
    for (const t of [xg, w, b]) { if (nk.tidy === activeTidy) t.grad?.dispose(); t.grad = null; }
    nk.layerNorm(xg, [C], w, b).backward(grad);
  }],
];

console.log(`public API at ${N}x${C} float32; copy ${copyMs.toFixed(2)} ms (median of ${CALLS}; each row's ratio uses a copy timed just before it)`);
// All tidy loops first: a plain loop leaves its outputs' blocks to the garbage
// collector, whose finalizers never run in this synchronous script, so after
// it the wasm memory is full and later rows would measure the fallback path.
const tidyRatio = new Map<string, number>();
activeTidy = nk.tidy;
// each ratio divides by a copy timed just before the row: the machine's speed drifts between rows
const copyNow = (): number => time(() => dst.set(src));
for (const [name, fn] of rows) { const c = copyNow(); tidyRatio.set(name, time(() => nk.tidy(fn)) / c); }
activeTidy = null;
console.log('| call | in tidy (x copy) | plain loop (x copy) |');
console.log('|---|---|---|');
for (const [name, fn] of rows) { const c = copyNow(); console.log(`| ${name} | ${tidyRatio.get(name)!.toFixed(2)}x | ${(time(fn) / c).toFixed(2)}x |`); }
// What any call that returns a fresh array pays in a loop that drops it: the
// same copy into a new Float32Array each time (fresh pages from the OS, as
// every plain-loop output above gets), in plain JavaScript.
let keep: Float32Array | null = null;
const copyRef = copyNow();
const freshMs = time(() => { keep = src.slice(); });
void keep;
console.log(`| (reference) \`src.slice()\`: the copy into a fresh array | - | ${(freshMs / copyRef).toFixed(2)}x |`);

// one small call: per-call overhead
const x1 = nk.randn([1, 768]);
const w1 = nk.ones([768]), b1 = nk.zeros([768]);
// median and fastest of 20 batches of 20,000 calls, after 50,000 warm-up calls (the
// machine's noise moves the median by up to ~40%; the fastest batch is steadier)
const perCall = (fn: () => void): string => {
  for (let i = 0; i < 50000; i++) fn();
  const xs: number[] = [];
  for (let r = 0; r < 20; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 20000; i++) fn();
    xs.push(((performance.now() - t0) / 20000) * 1000);
  }
  return `${median(xs).toFixed(2)} us (fastest batch ${Math.min(...xs).toFixed(2)})`;
};
console.log(`one 1x768 F.layerNorm(x, [768], w, b) call: ${perCall(() => { nk.noGrad(() => nk.layerNorm(x1, [768], w1, b1)); })} plain, `
  + `${perCall(() => { nk.tidy(() => { nk.noGrad(() => nk.layerNorm(x1, [768], w1, b1)); }); })} in tidy`);
