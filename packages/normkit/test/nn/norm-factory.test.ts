import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';

/** Float64 hand computation: per (sample, group of C/G channels), normalize over channels x H x W, then per-channel affine. */
function groupNormRef(x: Float32Array, N: number, C: number, S: number, G: number, w: ArrayLike<number>, b: ArrayLike<number>, eps = 1e-5): Float64Array {
  const out = new Float64Array(x.length);
  const Cg = C / G;
  for (let n = 0; n < N; n++) for (let g = 0; g < G; g++) {
    const idx: number[] = [];
    for (let c = g * Cg; c < (g + 1) * Cg; c++) for (let s = 0; s < S; s++) idx.push((n * C + c) * S + s);
    const m = idx.reduce((a, i) => a + x[i]!, 0) / idx.length;
    const v = idx.reduce((a, i) => a + (x[i]! - m) ** 2, 0) / idx.length;
    for (const i of idx) {
      const c = Math.floor(i / S) % C;
      out[i] = ((x[i]! - m) / Math.sqrt(v + eps)) * w[c]! + b[c]!;
    }
  }
  return out;
}

test('makeNorm channels layout: GroupNorm / LayerNorm / InstanceNorm normalize [N, C, H, W] over the channel axis as Wu & He, against a float64 hand check', () => {
  const [N, C, H, W] = [3, 8, 4, 5];
  const rng = new nk.Rng(11);
  const x = nk.randn([N, C, H, W], { rng });
  // per-channel offsets and scales, so a wrong axis would show
  for (let i = 0; i < x.size; i++) {
    const c = Math.floor(i / (H * W)) % C;
    x.data[i] = x.data[i]! * (1 + c) + 3 * c;
  }
  for (const [kind, G] of [['groupnorm', 2], ['layernorm', 1], ['instancenorm', C]] as const) {
    const m = nk.nn.makeNorm(kind, C, { layout: 'channels', groups: kind === 'groupnorm' ? G : undefined });
    const w = m.getParameter('weight')!;
    const b = m.getParameter('bias')!;
    for (let c = 0; c < C; c++) {
      w.data[c] = 0.5 + 0.1 * c;
      b.data[c] = -0.2 * c;
    }
    const y = m.forward(x);
    assert.deepEqual(y.shape, [N, C, H, W]);
    const ref = groupNormRef(x.data as Float32Array, N, C, H * W, G, w.data, b.data);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(y.data[i]! - ref[i]!));
    assert.ok(worst < 1e-4, `${kind}: max |y - ref| = ${worst}`);
  }
});

test('makeNorm channels layout: the affine parameters are registered, get gradients and are updated by an optimizer', () => {
  for (const kind of ['groupnorm', 'layernorm', 'instancenorm', 'batchnorm'] as const) {
    const m = nk.nn.makeNorm(kind, 4, { layout: 'channels', groups: 2 });
    const names = m.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`);
    assert.deepEqual(names, ['weight:4', 'bias:4'], kind);
    const x = nk.randn([2, 4, 3, 3], { rng: new nk.Rng(5) });
    const target = nk.randn([2, 4, 3, 3], { rng: new nk.Rng(6) });
    const before = m.parameters().map((p) => Array.from(p.data));
    const opt = new nk.optim.SGD(m.parameters(), { lr: 0.1 });
    opt.zeroGrad();
    const d = nk.F.sub(nk.F.relu(m.forward(x)), target);
    nk.F.mean(nk.F.mul(d, d)).backward();
    for (const p of m.parameters()) assert.ok(p.grad && Array.from(p.grad.data).some((v) => v !== 0), `${kind}: zero gradient`);
    opt.step();
    m.parameters().forEach((p, i) => assert.notDeepEqual(Array.from(p.data), before[i], `${kind}: parameter not updated`));
  }
});
