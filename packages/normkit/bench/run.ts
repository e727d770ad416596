/**
 * The side-by-side benchmark (`npm run bench [-- --quick] [-- --json FILE]`),
 * in one process so every figure can be a ratio to a memory copy of the same
 * bytes measured in the same run:
 *
 *   copy `dst.set(src)`, normkit js, normkit wasm (1 and 2 threads),
 *   onnxruntime-node (1 and 2 threads), TensorFlow.js cpu and wasm,
 *
 * for LayerNorm / RMSNorm / BatchNorm forward and backward, and matmul at the
 * lab's shapes. Every result is checked against a float64 reference before it
 * is timed; the figure is the median of the repeats. Not a test: never run by
 * `npm test`.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { cpus } from 'node:os';
import * as nk from '../src/index.js';
import { gemm } from '../src/kernels/js/gemm.js';
import { layernormForward, layernormBackward } from '../src/kernels/js/layernorm.js';
import { rmsnormForward, rmsnormBackward } from '../src/kernels/js/rmsnorm.js';
import { batchnormForwardTrain, batchnormForwardEval, batchnormBackward } from '../src/kernels/js/batchnorm.js';
import { allocateResident } from '../src/kernels/wasm/loader.js';
import { onnxNormModel, type OnnxNorm } from './onnx-model.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
const REPS = quick ? 5 : 12;

/** One measured row of the table (also read back by bench/table.ts). */
export interface Row {
  op: string;
  shape: string;
  method: string;
  ms: number | null;
  nsPerElement: number | null;
  gbPerS: number | null;
  ratioToCopy: number | null;
  maxError: number | null;
  note?: string;
}
const rows: Row[] = [];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Median ms per call of `fn`, batching calls so one sample lasts >= ~2 ms.
 * Warm-up: calls for at least 20 ms (at least 3), so short calls are timed
 * with their code optimized, as in a training loop; the batch size comes
 * from the warm calls' mean. A synchronous `fn` is called in a plain loop:
 * an `await` per call added a microtask turn to every call (the 1x768 row
 * read 7-8 us for a call that takes 3-4.5 us in a loop, as users call it).
 */
async function time(fn: () => unknown | Promise<unknown>, reps = REPS): Promise<number> {
  const probe = fn();
  const sync = !(probe instanceof Promise);
  if (!sync) await probe;
  let warm = 0;
  const w0 = performance.now();
  while (warm < 3 || performance.now() - w0 < 20) {
    if (sync) fn(); else await fn();
    warm++;
  }
  const once = (performance.now() - w0) / warm;
  const inner = once < 2 ? Math.min(20000, Math.ceil(2 / Math.max(once, 1e-4))) : 1;
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    if (sync) for (let i = 0; i < inner; i++) fn();
    else for (let i = 0; i < inner; i++) await fn();
    samples.push((performance.now() - t) / inner);
  }
  return median(samples);
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

function data(n: number, seed: number, resident: boolean, offset = 0): Float32Array {
  const a = (resident ? allocateResident(n) : null) ?? new Float32Array(n);
  const r = new nk.Rng(seed);
  for (let i = 0; i < n; i++) a[i] = offset + r.normal();
  return a;
}

function record(op: string, N: number, C: number, method: string, ms: number | null, bytesPerElement: number, copyMs: number, err: number | null, note?: string): void {
  const n = N * C;
  rows.push({
    op, shape: `${N}x${C}`, method, ms,
    nsPerElement: ms === null ? null : (ms * 1e6) / n,
    gbPerS: ms === null ? null : (n * bytesPerElement) / (ms * 1e6),
    ratioToCopy: ms === null ? null : ms / copyMs,
    maxError: err, note,
  });
  const f = (v: number | null, d = 2) => (v === null ? '-' : v.toFixed(d));
  const last = rows[rows.length - 1]!;
  console.log(`${op.padEnd(22)} ${last.shape.padEnd(11)} ${method.padEnd(22)} ${f(ms, 3).padStart(9)} ms ${f(last.nsPerElement).padStart(8)} ns/el ${f(last.gbPerS).padStart(7)} GB/s x${f(last.ratioToCopy).padStart(7)} err ${err === null ? '-' : err.toExponential(1)}${note ? '  ' + note : ''}`);
}

