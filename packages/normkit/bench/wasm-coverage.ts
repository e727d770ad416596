/**
 * Short probe of the WebAssembly GroupNorm/InstanceNorm, spatial BatchNorm
 * and last-axis softmax kernels against their TypeScript versions, on one
 * large shape, each as a ratio to a `dst.set(src)` copy of the same bytes
 * measured in the same run (`node dist/bench/wasm-coverage.js [reps] [name filter]`, after
 * `npm run build`). Every wasm result is first checked against the
 * TypeScript kernel (normwise relative error < 1e-5); figures are medians of
 * `reps` (default 7) calls, each kernel alternating with the copy so drifts of
 * this shared machine hit both. Not a test: never run by `npm test`.
 */
import * as nk from '../src/index.js';
import { groupnormForward, groupnormBackward } from '../src/kernels/js/groupnorm.js';
import { batchnormForwardTrain, batchnormBackward, batchnormForwardEval, batchnormBackwardEval } from '../src/kernels/js/batchnorm.js';
import { softmaxForward, softmaxBackward } from '../src/kernels/js/softmax.js';
import { allocateResident } from '../src/kernels/wasm/loader.js';

const REPS = Number(process.argv[2] ?? 7);
const [N, C, H, W] = [32, 64, 32, 32];
const S = H * W;
const n = N * C * S;

/** A float32 array of n elements: wasm-resident (as allocate() gives under the wasm backend) or on the JS heap. */
function arr(resident: boolean, fill?: (i: number) => number): Float32Array {
  const a = resident ? allocateResident(n) : new Float32Array(n);
  if (!a) throw new Error('could not allocate a resident tensor');
  if (fill) for (let i = 0; i < n; i++) a[i] = fill(i);
  return a;
}

const rng = new nk.Rng(1);
const xs = Float32Array.from({ length: n }, () => rng.normal() + 3);
const gs = Float32Array.from({ length: n }, () => rng.normal());
const w = Float32Array.from({ length: C }, () => 1 + 0.1 * rng.normal());
const b = Float32Array.from({ length: C }, () => 0.1 * rng.normal());
const rv = Float32Array.from({ length: C }, () => 0.5 + Math.abs(rng.normal()));

function median(v: number[]): number {
  const s = [...v].sort((a, c) => a - c);
  return s[s.length >> 1]!;
}

function relErr(a: Float32Array, r: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num = Math.max(num, Math.abs(a[i]! - r[i]!)); den = Math.max(den, Math.abs(r[i]!)); }
  return den > 0 ? num / den : num;
}

const src = new Float32Array(n).fill(1), dst = new Float32Array(n);

