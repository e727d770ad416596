import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { check, f64, toF64 } from './helpers.js';

test('Linear computes x W^T + b over the last dim, with PyTorch shapes and names', () => {
  const lin = new nk.nn.Linear(3, 2);
  assert.deepEqual(Object.keys(lin.stateDict()), ['weight', 'bias']);
  assert.deepEqual(lin.weight!.shape, [2, 3]);
  lin.weight!.data.set([1, 2, 3, -1, 0, 1]);
  lin.bias!.data.set([0.5, -0.5]);
  const y = lin.forward(nk.tensor([[1, 1, 1], [2, 0, -1]]));
  assert.deepEqual(y.toArray(), [[6.5, -0.5], [-0.5, -3.5]]);
  const y3 = lin.forward(nk.ones([2, 4, 3]));
  assert.deepEqual(y3.shape, [2, 4, 2]);
  assert.equal(lin.toString(), 'Linear(inFeatures=3, outFeatures=2, bias=true)');
  assert.equal(new nk.nn.Linear(3, 2, { bias: false }).bias, null);
  assert.throws(() => lin.forward(nk.ones([4, 5])), /expected input with shape \[\*, 3\], got \[4, 5\]/);
});

test('Linear init follows PyTorch: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias, seeded', () => {
  nk.manualSeed(3);
  const a = new nk.nn.Linear(64, 32);
  nk.manualSeed(3);
  const b = new nk.nn.Linear(64, 32);
  assert.deepEqual(a.weight!.toList(), b.weight!.toList());
  const bound = 1 / 8;
  const w = a.weight!.toList();
  assert.ok(w.every((v) => Math.abs(v) <= bound), 'weights within the bound');
  const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
  assertClose([variance], [bound * bound / 3], { rtol: 0.15 }); // U(-b, b) has variance b^2/3
  assert.ok(a.bias!.toList().every((v) => Math.abs(v) <= bound));
});

test("Linear's input, weight and bias gradients match finite differences", () => {
  const lin = toF64(new nk.nn.Linear(4, 3, { rng: new nk.Rng(1) }));
  check('linear', (x) => lin.forward(x), [f64([2, 5, 4], 2), lin.weight!, lin.bias!]);
  const nb = toF64(new nk.nn.Linear(4, 3, { bias: false, rng: new nk.Rng(1) }));
  check('linear no bias', (x) => nb.forward(x), [f64([3, 4], 3), nb.weight!]);
});

test('Embedding looks up rows; its gradient scatter-adds into repeated rows', () => {
  const emb = new nk.nn.Embedding(5, 3, { rng: new nk.Rng(0) });
  const y = emb.forward(nk.tensor([[1, 4], [1, 0]]));
  assert.deepEqual(y.shape, [2, 2, 3]);
  assert.deepEqual(Array.from(y.data.subarray(0, 3)), Array.from(emb.weight!.data.subarray(3, 6)));
  toF64(emb);
  check('embedding', () => emb.forward([1, 4, 1, 0], [2, 2]), [emb.weight!]);
  assert.throws(() => emb.forward([5]), /index 5 at position 0 is out of range for 5 embeddings/);
});

/** Direct 7-loop convolution, the definition. */
function naiveConv(x: nk.Tensor, w: nk.Tensor, b: nk.Tensor | null, s: [number, number], p: [number, number]): number[] {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, , kh, kw] = w.shape as [number, number, number, number];
  const OH = Math.floor((H + 2 * p[0] - kh) / s[0]) + 1;
  const OW = Math.floor((W + 2 * p[1] - kw) / s[1]) + 1;
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let acc = b ? b.data[o]! : 0;
    for (let c = 0; c < C; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      const ih = oh * s[0] - p[0] + i;
      const iw = ow * s[1] - p[1] + j;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      acc += w.data[((o * C + c) * kh + i) * kw + j]! * x.data[((n * C + c) * H + ih) * W + iw]!;
    }
    out.push(acc);
  }
  return out;
}

test('Conv2d matches a direct convolution over strides, paddings and kernel shapes', () => {
  const cases: [number[], number, [number, number], [number, number], [number, number]][] = [
    [[2, 3, 6, 7], 4, [3, 3], [1, 1], [0, 0]],
    [[1, 2, 7, 7], 3, [3, 3], [2, 2], [1, 1]],
    [[2, 1, 5, 8], 2, [2, 3], [1, 2], [1, 0]],
    [[1, 3, 4, 4], 2, [1, 1], [1, 1], [0, 0]],
    [[1, 2, 5, 5], 2, [5, 5], [1, 1], [2, 2]],
  ];
  for (const [xs, oc, k, s, p] of cases) {
    const conv = toF64(new nk.nn.Conv2d(xs[1]!, oc, k, { stride: s, padding: p, rng: new nk.Rng(4) }));
    const x = f64(xs, 5);
    const y = conv.forward(x);
    const ref = naiveConv(x, conv.weight!, conv.bias, s, p);
    assert.equal(y.size, ref.length);
    assertClose(y.data, ref, { atol: 1e-12, msg: `conv ${JSON.stringify([xs, k, s, p])}` });
  }
});

