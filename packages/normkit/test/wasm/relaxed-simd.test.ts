/**
 * The relaxed-SIMD build (src/kernels/wasm/relaxed-simd.ts): loaded where the
 * engine validates relaxed SIMD (turned on here, before normkit loads, as the
 * normkit command does on Node 20), its matmul fuses multiply-adds where the
 * CPU has FMA, and it agrees with the float64 reference on the shapes and
 * transposes the library uses, on one thread and on two.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
// before normkit: V8's relaxed SIMD on (Node 20)
import '../relaxed-simd-on.js';
import { RELAXED_SIMD_PROBE, relaxedSimdSupported } from '../../src/kernels/wasm/relaxed-simd.js';

const nk = await import('../../src/index.js');
const { gemm } = await import('../../src/kernels/js/gemm.js');
const { setThreads, setThreadCrossover, getThreadCrossover } = await import('../../src/kernels/threads/pool.js');

/** Whether this CPU has fused multiply-add (x86 'fma' flag; arm64 always). */
function cpuHasFma(): boolean {
  if (process.arch === 'arm64') return true;
  try {
    return /^flags\s*:.*\bfma\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return true; // not Linux: every x86-64 made since 2013 has it
  }
}

test('the probe module validates exactly where relaxed SIMD is on', () => {
  assert.equal(RELAXED_SIMD_PROBE.length, 37);
  assert.equal(relaxedSimdSupported(), true, 'after --experimental-wasm-relaxed-simd');
  // the same module with the opcode changed to one that does not exist (0xfd 0x1ff) never validates
  const broken = RELAXED_SIMD_PROBE.slice();
  broken[broken.length - 3] = 0xff;
  broken[broken.length - 2] = 0x03;
  assert.equal(WebAssembly.validate(broken), false);
});

test('normkit loads its relaxed-SIMD build and says so', () => {
  assert.deepEqual(nk.wasmInfo(), { loaded: true, sharedMemory: true, relaxedSimd: true, error: null });
  assert.equal(nk.relaxedSimdSupported(), true);
});

test('the matmul fuses its multiply-adds where the CPU has FMA (rounded once, not twice)', () => {
  // C = A B with K = 2: c = a0 b0 + a1 b1 where a1 b1 = 1 + 2^-11 + 2^-24 needs 25 bits.
  // Rounded alone (to even) it loses the 2^-24; fused with c = a0 b0 = -1 it survives.
  const u = 1 + 2 ** -12;
  const M = 4, N = 8, K = 2;
  const A = new Float32Array(M * K), B = new Float32Array(K * N), C = new Float32Array(M * N);
  for (let i = 0; i < M; i++) { A[i * K] = -1; A[i * K + 1] = u; }
  for (let j = 0; j < N; j++) { B[j] = 1; B[N + j] = u; }
  nk.setBackend('wasm');
  gemm(A, 0, B, 0, C, 0, M, N, K, false, false, false, null);
  const fused = 2 ** -11 + 2 ** -24, twice = 2 ** -11;
  const want = cpuHasFma() ? fused : twice;
  for (const c of C) assert.equal(c, want);
});

test('the relaxed-SIMD matmul agrees with the float64 reference at awkward shapes, transposes and 2 threads', async () => {
  nk.setBackend('wasm');
  const crossover = getThreadCrossover();
  try {
    for (const threads of [1, 2]) {
      await setThreads(threads);
      if (threads === 2) setThreadCrossover(0);
      for (const [M, N, K] of [[1, 1, 1], [3, 5, 7], [4, 8, 2], [13, 17, 130], [32, 100, 784], [6, 257, 9]] as const) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            for (const accumulate of [false, true]) {
              const rnd = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 12.9898 + M * 78.233 + N) * 0.9));
              const A = rnd(M * K), B = rnd(K * N), C0 = rnd(M * N);
              const C = C0.slice(), ref = Float64Array.from(C0);
              gemm(A, 0, B, 0, C, 0, M, N, K, transA, transB, accumulate, null);
              gemm(Float64Array.from(A), 0, Float64Array.from(B), 0, ref, 0, M, N, K, transA, transB, accumulate, null);
              // the classic bound for a float32 dot product of length K (+1 for the accumulated C):
              // |error| <= (K+1) u / (1 - (K+1) u) * (|C0| + sum_k |a_ik b_kj|), u = 2^-24
              const absA = A.map(Math.abs), absB = B.map(Math.abs), bound = Float64Array.from(C0, (c) => (accumulate ? Math.abs(c) : 0));
              gemm(Float64Array.from(absA), 0, Float64Array.from(absB), 0, bound, 0, M, N, K, transA, transB, true, null);
              const u = 2 ** -24, gamma = ((K + 1) * u) / (1 - (K + 1) * u);
              for (let i = 0; i < C.length; i++) {
                const err = Math.abs(C[i]! - ref[i]!);
                assert.ok(err <= gamma * bound[i]!, `M${M} N${N} K${K} transA ${transA} transB ${transB} accumulate ${accumulate} threads ${threads}: element ${i} error ${err} > bound ${gamma * bound[i]!}`);
              }
            }
          }
        }
      }
    }
  } finally {
    setThreadCrossover(crossover);
    await setThreads(1);
  }
});

test('a training step on the relaxed-SIMD build matches the TypeScript kernels to float32 rounding', () => {
  const run = (backend: 'js' | 'wasm') => {
    nk.setBackend(backend);
    nk.manualSeed(7);
    const model = new nk.nn.Sequential(new nk.nn.Linear(20, 32), new nk.LayerNorm([32]), new nk.nn.GELU(), new nk.nn.Linear(32, 5));
    const opt = new nk.optim.Adam(model.parameters(), { lr: 1e-2 });
    const x = nk.randn([16, 20]);
    const t = nk.tensor(Int32Array.from({ length: 16 }, (_, i) => i % 5), [16]);
    const losses: number[] = [];
    for (let s = 0; s < 5; s++) {
      opt.zeroGrad();
      const loss = nk.F.crossEntropy(model.forward(x), t);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    return losses;
  };
  const js = run('js'), wasm = run('wasm');
  nk.setBackend('wasm');
  for (let i = 0; i < js.length; i++) assert.ok(Math.abs(js[i]! - wasm[i]!) <= 1e-4 * Math.abs(js[i]!), `step ${i}: js ${js[i]} wasm ${wasm[i]}`);
});