/** Median ms of `fn` and of the copy, interleaved. */
function time(fn: () => void): { ms: number; copy: number } {
  fn(); // warm-up (and JIT)
  const t: number[] = [], c: number[] = [];
  for (let r = 0; r < REPS; r++) {
    let t0 = performance.now();
    dst.set(src);
    c.push(performance.now() - t0);
    t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return { ms: median(t), copy: median(c) };
}

interface Case { name: string; bytes: number; run: (resident: boolean) => { fn: () => void; out: Float32Array } }

/** Inputs per backend: resident copies of x and dout for wasm. */
function inputs(resident: boolean) {
  return { x: arr(resident, (i) => xs[i]!), g: arr(resident, (i) => gs[i]!) };
}

const cases: Case[] = [];
for (const [label, G] of [['GroupNorm(32)', 32], ['InstanceNorm', C], ['GroupNorm(1)', 1]] as const) {
  cases.push({ name: `${label} fwd`, bytes: 8, run: (res) => {
    const { x } = inputs(res), out = arr(res);
    const m = new Float64Array(N * G), r = new Float64Array(N * G);
    return { fn: () => groupnormForward(out, m, r, x, w, b, N, C, S, G, 1e-5), out };
  } });
  cases.push({ name: `${label} bwd`, bytes: 12, run: (res) => {
    const { x, g } = inputs(res), out = arr(res), dx = arr(res);
    const m = new Float64Array(N * G), r = new Float64Array(N * G);
    groupnormForward(out, m, r, x, w, b, N, C, S, G, 1e-5);
    const dw = new Float32Array(C), db = new Float32Array(C);
    return { fn: () => groupnormBackward(dx, dw, db, g, x, w, m, r, N, C, S, G), out: dx };
  } });
}
cases.push({ name: 'BatchNorm train fwd', bytes: 8, run: (res) => {
  const { x } = inputs(res), out = arr(res), m = new Float64Array(C), r = new Float64Array(C);
  return { fn: () => batchnormForwardTrain(out, m, r, x, w, b, N, C, S, 1e-5), out };
} });
cases.push({ name: 'BatchNorm train bwd', bytes: 12, run: (res) => {
  const { x, g } = inputs(res), out = arr(res), dx = arr(res), m = new Float64Array(C), r = new Float64Array(C);
  batchnormForwardTrain(out, m, r, x, w, b, N, C, S, 1e-5);
  const dw = new Float32Array(C), db = new Float32Array(C);
  return { fn: () => batchnormBackward(dx, dw, db, g, x, w, m, r, N, C, S), out: dx };
} });
cases.push({ name: 'BatchNorm eval fwd', bytes: 8, run: (res) => {
  const { x } = inputs(res), out = arr(res);
  return { fn: () => batchnormForwardEval(out, x, b, rv, w, b, N, C, S, 1e-5), out };
} });
cases.push({ name: 'BatchNorm eval bwd', bytes: 12, run: (res) => {
  const { x, g } = inputs(res), dx = arr(res);
  const m = Float64Array.from(b), r = Float64Array.from(rv, (v) => 1 / Math.sqrt(v + 1e-5));
  const dw = new Float32Array(C), db = new Float32Array(C);
  return { fn: () => batchnormBackwardEval(dx, dw, db, g, x, w, m, r, N, C, S), out: dx };
} });
// softmax over the last axis of the same elements viewed as [N*C*H, W]
const rows = N * C * H;
for (const log of [false, true]) {
  const label = log ? 'log-softmax' : 'softmax';
  cases.push({ name: `${label} fwd`, bytes: 8, run: (res) => {
    const { x } = inputs(res), out = arr(res);
    return { fn: () => softmaxForward(out, x, rows, W, 1, log), out };
  } });
  cases.push({ name: `${label} bwd`, bytes: 12, run: (res) => {
    const { x, g } = inputs(res), y = arr(res), dx = arr(res);
    softmaxForward.js(y, x, rows, W, 1, log);
    return { fn: () => softmaxBackward(dx, g, y, rows, W, 1, log), out: dx };
  } });
}

console.log(`shape [${N}, ${C}, ${H}, ${W}] float32 (${(n * 4 / 2 ** 20).toFixed(0)} MiB per array), median of ${REPS}; softmax over the last axis (rows of ${W})`);
console.log('| op | bytes/elt | copy ms | TS ms | wasm ms | TS x copy | wasm x copy | speed-up |');
console.log('|---|---|---|---|---|---|---|---|');
for (const c of cases) {
  if (process.argv[3] && !c.name.includes(process.argv[3])) continue;
  nk.setBackend('js');
  const js = c.run(false);
  const tj = time(js.fn);
  nk.setBackend('wasm');
  const wa = c.run(true);
  const tw = time(wa.fn);
  const e = relErr(wa.out, js.out);
  if (!(e < 1e-5)) throw new Error(`${c.name}: wasm result differs from the TypeScript kernel (relative error ${e})`);
  const copy = median([tj.copy, tw.copy]);
  console.log(`| ${c.name} | ${c.bytes} | ${copy.toFixed(2)} | ${tj.ms.toFixed(2)} | ${tw.ms.toFixed(2)} | ${(tj.ms / tj.copy).toFixed(1)} | ${(tw.ms / tw.copy).toFixed(2)} | ${(tj.ms / tw.ms).toFixed(1)}x |`);
}