test("Conv2d's input, weight and bias gradients match finite differences (stride and padding)", () => {
  for (const [s, p] of [[1, 0], [2, 1], [1, 2]] as const) {
    const conv = toF64(new nk.nn.Conv2d(2, 3, 3, { stride: s, padding: p, rng: new nk.Rng(6) }));
    check(`conv2d s=${s} p=${p}`, (x) => conv.forward(x), [f64([2, 2, 5, 6], 7), conv.weight!, conv.bias!]);
  }
});

test('Conv2d errors name the received shape; toString shows the geometry', () => {
  const conv = new nk.nn.Conv2d(3, 8, 3, { padding: 1 });
  assert.throws(() => conv.forward(nk.ones([2, 4, 8, 8])), /expected input with shape \[N, 3, H, W\], got \[2, 4, 8, 8\]/);
  assert.throws(() => conv.forward(nk.ones([3, 8, 8])), /got \[3, 8, 8\]/);
  assert.throws(() => new nk.nn.Conv2d(1, 1, 5).forward(nk.ones([1, 1, 3, 3])), /does not fit input \[1, 1, 3, 3\]/);
  assert.throws(() => new nk.nn.Conv2d(1, 1, 0), /kernelSize must be an integer >= 1.*got 0/);
  assert.equal(conv.toString(), 'Conv2d(3, 8, kernelSize=[3, 3], stride=[1, 1], padding=[1, 1])');
  assert.deepEqual(conv.forward(nk.ones([2, 3, 8, 8])).shape, [2, 8, 8, 8]);
});

test('pooling layers compute max and mean windows; their gradients match finite differences', () => {
  const x = nk.tensor([1, 5, 2, 0, 3, 4, 8, 1, 0, 2, 6, 7, 1, 1, 9, 3], [1, 1, 4, 4]);
  assert.deepEqual(new nk.nn.MaxPool2d(2).forward(x).toList(), [5, 8, 2, 9]);
  assert.deepEqual(new nk.nn.AvgPool2d(2).forward(x).toList(), [13 / 4, 11 / 4, 1, 25 / 4]);
  assert.deepEqual(new nk.nn.MaxPool2d(3, 1).forward(x).toList(), [8, 8, 9, 9]);
  assert.deepEqual(new nk.nn.GlobalAvgPool2d().forward(x).toList(), [53 / 16]);
  assert.deepEqual(new nk.nn.AdaptiveAvgPool2d(1).forward(nk.ones([2, 3, 4, 5])).shape, [2, 3, 1, 1]);
  // distinct values so the max is unique and finite differences are valid
  const xs = f64([2, 2, 5, 6], 8);
  check('maxPool2d', (t) => nk.F.maxPool2d(t, 2), [xs]);
  check('maxPool2d s1 p1', (t) => nk.F.maxPool2d(t, 3, 1, 1), [xs]);
  check('avgPool2d', (t) => nk.F.avgPool2d(t, 2, 1), [xs]);
  check('avgPool2d p1', (t) => nk.F.avgPool2d(t, 3, 2, 1), [xs]);
  check('globalAvgPool2d', (t) => nk.F.globalAvgPool2d(t), [xs]);
  assert.throws(() => new nk.nn.MaxPool2d(2).forward(nk.ones([4, 4])), /expected a 4-D input \[N, C, H, W\], got \[4, 4\]/);
});

test('Flatten, activations, Identity and Sequential compose with PyTorch child names', () => {
  const net = new nk.nn.Sequential(new nk.nn.Flatten(), new nk.nn.Linear(12, 4), new nk.nn.ReLU(), new nk.nn.Linear(4, 2));
  assert.deepEqual(Object.keys(net.stateDict()), ['1.weight', '1.bias', '3.weight', '3.bias']);
  assert.deepEqual(net.forward(nk.ones([5, 3, 2, 2])).shape, [5, 2]);
  assert.equal(net.length, 4);
  assert.ok(net.at(-1) instanceof nk.nn.Linear);
  const x = nk.tensor([-1, 0.5]);
  assert.deepEqual(new nk.nn.ReLU().forward(x).toList(), [0, 0.5]);
  assertClose(new nk.nn.Tanh().forward(x).data, [Math.tanh(-1), Math.tanh(0.5)]);
  assertClose(new nk.nn.Sigmoid().forward(x).data, [1 / (1 + Math.E), 1 / (1 + Math.exp(-0.5))]);
  assertClose(new nk.nn.GELU().forward(x).data, [-0.15865525393145707, 0.34573123063700656]); // x Phi(x), from scipy.stats.norm.cdf
  assert.equal(new nk.nn.Identity().forward(x), x);
  const seq = toF64(new nk.nn.Sequential(new nk.nn.Linear(3, 4, { rng: new nk.Rng(9) }), new nk.nn.Tanh(), new nk.nn.Linear(4, 2, { rng: new nk.Rng(10) })));
  check('sequential', (t) => seq.forward(t), [f64([3, 3], 11), ...seq.parameters()]);
});

