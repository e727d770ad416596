/**
 * PyTorch options that used to be ignored, now implemented. Golden values
 * come from the reference functions below, which write out PyTorch's
 * definitions (the docs' formulas for nn.GELU, nn.Conv2d with dilation and
 * groups, and the loops of aten's avg_pool2d / max_pool2d kernels,
 * pooling_output_shape and embedding_renorm_), and from hand arithmetic
 * where noted. Gradients: float64 finite differences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { check, f64 } from './helpers.js';

test("GELU approximate='tanh' is 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))) (torch.nn.GELU docs), with its gradient", () => {
  const x = f64([7], 1, 2);
  const ref = [...x.data].map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
  assertClose(new nk.nn.GELU({ approximate: 'tanh' }).forward(x).data, ref, { atol: 1e-15 });
  assertClose(nk.F.gelu(x, { approximate: 'tanh' }).data, ref, { atol: 1e-15 });
  check('gelu tanh', (t) => nk.F.gelu(t, { approximate: 'tanh' }), [x]);
  assert.throws(() => new nk.nn.GELU({ approximate: 'fast' as never }), /approximate must be 'none' or 'tanh', got 'fast'/);
});

/** torch.nn.Conv2d's definition: out[n, o, y, x] = b[o] + sum_{c in group(o), i, j} W[o, c', i, j] xin[n, c, y s - p + i d, x s - p + j d]. */
function refConv(x: nk.Tensor, w: nk.Tensor, b: nk.Tensor | null, s: number, p: number, d: number, groups: number): number[] {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, Cg, K] = w.shape as [number, number, number, number];
  const OH = Math.floor((H + 2 * p - d * (K - 1) - 1) / s) + 1;
  const OW = Math.floor((W + 2 * p - d * (K - 1) - 1) / s) + 1;
  const Og = O / groups;
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let yy = 0; yy < OH; yy++) for (let xx = 0; xx < OW; xx++) {
    let acc = b ? b.data[o]! : 0;
    const g = Math.floor(o / Og);
    for (let c = 0; c < Cg; c++) for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) {
      const ih = yy * s - p + i * d;
      const iw = xx * s - p + j * d;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      acc += w.data[((o * Cg + c) * K + i) * K + j]! * x.data[((n * C + g * Cg + c) * H + ih) * W + iw]!;
    }
    out.push(acc);
  }
  void C;
  return out;
}

test('Conv2d dilation and groups match the written-out definition; gradients by finite differences', () => {
  const x = f64([2, 4, 7, 6], 2);
  for (const [s, p, d, g] of [[1, 0, 2, 1], [2, 2, 2, 2], [1, 1, 1, 4], [1, 1, 3, 2]] as const) {
    const conv = new nk.nn.Conv2d(4, 6 - (g === 4 ? 2 : 0), 3, { stride: s, padding: p, dilation: d, groups: g, dtype: 'float64' });
    assert.deepEqual(conv.weight!.shape, [conv.outChannels, 4 / g, 3, 3]);
    const y = conv.forward(x);
    assertClose(y.data, refConv(x, conv.weight!, conv.bias, s, p, d, g), { atol: 1e-12, msg: `s${s} p${p} d${d} g${g}` });
  }
  const w = f64([4, 2, 2, 2], 3);
  const b = f64([4], 4);
  check('conv2d dilation+groups', (xx, ww, bb) => nk.F.conv2d(xx!, ww!, bb!, { dilation: 2, groups: 2, padding: 1 }), [f64([1, 4, 5, 5], 5), w, b]);
  assert.throws(() => new nk.nn.Conv2d(4, 6, 3, { groups: 4 }), /groups must be a positive integer dividing inChannels \(4\) and outChannels \(6\), got 4/);
});

test('Embedding paddingIdx: row zeroed at init, looked up as stored, no gradient; maxNorm renormalizes looked-up rows in place', () => {
  const e = new nk.nn.Embedding(5, 3, { paddingIdx: 0, dtype: 'float64' });
  assert.deepEqual([...e.weight!.data.slice(0, 3)], [0, 0, 0]);
  e.weight!.data.set([1, 2, 3], 0); // a loaded checkpoint may hold non-zero values there: PyTorch still returns them
  const y = e.forward([0, 2, 0, 4]);
  assertClose(y.data.slice(0, 3), [1, 2, 3]);
  nk.sum(y).backward();
  // d sum / d row = number of lookups, except the padding row (torch: embedding_backward skips padding_idx)
  assert.deepEqual([...e.weight!.grad!.data], [0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1]);
  assert.equal(new nk.nn.Embedding(5, 3, { paddingIdx: -1 }).paddingIdx, 4);
  // maxNorm 1 with p = 2: row [3, 4] (norm 5) becomes [3, 4] * 1 / (5 + 1e-7) (embedding_renorm_), row [0.3, 0.4] unchanged
  const m = new nk.nn.Embedding(2, 2, { maxNorm: 1, dtype: 'float64' });
  m.weight!.data.set([3, 4, 0.3, 0.4]);
  const out = m.forward([0, 1, 0]);
  const k = 1 / (5 + 1e-7);
  assertClose(m.weight!.data, [3 * k, 4 * k, 0.3, 0.4], { atol: 1e-15 });
  assertClose(out.data, [3 * k, 4 * k, 0.3, 0.4, 3 * k, 4 * k], { atol: 1e-15 });
});