// ---------------------------------------------------------------------------
// third parties (loaded lazily; a missing one is reported, not fatal)

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let ort: Any = null;
let tf: Any = null;
let tfWasmReady = false;

async function loadThirdParties(): Promise<void> {
  try { ort = await import('onnxruntime-node'); } catch (e) { console.log(`onnxruntime-node unavailable: ${(e as Error).message}`); }
  try {
    tf = await import('@tensorflow/tfjs');
    const wasmBackend: Any = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    // local files only: no network
    wasmBackend.setWasmPaths({
      'tfjs-backend-wasm.wasm': join(dir, 'dist', 'tfjs-backend-wasm.wasm'),
      'tfjs-backend-wasm-simd.wasm': join(dir, 'dist', 'tfjs-backend-wasm-simd.wasm'),
      'tfjs-backend-wasm-threaded-simd.wasm': join(dir, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm'),
    });
    wasmBackend.setThreadsCount?.(1);
    tfWasmReady = await tf.setBackend('wasm');
    await tf.setBackend('cpu');
  } catch (e) {
    console.log(`TensorFlow.js unavailable: ${(e as Error).message}`);
  }
}

async function tfOn(backend: 'cpu' | 'wasm'): Promise<boolean> {
  if (!tf || (backend === 'wasm' && !tfWasmReady)) return false;
  await tf.setBackend(backend);
  await tf.ready();
  return true;
}

// ---------------------------------------------------------------------------
// normalization benchmarks

type NormOp = 'layernorm' | 'rmsnorm' | 'batchnorm';

async function benchNorm(op: NormOp, N: number, C: number): Promise<void> {
  const n = N * C;
  const eps = 1e-5;
  const big = n >= 1 << 20;
  const xr = data(n, 1, true), gr = data(n, 2, true);
  const xj = Float32Array.from(xr), gj = Float32Array.from(gr);
  const w = data(C, 3, false), b = data(C, 4, false);
  const x64 = Float64Array.from(xr), g64 = Float64Array.from(gr);
  const yr = allocateResident(n) ?? new Float32Array(n), dxr = allocateResident(n) ?? new Float32Array(n);
  const yj = new Float32Array(n), dxj = new Float32Array(n);
  const statN = op === 'batchnorm' ? C : N;
  const mean = new Float64Array(statN), rstd = new Float64Array(statN);
  const dw = new Float32Array(C), db = new Float32Array(C);

  // copy of the same bytes, the physical limit
  const src = data(n, 5, false), dst = new Float32Array(n);
  const copyMs = await time(() => dst.set(src));
  record(`${op} fwd`, N, C, 'copy dst.set(src)', copyMs, 8, copyMs, null);

  // float64 references (normkit's kernels on float64 data are the exact path tested against the plain-loop references)
  const y64 = new Float64Array(n), dx64 = new Float64Array(n), m64 = new Float64Array(statN), r64 = new Float64Array(statN);
  const dw64 = new Float64Array(C), db64 = new Float64Array(C);
  const w64 = Float64Array.from(w), b64 = Float64Array.from(b);
  const rv = new Float32Array(C).fill(1.5), rm = new Float32Array(C).fill(0.25);
  const rv64 = Float64Array.from(rv), rm64 = Float64Array.from(rm);
  const fwd = (out: nk.TypedArray, x: nk.TypedArray, m: Float64Array, r: Float64Array, W: nk.TypedArray, B: nk.TypedArray, js: boolean) => {
    if (op === 'layernorm') (js ? layernormForward.js : layernormForward)(out, m, r, x, W, B, N, C, eps);
    else if (op === 'rmsnorm') (js ? rmsnormForward.js : rmsnormForward)(out, r, x, W, N, C, eps);
    else (js ? batchnormForwardTrain.js : batchnormForwardTrain)(out, m, r, x, W, B, N, C, 1, eps);
  };
  const bwd = (dx: nk.TypedArray, g: nk.TypedArray, x: nk.TypedArray, m: Float64Array, r: Float64Array, W: nk.TypedArray, DW: nk.TypedArray, DB: nk.TypedArray, js: boolean) => {
    if (op === 'layernorm') (js ? layernormBackward.js : layernormBackward)(dx, DW, DB, g, x, W, m, r, N, C);
    else if (op === 'rmsnorm') (js ? rmsnormBackward.js : rmsnormBackward)(dx, DW, g, x, W, r, N, C);
    else (js ? batchnormBackward.js : batchnormBackward)(dx, DW, DB, g, x, W, m, r, N, C, 1);
  };
  fwd(y64, x64, m64, r64, w64, b64, true);
  bwd(dx64, g64, x64, m64, r64, w64, dw64, db64, true);

  const methods: { name: string; run: () => void; y: Float32Array; dx: Float32Array; x: Float32Array; g: Float32Array; threads: number; js: boolean }[] = [
    { name: 'normkit js', run: () => undefined, y: yj, dx: dxj, x: xj, g: gj, threads: 1, js: true },
    { name: 'normkit wasm 1T', run: () => undefined, y: yr, dx: dxr, x: xr, g: gr, threads: 1, js: false },
    { name: 'normkit wasm 2T', run: () => undefined, y: yr, dx: dxr, x: xr, g: gr, threads: 2, js: false },
  ];
  const timed: { fwd: number[]; bwd: number[] } = { fwd: [], bwd: [] };
  for (const mth of methods) {
    if (mth.threads !== nk.getThreads()) await nk.setThreads(mth.threads);
    nk.setBackend(mth.js ? 'js' : 'wasm');
    fwd(mth.y, mth.x, mean, rstd, w, b, mth.js);
    const errF = maxAbs(mth.y, y64);
    if (!(errF < 1e-3)) throw new Error(`${op} ${N}x${C} ${mth.name}: forward differs from the float64 reference by ${errF}`);
    const fm = await time(() => fwd(mth.y, mth.x, mean, rstd, w, b, mth.js), big && mth.js ? Math.min(REPS, 5) : REPS);
    record(`${op} fwd`, N, C, mth.name, fm, 8, copyMs, errF);
    timed.fwd.push(fm);
    dw.fill(0); db.fill(0);
    bwd(mth.dx, mth.g, mth.x, mean, rstd, w, dw, db, mth.js);
    const errB = Math.max(maxAbs(mth.dx, dx64), maxAbs(dw, dw64) / Math.max(1, Math.sqrt(N)));
    if (!(errB < 1e-2)) throw new Error(`${op} ${N}x${C} ${mth.name}: backward differs from the float64 reference by ${errB}`);
    const bm = await time(() => bwd(mth.dx, mth.g, mth.x, mean, rstd, w, dw, db, mth.js), big && mth.js ? Math.min(REPS, 5) : REPS);
    record(`${op} bwd`, N, C, mth.name, bm, 12, copyMs, errB, 'ratio: to the copy of 8 B/el; the bwd moves 12 B/el');
  }
  await nk.setThreads(1);
  nk.setBackend('wasm');

  // onnxruntime-node, inference only (no backward)
  if (ort) {
    const onnxOp: OnnxNorm = op === 'layernorm' ? 'LayerNormalization' : op === 'rmsnorm' ? 'RMSNormalization' : 'BatchNormalization';
    const y64e = new Float64Array(n);
    if (op === 'batchnorm') batchnormForwardEval.js(y64e, x64, rm64, rv64, w64, b64, N, C, 1, eps);
    const want = op === 'batchnorm' ? y64e : y64;
    for (const threads of [1, 2]) {
      try {
        const bytes = onnxNormModel(onnxOp, N, C, eps, { weight: w, bias: b, mean: rm, variance: rv });
        const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' });
        const feed = { X: new ort.Tensor('float32', xj, [N, C]) };
        const out = (await s.run(feed)).Y.data as Float32Array;
        const err = maxAbs(out, want);
        if (!(err < 1e-3)) throw new Error(`result differs from the float64 reference by ${err}`);
        const ms = await time(() => s.run(feed));
        record(`${op} fwd`, N, C, `onnxruntime ${threads}T`, ms, 8, copyMs, err, op === 'batchnorm' ? 'eval mode (running stats)' : undefined);
        await s.release?.();
      } catch (e) {
        record(`${op} fwd`, N, C, `onnxruntime ${threads}T`, null, 8, copyMs, null, `failed: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }

  // TensorFlow.js: slow (hundreds of x copy), so only up to 4096x768, few repeats
  if (tf && n <= 4096 * 768) {
    for (const backend of ['cpu', 'wasm'] as const) {
      if (!(await tfOn(backend))) continue;
      const X = tf.tensor2d(xj, [N, C]);
      const W = tf.tensor1d(w), B = tf.tensor1d(b);
      let f: () => Any;
      if (op === 'layernorm') {
        const layer = tf.layers.layerNormalization({ axis: -1, epsilon: eps, betaInitializer: 'zeros', gammaInitializer: 'ones' });
        layer.build([N, C]);
        layer.setWeights([W, B]);
        f = () => layer.apply(X);
      } else if (op === 'rmsnorm') {
        f = () => tf.tidy(() => X.mul(tf.rsqrt(X.square().mean(-1, true).add(eps))).mul(W));
      } else {
        f = () => tf.tidy(() => {
          const { mean: mu, variance } = tf.moments(X, 0);
          return tf.batchNorm(X, mu, variance, B, W, eps);
        });
      }
      const y = f();
      const err = maxAbs(await y.data(), y64);
      y.dispose();
      if (!(err < 1e-3)) {
        record(`${op} fwd`, N, C, `tfjs ${backend}`, null, 8, copyMs, err, 'result differs from the reference');
      } else {
        const ms = await time(() => { const t = f(); t.dataSync(); t.dispose(); }, Math.min(REPS, 3));
        record(`${op} fwd`, N, C, `tfjs ${backend}`, ms, 8, copyMs, err);
      }
      X.dispose(); W.dispose(); B.dispose();
    }
  }
}

// ---------------------------------------------------------------------------
// per-call overhead through the public API (a 1x768 LayerNorm on Tensors)

async function benchOverhead(): Promise<void> {
  const x = nk.randn([1, 768]);
  const w = nk.ones([768]), b = nk.zeros([768]);
  for (const be of ['js', 'wasm'] as const) {
    nk.setBackend(be);
    const ms = await time(() => nk.noGrad(() => nk.layerNorm(x, [768], w, b)), REPS);
    record('layerNorm() API call', 1, 768, `normkit ${be}`, ms, 8, ms, null, 'Tensor in, Tensor out: per-call overhead');
  }
  nk.setBackend('wasm');
}

// ---------------------------------------------------------------------------
// matmul at the lab's shapes, against TensorFlow.js wasm (XNNPACK)

async function benchMatmul(): Promise<void> {
  const shapes: [number, number, number][] = [[32, 784, 256], [128, 256, 256], [1024, 64, 128], [64, 288, 256], [256, 1024, 1024]];
  for (const [M, K, N] of shapes) {
    const A = data(M * K, 7, true), B = data(K * N, 8, true), Cr = allocateResident(M * N) ?? new Float32Array(M * N);
    const Aj = Float32Array.from(A), Bj = Float32Array.from(B), Cj = new Float32Array(M * N);
    const ref = new Float64Array(M * N);
    gemm.js(Float64Array.from(A), 0, Float64Array.from(B), 0, ref, 0, M, N, K, false, false, false, null);
    const flops = 2 * M * N * K;
    const show = (method: string, ms: number | null, err: number | null, note?: string) => {
      rows.push({ op: 'matmul', shape: `${M}x${K}x${N}`, method, ms, nsPerElement: null, gbPerS: ms === null ? null : flops / (ms * 1e6), ratioToCopy: null, maxError: err, note: note ?? 'gbPerS column = GFLOP/s' });
      console.log(`matmul [${M},${K}]x[${K},${N}]`.padEnd(34) + ` ${method.padEnd(22)} ${ms === null ? '-' : ms.toFixed(3)} ms  ${ms === null ? '-' : (flops / (ms * 1e6)).toFixed(2)} GFLOP/s  err ${err?.toExponential(1)}`);
    };
    nk.setBackend('js');
    gemm(Aj, 0, Bj, 0, Cj, 0, M, N, K, false, false, false, null);
    show('normkit js', await time(() => gemm.js(Aj, 0, Bj, 0, Cj, 0, M, N, K, false, false, false, null)), maxAbs(Cj, ref));
    nk.setBackend('wasm');
    for (const threads of [1, 2]) {
      await nk.setThreads(threads);
      gemm(A, 0, B, 0, Cr, 0, M, N, K, false, false, false, null);
      const err = maxAbs(Cr, ref);
      if (!(err < 1e-3 * Math.sqrt(K))) throw new Error(`matmul ${M}x${K}x${N} wasm ${threads}T differs from the float64 reference by ${err}`);
      show(`normkit wasm ${threads}T`, await time(() => gemm(A, 0, B, 0, Cr, 0, M, N, K, false, false, false, null)), err);
    }
    await nk.setThreads(1);
    if (await tfOn('wasm')) {
      const a = tf.tensor2d(Aj, [M, K]), bb = tf.tensor2d(Bj, [K, N]);
      const y = tf.matMul(a, bb);
      const err = maxAbs(await y.data(), ref);
      y.dispose();
      show('tfjs wasm 1T', await time(() => { const t = tf.matMul(a, bb); t.dataSync(); t.dispose(); }), err);
      a.dispose(); bb.dispose();
    }
  }
}

// ---------------------------------------------------------------------------
// thread crossover: LayerNorm forward on R x 1024 rows, 1 vs 2 threads

async function benchCrossover(): Promise<void> {
  const C = 1024;
  const prev = nk.getThreadCrossover();
  for (const R of [16, 64, 128, 256, 512, 1024, 4096]) {
    const n = R * C;
    const x = data(n, 9, true), y = allocateResident(n) ?? new Float32Array(n);
    const m = new Float64Array(R), r = new Float64Array(R);
    const g = data(n, 10, true), dx = allocateResident(n) ?? new Float32Array(n);
    const dw = new Float32Array(C), db = new Float32Array(C);
    const res: number[] = [];
    for (const threads of [1, 2]) {
      await nk.setThreads(threads);
      nk.setThreadCrossover(0);
      res.push(await time(() => layernormForward(y, m, r, x, null, null, R, C, 1e-5)));
      res.push(await time(() => layernormBackward(dx, dw, db, g, x, null, m, r, R, C)));
    }
    rows.push({ op: 'crossover ln fwd', shape: `${R}x${C}`, method: '1T / 2T', ms: res[0]!, nsPerElement: res[2]!, gbPerS: null, ratioToCopy: res[0]! / res[2]!, maxError: null, note: 'ms = 1 thread, nsPerElement = 2 threads (ms), ratioToCopy = speedup' });
    rows.push({ op: 'crossover ln bwd', shape: `${R}x${C}`, method: '1T / 2T', ms: res[1]!, nsPerElement: res[3]!, gbPerS: null, ratioToCopy: res[1]! / res[3]!, maxError: null, note: 'ms = 1 thread, nsPerElement = 2 threads (ms), ratioToCopy = speedup' });
    console.log(`crossover ${R}x${C}: fwd 1T ${res[0]!.toFixed(3)} ms, 2T ${res[2]!.toFixed(3)} ms (x${(res[0]! / res[2]!).toFixed(2)}); bwd 1T ${res[1]!.toFixed(3)} ms, 2T ${res[3]!.toFixed(3)} ms (x${(res[1]! / res[3]!).toFixed(2)})`);
  }
  await nk.setThreads(1);
  nk.setThreadCrossover(prev);
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown';
  console.log(`normkit bench${quick ? ' --quick' : ''}: node ${process.version}, ${cpus().length} logical CPUs (${cpu}), median of ${REPS}`);
  await loadThirdParties();
  const shapes: [number, number][] = quick ? [[4096, 768], [16384, 1024], [1, 768]] : [[4096, 768], [16384, 1024], [1024, 4096], [1, 768]];
  for (const op of ['layernorm', 'rmsnorm', 'batchnorm'] as const) {
    for (const [N, C] of shapes) await benchNorm(op, N, C);
  }
  await benchOverhead();
  await benchMatmul();
  await benchCrossover();
  if (jsonFile) {
    writeFileSync(jsonFile, JSON.stringify({ node: process.version, cpus: cpus().length, cpu, quick, reps: REPS, rows }, null, 1));
    console.log(`wrote ${jsonFile}`);
  }
  process.exit(0);
}

void main();