test('Dropout zeroes with probability p and rescales by 1/(1-p) in training only; seeded', () => {
  const x = nk.ones([20000]);
  const d = new nk.nn.Dropout(0.25, { rng: new nk.Rng(1) });
  const y = d.forward(x).toList();
  const zeros = y.filter((v) => v === 0).length / y.length;
  assert.ok(Math.abs(zeros - 0.25) < 0.015, `dropped fraction ${zeros}`);
  assert.ok(y.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
  const again = new nk.nn.Dropout(0.25, { rng: new nk.Rng(1) }).forward(x).toList();
  assert.deepEqual(again, y);
  d.eval();
  assert.equal(d.forward(x), x);
  assert.throws(() => new nk.nn.Dropout(1.5), /between 0 and 1, got 1.5/);
  // gradient: dy * mask / (1 - p)
  const xt = nk.ones([8], { requiresGrad: true });
  const dt = new nk.nn.Dropout(0.5, { rng: new nk.Rng(2) });
  const out = dt.forward(xt);
  nk.sum(out).backward();
  assert.deepEqual(xt.grad!.toList(), out.toList());
});

test('initializers have the stated bounds and variances and are seeded', () => {
  const t = nk.zeros([256, 128]);
  const v = (x: nk.Tensor) => x.toList().reduce((s, a) => s + a * a, 0) / x.size;
  nk.nn.init.xavierUniform(t, { rng: new nk.Rng(1) });
  assertClose([v(t)], [2 / (128 + 256)], { rtol: 0.05 });
  nk.nn.init.xavierNormal(t, { rng: new nk.Rng(1), gain: 2 });
  assertClose([v(t)], [4 * 2 / (128 + 256)], { rtol: 0.05 });
  nk.nn.init.kaimingNormal(t, { rng: new nk.Rng(1), nonlinearity: 'relu' });
  assertClose([v(t)], [2 / 128], { rtol: 0.05 });
  nk.nn.init.kaimingUniform(t, { rng: new nk.Rng(1), nonlinearity: 'relu', mode: 'fanOut' });
  assertClose([v(t)], [2 / 256], { rtol: 0.05 });
  assert.ok(t.toList().every((a) => Math.abs(a) <= Math.sqrt(6 / 256)));
  const c = nk.zeros([3, 4, 5, 5]);
  assert.deepEqual(nk.nn.init.fans(c), [100, 75]);
  assertClose([nk.nn.init.calculateGain('tanh')], [5 / 3]);
  assertClose([nk.nn.init.calculateGain('leaky_relu', 0.2)], [Math.sqrt(2 / 1.04)]);
  nk.nn.init.normal_(t, 3, 0.5, { rng: new nk.Rng(2) });
  const m = t.toList().reduce((s, a) => s + a, 0) / t.size;
  assertClose([m], [3], { atol: 0.01 });
  const a = nk.nn.init.uniform_(nk.zeros([10]), -1, 1, { rng: new nk.Rng(5) }).toList();
  const b = nk.nn.init.uniform_(nk.zeros([10]), -1, 1, { rng: new nk.Rng(5) }).toList();
  assert.deepEqual(a, b);
  assert.deepEqual(nk.nn.init.ones_(nk.zeros([3])).toList(), [1, 1, 1]);
  assert.deepEqual(nk.nn.init.zeros_(nk.ones([2])).toList(), [0, 0]);
  assert.throws(() => nk.nn.init.xavierUniform(nk.zeros([5])), /fewer than 2 dims, got shape \[5\]/);
});

test('Linear and Conv2d read their weight through param(), so weightNorm and spectralNorm apply', () => {
  const lin = toF64(nk.weightNorm(new nk.nn.Linear(3, 2, { rng: new nk.Rng(20) })));
  const g = lin.getParameter('weight_g')!;
  const v = lin.getParameter('weight_v')!;
  g.data.set([2, -0.5]);
  const x = f64([4, 3], 21);
  const y = lin.forward(x);
  // w = g v / ||v|| per output row
  const w: number[] = [];
  for (let o = 0; o < 2; o++) {
    const row = Array.from(v.data.subarray(o * 3, o * 3 + 3));
    const n = Math.hypot(...row);
    w.push(...row.map((a) => (g.data[o]! * a) / n));
  }
  const ref = nk.F.linear(x.detach(), nk.tensor(w, [2, 3], { dtype: 'float64' }), lin.bias!.detach());
  assertClose(y.data, ref.data, { atol: 1e-12 });
  assertClose(lin.weight!.data, w, { atol: 1e-12 });
  check('weightNorm linear', (t) => lin.forward(t), [x, g, v, lin.bias!]);
  const conv = nk.spectralNorm(new nk.nn.Conv2d(2, 3, 3, { rng: new nk.Rng(22) }));
  conv.eval();
  const W = conv.weight!;
  const out = conv.forward(nk.randn([1, 2, 5, 5], { rng: new nk.Rng(23) }));
  const direct = nk.F.conv2d(nk.randn([1, 2, 5, 5], { rng: new nk.Rng(23) }), W, conv.bias);
  assertClose(out.data, direct.data, { atol: 1e-6 });
});