/** aten's avg_pool2d / max_pool2d loops with pooling_output_shape (ceil_mode) written out. */
function refPool(kind: 'max' | 'avg', x: nk.Tensor, k: number, s: number, p: number, ceil: boolean, countIncludePad = true): { out: number[]; shape: number[] } {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const osz = (L: number) => {
    let o = Math.floor((L + 2 * p - k + (ceil ? s - 1 : 0)) / s) + 1; // torch: div_rtn(L + 2p - k + (ceil ? s - 1 : 0), s) + 1
    if (ceil && (o - 1) * s >= L + p) o--;
    return o;
  };
  const OH = osz(H);
  const OW = osz(W);
  const out: number[] = [];
  for (let nc = 0; nc < N * C; nc++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let hs = oh * s - p; let ws = ow * s - p;
    let he = Math.min(hs + k, H + p); let we = Math.min(ws + k, W + p);
    const poolSize = (he - hs) * (we - ws);
    hs = Math.max(hs, 0); ws = Math.max(ws, 0); he = Math.min(he, H); we = Math.min(we, W);
    let acc = kind === 'max' ? -Infinity : 0;
    for (let i = hs; i < he; i++) for (let j = ws; j < we; j++) {
      const v = x.data[(nc * H + i) * W + j]!;
      acc = kind === 'max' ? Math.max(acc, v) : acc + v;
    }
    out.push(kind === 'max' ? acc : acc / (countIncludePad ? poolSize : (he - hs) * (we - ws)));
  }
  return { out, shape: [N, C, OH, OW] };
}

test('pooling ceilMode and countIncludePad=false match aten\'s loops; avg gradient by finite differences', () => {
  const x = f64([1, 2, 7, 6], 6);
  for (const [k, s, p] of [[3, 2, 1], [2, 2, 0], [3, 3, 1], [2, 3, 1]] as const) {
    for (const ceil of [false, true]) {
      const mp = new nk.nn.MaxPool2d(k, { stride: s, padding: p, ceilMode: ceil }).forward(x);
      const rm = refPool('max', x, k, s, p, ceil);
      assert.deepEqual(mp.shape, rm.shape, `max k${k} s${s} p${p} ceil ${ceil}`);
      assertClose(mp.data, rm.out, { atol: 0 });
      for (const cip of [true, false]) {
        const ap = new nk.nn.AvgPool2d(k, s, p, { ceilMode: ceil, countIncludePad: cip }).forward(x);
        const ra = refPool('avg', x, k, s, p, ceil, cip);
        assert.deepEqual(ap.shape, ra.shape);
        assertClose(ap.data, ra.out, { atol: 1e-14, msg: `avg k${k} s${s} p${p} ceil ${ceil} cip ${cip}` });
      }
    }
  }
  // 5 wide, k 2, s 2, ceil: ceil((5 - 2)/2) + 1 = 3 outputs (floor gives 2)
  assert.deepEqual(new nk.nn.MaxPool2d(2, { ceilMode: true }).forward(nk.zeros([1, 1, 5, 5])).shape, [1, 1, 3, 3]);
  check('avgPool ceil, no pad count', (t) => nk.F.avgPool2d(t, 3, 2, 1, { ceilMode: true, countIncludePad: false }), [f64([1, 1, 6, 5], 7)]);
  check('avgPool divisorOverride', (t) => nk.F.avgPool2d(t, 2, 2, 0, { divisorOverride: 3 }), [f64([1, 1, 4, 4], 8)]);
});

test('bias: false for BatchNorm, GroupNorm, InstanceNorm (PyTorch 2.x): weight only, no bias in the state dict', () => {
  for (const m of [new nk.BatchNorm2d(3, { bias: false }), new nk.GroupNorm(1, 3, { bias: false }), new nk.InstanceNorm2d(3, { affine: true, bias: false })]) {
    assert.equal(m.bias, null);
    assert.ok(m.weight);
    assert.ok(!('bias' in m.stateDict()));
    assert.match(String(m), /bias=false/);
    const y = m.forward(nk.randn([2, 3, 2, 2]));
    assert.deepEqual(y.shape, [2, 3, 2, 2]);
  }
});

test('Module.to / double / float convert parameters and buffers in place; optimizers keep their references', () => {
  const net = new nk.nn.Sequential(new nk.nn.Linear(2, 3), new nk.BatchNorm1d(3));
  const w = (net.at(0) as nk.nn.Linear).weight!;
  const before = [...w.data];
  const opt = new nk.optim.SGD(net.parameters(), { lr: 0.1 });
  net.double();
  assert.equal(w.dtype, 'float64');
  assert.deepEqual([...w.data], before);
  assert.equal((net.at(1) as nk.BatchNorm1d).runningMean!.dtype, 'float64');
  assert.equal((net.at(1) as nk.BatchNorm1d).dtype, 'float64');
  assert.equal(opt.params[0], w);
  net.float();
  assert.equal(w.dtype, 'float32');
  assert.throws(() => net.to('float16' as never), /dtype must be 'float32' or 'float64', got 'float16'/);
});
