/**
 * Adam's step kernel (src/kernels/js/adam.ts and its f32x4 SIMD twin,
 * assembly/adam.ts) gives bit-identical parameters and moments on both
 * backends, for parameters small (moments on the JS heap, copied per call)
 * and large (moments in wasm memory, read in place), Adam and AdamW.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { getBackend, setBackend, type BackendName } from '../../src/kernels/backend.js';

function run(backend: BackendName, Opt: typeof nk.optim.Adam, opts: Record<string, unknown>): Float32Array[] {
  const prev = getBackend();
  setBackend(backend);
  try {
    const rng = new nk.Rng(11);
    const ps = [nk.randn([20000], { rng, requiresGrad: true }), nk.randn([97], { rng, requiresGrad: true }), nk.randn([3], { rng, requiresGrad: true })];
    const opt = new Opt(ps, opts);
    for (let step = 0; step < 7; step++) {
      opt.zeroGrad();
      for (const p of ps) {
        // a gradient with mixed signs and scales: p^3 - 0.3 p
        const g = nk.sub(nk.mul(nk.mul(p, p), p), nk.mul(p, 0.3));
        p.grad = nk.tensor(g.data, p.shape);
      }
      opt.step();
    }
    const st = opt.state.get(ps[0]!)!;
    return [...ps.map((p) => Float32Array.from(p.data)), Float32Array.from(st.exp_avg as Float32Array), Float32Array.from(st.exp_avg_sq as Float32Array)];
  } finally {
    setBackend(prev);
  }
}

for (const [name, Opt, opts] of [
  ['Adam', nk.optim.Adam, { lr: 1e-2 }],
  ['Adam with L2 weight decay, maximize', nk.optim.Adam, { lr: 3e-3, weightDecay: 0.1, maximize: true, betas: [0.8, 0.99] }],
  ['AdamW', nk.optim.AdamW, { lr: 1e-2, weightDecay: 0.05 }],
] as const) {
  test(`${name}: the wasm SIMD step equals the TypeScript step bit for bit`, () => {
    const a = run('js', Opt, opts);
    const b = run('wasm', Opt, opts);
    for (let k = 0; k < a.length; k++) assert.deepEqual(b[k], a[k], `array ${k} differs`);
    assert.ok(a[0]!.some((v, i) => v !== 0 && Number.isFinite(v) && i < 10), 'the step ran');
  });
}

test('large moments live in wasm memory on that backend', () => {
  const prev = getBackend();
  setBackend('wasm');
  try {
    const p = nk.randn([20000], { requiresGrad: true });
    const opt = new nk.optim.Adam([p]);
    p.grad = nk.onesLike(p);
    const before = nk.memory().wasmTensorBytes;
    opt.step();
    assert.equal(nk.memory().wasmTensorBytes - before, 2 * 20000 * 4, 'exp_avg and exp_avg_sq, float32 like the parameter');
    assert.ok(opt.state.get(p)!.exp_avg instanceof Float32Array);
  } finally {
    setBackend(prev);
  }
});
