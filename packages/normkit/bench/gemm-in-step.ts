/**
 * Where a training step's matmul time goes, shape by shape
 * (`node [--experimental-wasm-relaxed-simd] dist/bench/gemm-in-step.js [d depth batch tokens]`
 * after `npm run build`; default the Pre-LN d128 x4 model of
 * bench/steady-steps.ts at batch 32 x 64): the wasm module's gemm exports are
 * wrapped with a timer for three timed steps, and each shape's GFLOP/s
 * inside the step is printed beside the step's time. A matmul runs slower in
 * a step than in a loop over the same operands (cold operands, C swept by
 * other ops): this is the figure that matters. Not a test.
 */
import * as nk from '../src/index.js';
import { wasmState } from '../src/kernels/wasm/loader.js';
import { preLn } from './models.js';

const [d, depth, B, T] = process.argv.slice(2).map(Number);
const state = wasmState();
if (!state) throw new Error('gemm-in-step needs the WebAssembly backend');
const orig = state.exports;
interface Row { ms: number; calls: number; flops: number }
const rows = new Map<string, Row>();
const timed = (name: string, key: (a: number[]) => [string, number]) => (...a: number[]): void => {
  const t0 = performance.now();
  (orig[name] as (...x: number[]) => void)(...a);
  const ms = performance.now() - t0;
  const [k, flops] = key(a);
  const r = rows.get(k) ?? { ms: 0, calls: 0, flops: 0 };
  r.ms += ms; r.calls++; r.flops += flops;
  rows.set(k, r);
};
// gemmRows(a, b, c, M, N, K, transA, transB, accumulate, scratch, bias, packed, m0, m1)
// gemmBatched(a, b, c, nb, M, N, K, transA, transB, strideA, strideB, scratch)
state.exports = Object.assign(Object.create(null) as typeof orig, orig, {
  gemmRows: timed('gemmRows', (a) => [`${a[6] ? 'A^T' : 'A'} [${a[3]}, ${a[5]}] x [${a[5]}, ${a[4]}]${a[11] ? ' (B packed)' : ''}`, 2 * (a[13]! - a[12]!) * a[4]! * a[5]!]),
  gemmBatched: timed('gemmBatched', (a) => [`batched ${a[3]} x [${a[4]}, ${a[6]}] x [${a[6]}, ${a[5]}]`, 2 * a[3]! * a[4]! * a[5]! * a[6]!]),
});

const m = preLn(nk, d || 128, depth || 4, B || 32, T || 64);
const opt = new nk.optim.Adam(m.params, { lr: 1e-3 });
const step = (): void => nk.tidy(() => { opt.zeroGrad(); m.loss().backward(); opt.step(); });
for (let i = 0; i < 2; i++) step();
rows.clear();
const R = 3;
const t0 = performance.now();
for (let i = 0; i < R; i++) step();
const stepMs = (performance.now() - t0) / R;
const sorted = [...rows.entries()].sort((x, y) => y[1].ms - x[1].ms);
const gemmMs = sorted.reduce((s, [, r]) => s + r.ms, 0) / R;
console.log(`Pre-LN d${d || 128} x${depth || 4}, batch ${B || 32} x ${T || 64}: step ${stepMs.toFixed(1)} ms, of which matmul ${gemmMs.toFixed(1)} ms (${((100 * gemmMs) / stepMs).toFixed(0)}%); relaxed SIMD ${nk.wasmInfo().relaxedSimd}`);
console.log('| product (rows of C x K x N) | ms per step | calls per step | GFLOP/s in the step |');
console.log('|---|---|---|---|');
for (const [k, r] of sorted) console.log(`| ${k} | ${(r.ms / R).toFixed(2)} | ${r.calls / R} | ${(r.flops / (r.ms * 1e6)).toFixed(1)} |`);
