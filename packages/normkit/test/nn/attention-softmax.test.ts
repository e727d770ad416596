/**
 * F.attentionSoftmax: the attention scores' scale, causal mask and softmax in
 * one op, against the three ops it replaces (mul, add of the -inf mask,
 * softmax) on both backends, by finite differences in float64, and through
 * MultiheadAttention (whose two paths, fused and general, must agree).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as nk from '../../src/index.js';
import { testEachBackend } from '../backends.js';

const F = nk.F;

/** The -inf causal mask [T, S] (key s > query t masked), as MultiheadAttention's general path builds it. */
function causalMask(T: number, S: number, dtype: 'float32' | 'float64' = 'float32'): nk.Tensor {
  const m = nk.zeros([T, S], { dtype });
  for (let t = 0; t < T; t++) m.data.fill(-Infinity, t * S + Math.min(S, t + 1), (t + 1) * S);
  return m;
}

/** softmax(scale x + mask) the long way, forward and x's gradient for the cotangent g. */
function unfused(x: nk.Tensor, g: nk.Tensor, scale: number, causal: boolean): [Float32Array | Float64Array, Float32Array | Float64Array] {
  const xl = nk.tensor(x.data, x.shape, { dtype: x.dtype, requiresGrad: true });
  const T = x.shape[x.ndim - 2]!, S = x.shape[x.ndim - 1]!;
  let z = F.mul(xl, scale);
  if (causal) z = F.add(z, causalMask(T, S, x.dtype));
  const y = F.softmax(z, -1);
  F.sum(F.mul(y, g)).backward();
  return [y.data, xl.grad!.data];
}

function fused(x: nk.Tensor, g: nk.Tensor, scale: number, causal: boolean): [Float32Array | Float64Array, Float32Array | Float64Array] {
  const xl = nk.tensor(x.data, x.shape, { dtype: x.dtype, requiresGrad: true });
  const y = F.attentionSoftmax(xl, scale, causal);
  F.sum(F.mul(y, g)).backward();
  return [y.data, xl.grad!.data];
}

testEachBackend('attentionSoftmax = softmax(scale x + causal mask) forward and backward, over awkward shapes (fast-check)', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 19 }), fc.integer({ min: 1, max: 37 }),
    fc.constantFrom(0.25, 0.37, 1 / Math.sqrt(24)), fc.boolean(), fc.integer({ min: 0, max: 1e6 }),
    (B, T, S, scale, causal, seed) => {
      const rng = new nk.Rng(seed);
      const x = nk.mul(nk.randn([B, T, S], { rng }), 4), g = nk.randn([B, T, S], { rng });
      const [ya, ga] = unfused(x, g, scale, causal), [yb, gb] = fused(x, g, scale, causal);
      for (let i = 0; i < ya.length; i++) {
        assert.ok(Math.abs(ya[i]! - yb[i]!) <= 2e-7 + 2e-6 * Math.abs(ya[i]!), `y[${i}]: ${yb[i]} vs ${ya[i]} (B ${B}, T ${T}, S ${S}, scale ${scale}, causal ${causal})`);
        assert.ok(Math.abs(ga[i]! - gb[i]!) <= 1e-6 + 1e-5 * Math.abs(ga[i]!), `dx[${i}]: ${gb[i]} vs ${ga[i]}`);
      }
    },
  ), { numRuns: 60 });
});

testEachBackend('attentionSoftmax with a power-of-two scale is bit for bit the scaled, masked softmax', () => {
  // scale 2^-k commutes with every float32 rounding, so fusing it changes no bit
  for (const [T, S] of [[16, 16], [13, 13], [5, 9], [33, 7]] as const) {
    for (const causal of [true, false]) {
      const x = nk.mul(nk.randn([3, T, S], { rng: new nk.Rng(T * 100 + S) }), 5), g = nk.randn([3, T, S], { rng: new nk.Rng(7) });
      const [ya, ga] = unfused(x, g, 0.25, causal), [yb, gb] = fused(x, g, 0.25, causal);
      assert.deepEqual(Array.from(yb, (v) => v + 0), Array.from(ya, (v) => v + 0), `forward, T ${T}, S ${S}, causal ${causal}`);
      assert.deepEqual(Array.from(gb, (v) => v + 0), Array.from(ga, (v) => v + 0), `backward, T ${T}, S ${S}, causal ${causal}`);
    }
  }
});

testEachBackend('attentionSoftmax: masked weights are exactly 0 and get no gradient; kept weights sum to 1', () => {
  const x = nk.randn([2, 3, 6, 10]); // T = 6 queries, S = 10 keys (top-left causal: query t sees keys 0..t)
  const xl = nk.tensor(x.data, x.shape, { requiresGrad: true });
  const y = F.attentionSoftmax(xl, 0.5, true);
  F.sum(F.mul(y, nk.randn(x.shape))).backward();
  for (let r = 0; r < 2 * 3 * 6; r++) {
    const t = r % 6;
    let s = 0;
    for (let k = 0; k < 10; k++) {
      const v = y.data[r * 10 + k]!;
      if (k > t) {
        assert.equal(v, 0, `row ${r}, key ${k} masked`);
        assert.equal(xl.grad!.data[r * 10 + k], 0, `row ${r}, key ${k}: no gradient`);
      } else { assert.ok(v > 0); s += v; }
    }
    assert.ok(Math.abs(s - 1) < 1e-6, `row ${r} sums to ${s}`);
  }
});

test('attentionSoftmax passes a float64 finite-difference gradient check (causal and not)', () => {
  for (const causal of [true, false]) {
    const x = nk.randn([2, 5, 7], { dtype: 'float64', requiresGrad: true });
    const r = nk.gradcheck((a) => F.attentionSoftmax(a, 0.4, causal), [x]);
    assert.ok(r.ok, `causal ${causal}: max error ${JSON.stringify(r)}`);
  }
});

test('attentionSoftmax rejects bad arguments, naming them', () => {
  assert.throws(() => F.attentionSoftmax(nk.randn([4]), 1), /at least 2 dims.*\[4\]/);
  assert.throws(() => F.attentionSoftmax(nk.randn([2, 4]), Number.NaN), /scale has to be finite, got NaN/);
  assert.equal(F.attentionSoftmax(nk.zeros([2, 0, 3]), 1).size, 0);
});

testEachBackend('MultiheadAttention: the fused paths (no mask / causal) equal the general path (an explicit mask)', () => {
  // self-attention's packed path and the general path both fuse; an all-zero float attnMask
  // takes the unfused general path (scale q, add the mask, softmax). Head size 16: scale 1/4
  for (const causal of [false, true]) {
    const mha = new nk.nn.MultiheadAttention(32, 2, { causal, rng: new nk.Rng(3) });
    const x = nk.randn([2, 9, 32], { rng: new nk.Rng(4) });
    const packed = mha.forward(x);
    const general = mha.forward(x, x, x);
    const masked = mha.forward(x, null, null, { attnMask: nk.zeros([9, 9]), boolMasks: false });
    assert.deepEqual(Array.from(packed.data), Array.from(masked.data), `packed, causal ${causal}`);
    assert.deepEqual(Array.from(general.data), Array.from(masked.data), `general, causal ${causal}`);
  }
});
