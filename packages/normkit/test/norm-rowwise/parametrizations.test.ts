/**
 * weightNorm and spectralNorm as parametrizations of a module's weight.
 * A tiny Linear-like module is defined here (nk.nn.Linear is another
 * engineer's work and not depended on).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { assertClose } from '../helpers.js';

/** y = x W^T + b, reading W through param() so parametrizations apply. */
class TinyLinear extends nk.Module {
  constructor(inF: number, outF: number, seed = 0, dtype: nk.DType = 'float64') {
    super();
    this.registerParameter('weight', nk.randn([outF, inF], { dtype, rng: new nk.Rng(seed) }));
    this.registerParameter('bias', nk.mul(nk.randn([outF], { dtype, rng: new nk.Rng(seed + 1) }), 0.1));
  }
  forward(x: nk.Tensor): nk.Tensor {
    return nk.add(nk.matmul(x, nk.transpose(this.param('weight')!)), this.param('bias')!);
  }
}

/** A module whose forward is its (possibly parametrized) weight, for weights of any rank. */
class WeightOnly extends nk.Module {
  constructor(shape: number[], seed: number) {
    super();
    this.registerParameter('weight', nk.randn(shape, { dtype: 'float64', rng: new nk.Rng(seed) }));
  }
  forward(): nk.Tensor {
    return this.param('weight')!;
  }
}

/** Largest singular value of M [h, w] by 2000 power iterations on M^T M, in float64. */
function sigmaMax(M: ArrayLike<number>, h: number, w: number): number {
  let v = new Float64Array(w).map((_, i) => 1 + 0.01 * i);
  let s = 0;
  for (let it = 0; it < 2000; it++) {
    const u = new Float64Array(h);
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) u[i] += M[i * w + j]! * v[j]!;
    const nv = new Float64Array(w);
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) nv[j] += M[i * w + j]! * u[i]!;
    const n = Math.hypot(...nv);
    v = nv.map((a) => a / n);
    s = Math.sqrt(n);
  }
  return s;
}

const x64 = (shape: number[], seed: number) => nk.randn(shape, { dtype: 'float64', rng: new nk.Rng(seed) });

function check(name: string, fn: () => nk.Tensor, inputs: nk.Tensor[]) {
  const r = nk.gradcheck(fn, inputs);
  assert.ok(r.ok, `${name}: max error ${r.maxAbsError} at ${JSON.stringify(r.worst)}`);
}

test('weightNorm registers weight_g and weight_v (PyTorch names) and leaves the weight unchanged', () => {
  const lin = new TinyLinear(3, 4, 1);
  const w0 = lin.getParameter('weight')!.toList();
  nk.weightNorm(lin);
  assert.deepEqual(Object.keys(lin.stateDict()), ['bias', 'weight_g', 'weight_v']);
  assert.deepEqual(lin.getParameter('weight_g')!.shape, [4, 1]);
  assert.deepEqual(lin.getParameter('weight_v')!.shape, [4, 3]);
  assert.ok(lin.isParametrized('weight'));
  assertClose(lin.param('weight')!.data, w0, { rtol: 1e-14 });
  // g holds the row norms
  const g = lin.getParameter('weight_g')!.data;
  for (let i = 0; i < 4; i++) assertClose([g[i]!], [Math.hypot(...w0.slice(i * 3, i * 3 + 3))], { rtol: 1e-14 });
  // w = g v / ||v||: scaling v does not change w; g sets each row's norm
  const v = lin.getParameter('weight_v')!;
  for (let i = 0; i < v.size; i++) v.data[i] *= 3;
  lin.getParameter('weight_g')!.data.set([1, 2, 3, 4]);
  const w = lin.param('weight')!;
  for (let i = 0; i < 4; i++) assertClose([Math.hypot(...Array.from(w.data.subarray(i * 3, i * 3 + 3)))], [i + 1], { rtol: 1e-14 });
  // dim=1 keeps one g per column; dim=null and dim=-1 one scalar (PyTorch: weight_norm(dim=-1) is the whole tensor);
  // other negative dims count from the end
  assert.deepEqual(nk.weightNorm(new TinyLinear(3, 4), { dim: 1 }).getParameter('weight_g')!.shape, [1, 3]);
  assert.deepEqual(nk.weightNorm(new TinyLinear(3, 4), { dim: -1 }).getParameter('weight_g')!.shape, []);
  assert.deepEqual(nk.weightNorm(new TinyLinear(3, 4), { dim: -2 }).getParameter('weight_g')!.shape, [4, 1]);
  const whole = nk.weightNorm(new TinyLinear(3, 4, 2), { dim: null });
  assert.deepEqual(whole.getParameter('weight_g')!.shape, []);
  assertClose(whole.param('weight')!.data, new TinyLinear(3, 4, 2).getParameter('weight')!.data, { rtol: 1e-14 });
});

test('weightNorm errors: dim out of range, missing parameter, applied twice', () => {
  assert.throws(() => nk.weightNorm(new TinyLinear(3, 4), { dim: 2 }), /dim 2 is out of range for parameter 'weight' of shape \[4, 3\]/);
  assert.throws(() => nk.weightNorm(new TinyLinear(3, 4), { dim: -3 }), /dim -3 is out of range/);
  assert.throws(() => nk.weightNorm(new TinyLinear(3, 4), { name: 'kernel' }), /has no parameter 'kernel'/);
  const lin = nk.weightNorm(new TinyLinear(3, 4));
  assert.throws(() => nk.weightNorm(lin), /already parametrized/);
  assert.throws(() => nk.removeWeightNorm(new TinyLinear(3, 4)), /weight_norm of 'weight' not found in TinyLinear/);
});

test("weightNorm's gradients to g and v match finite differences (dim 0, 1, null; 3-D weight)", () => {
  for (const dim of [0, 1, null]) {
    const lin = nk.weightNorm(new TinyLinear(3, 4, 5), { dim });
    const x = x64([5, 3], 6);
    check(`weightNorm dim=${dim}`, () => lin.forward(x), [lin.getParameter('weight_g')!, lin.getParameter('weight_v')!, lin.getParameter('bias')!]);
  }
  const conv = nk.weightNorm(new WeightOnly([2, 3, 2], 7), { dim: 0 });
  assert.deepEqual(conv.getParameter('weight_g')!.shape, [2, 1, 1]);
  check('weightNorm 3-D', () => conv.forward(), [conv.getParameter('weight_g')!, conv.getParameter('weight_v')!]);
});

test('removeWeightNorm restores a plain weight holding g v / ||v||', () => {
  const lin = nk.weightNorm(new TinyLinear(3, 4, 8));
  lin.getParameter('weight_g')!.data.set([1, 2, 3, 4]);
  const x = x64([2, 3], 9);
  const before = lin.forward(x).toList();
  nk.removeWeightNorm(lin);
  assert.equal(lin.isParametrized('weight'), false);
  assert.deepEqual(Object.keys(lin.stateDict()), ['bias', 'weight']);
  assert.ok(lin.getParameter('weight')!.requiresGrad);
  assertClose(lin.forward(x).data, before, { rtol: 1e-14 });
});

test('weightNorm state dict round trip gives identical outputs', () => {
  const a = nk.weightNorm(new TinyLinear(3, 4, 10));
  a.getParameter('weight_g')!.data.set([0.5, 1, 1.5, 2]);
  const b = nk.weightNorm(new TinyLinear(3, 4, 11));
  b.loadStateDict(a.stateDict());
  const x = x64([3, 3], 12);
  assert.deepEqual(b.forward(x).toList(), a.forward(x).toList());
});

test('dataDependentInit standardizes the first batch (Salimans & Kingma: g = 1/std, b = -mean/std)', () => {
  const lin = nk.weightNorm(new TinyLinear(5, 3, 13));
  const batch = nk.add(nk.mul(x64([64, 5], 14), 3), 2);
  const { std } = nk.dataDependentInit(lin, batch);
  assert.equal(std.length, 3);
  const y = lin.forward(batch);
  for (let f = 0; f < 3; f++) {
    let s = 0;
    let s2 = 0;
    for (let n = 0; n < 64; n++) s += y.data[n * 3 + f]!;
    const m = s / 64;
    for (let n = 0; n < 64; n++) s2 += (y.data[n * 3 + f]! - m) ** 2;
    assert.ok(Math.abs(m) < 1e-10, `feature ${f} mean ${m}`);
    assert.ok(Math.abs(Math.sqrt(s2 / 64) - 1) < 1e-6, `feature ${f} std ${Math.sqrt(s2 / 64)}`);
  }
  assert.throws(() => nk.dataDependentInit(new TinyLinear(5, 3), batch), /apply weightNorm to 'weight' of TinyLinear first/);
});

test('spectralNorm registers weight_orig and buffers weight_u, weight_v; errors', () => {
  const lin = nk.spectralNorm(new TinyLinear(3, 4, 20));
  assert.deepEqual(Object.keys(lin.stateDict()), ['bias', 'weight_orig', 'weight_u', 'weight_v']);
  assert.deepEqual(lin.namedParameters().map(([k]) => k), ['bias', 'weight_orig']);
  assert.deepEqual(lin.getBuffer('weight_u')!.shape, [4]);
  assert.deepEqual(lin.getBuffer('weight_v')!.shape, [3]);
  // u and v start normalized
  assertClose([Math.hypot(...lin.getBuffer('weight_u')!.data)], [1], { rtol: 1e-12 });
  assertClose([Math.hypot(...lin.getBuffer('weight_v')!.data)], [1], { rtol: 1e-12 });
  assert.throws(() => nk.spectralNorm(new TinyLinear(3, 4), { nPowerIterations: 0 }), /nPowerIterations to be a positive integer, got 0/);
  assert.throws(() => nk.spectralNorm(new TinyLinear(3, 4), { nPowerIterations: -2 }), /got -2/);
  assert.throws(() => nk.spectralNorm(new TinyLinear(3, 4), { dim: 2 }), /dim 2 is out of range/);
  assert.throws(() => nk.spectralNorm(lin), /already parametrized/);
});

test('spectralNorm: sigma of the normalized weight tends to 1 in training; eval leaves u and v alone', () => {
  for (const [make, dim, h, w] of [
    [() => new TinyLinear(6, 5, 21), 0, 5, 6],
    [() => new TinyLinear(6, 5, 22), 1, 6, 5],
  ] as const) {
    const lin = nk.spectralNorm(make(), { dim });
    const x = x64([2, 6], 23);
    for (let i = 0; i < 30; i++) lin.forward(x);
    lin.eval();
    const u0 = lin.getBuffer('weight_u')!.toList();
    const v0 = lin.getBuffer('weight_v')!.toList();
    for (let i = 0; i < 3; i++) lin.forward(x);
    assert.deepEqual(lin.getBuffer('weight_u')!.toList(), u0, 'eval must not change u');
    assert.deepEqual(lin.getBuffer('weight_v')!.toList(), v0, 'eval must not change v');
    const Wn = lin.param('weight')!;
    const M = dim === 0 ? Wn.data : nk.transpose(Wn, 0, 1).data;
    const s = sigmaMax(M, h, w);
    assert.ok(Math.abs(s - 1) < 1e-6, `dim ${dim}: sigma of W/sigma is ${s}`);
    // and the orig weight is untouched by normalization
    assertClose(lin.getParameter('weight_orig')!.data, make().getParameter('weight')!.data, { rtol: 0, atol: 0 });
  }
  // a 3-D weight is normalized as the matrix [shape[0], -1]
  const conv = nk.spectralNorm(new WeightOnly([3, 2, 4], 24));
  for (let i = 0; i < 30; i++) conv.forward();
  conv.eval();
  assert.ok(Math.abs(sigmaMax(conv.forward().data, 3, 8) - 1) < 1e-6);
});

test('spectralNorm training mode runs the power iteration; its gradient (u, v constant) matches finite differences', () => {
  const lin = nk.spectralNorm(new TinyLinear(4, 4, 30), { nPowerIterations: 1 });
  // perturb u away from the converged vector: a training forward must move it
  lin.getBuffer('weight_u')!.data.set([1, 0, 0, 0]);
  lin.forward(x64([1, 4], 31));
  assert.notDeepEqual(lin.getBuffer('weight_u')!.toList(), [1, 0, 0, 0]);
  lin.eval();
  const x = x64([3, 4], 32);
  check('spectralNorm weight_orig', () => lin.forward(x), [lin.getParameter('weight_orig')!, lin.getParameter('bias')!]);
  // round trip of parameters and buffers
  const b = nk.spectralNorm(new TinyLinear(4, 4, 33)).eval();
  b.loadStateDict(lin.stateDict());
  assert.deepEqual(b.forward(x).toList(), lin.forward(x).toList());
});

test('spectralNorm refines u and v with 15 power iterations at construction', () => {
  // A matrix with a clear spectral gap: after 15 iterations u.(W v) must be
  // close to sigma_max already (one random start alone would not be).
  const lin = new TinyLinear(6, 5, 41);
  const W = Float64Array.from(lin.getParameter('weight')!.data);
  const truth = sigmaMax(W, 5, 6);
  nk.spectralNorm(lin);
  const u = lin.getBuffer('weight_u')!.data;
  const v = lin.getBuffer('weight_v')!.data;
  let est = 0;
  for (let i = 0; i < 5; i++) for (let j = 0; j < 6; j++) est += u[i]! * W[i * 6 + j]! * v[j]!;
  assert.ok(Math.abs(est - truth) / truth < 2e-2, `sigma after construction ${est} vs ${truth}`);
});

test('removeSpectralNorm leaves a plain weight equal to W / sigma and removes u, v, orig', () => {
  const lin = new TinyLinear(4, 3, 43);
  nk.spectralNorm(lin);
  lin.eval();
  const before = nk.noGrad(() => lin.param('weight')!).toList();
  nk.removeSpectralNorm(lin);
  assert.equal(lin.isParametrized('weight'), false);
  assert.deepEqual(Object.keys(lin.stateDict()).sort(), ['bias', 'weight']);
  assertClose(lin.getParameter('weight')!.data, before, { atol: 0, rtol: 0 });
  assert.throws(() => nk.removeSpectralNorm(lin), /spectral_norm of 'weight' not found in TinyLinear/);
});

test('the fused weightNormCompose op equals g * v / ||v|| composed from generic ops, and its gradients match finite differences', () => {
  const cases: { shape: number[]; dim: number | null }[] = [
    { shape: [5, 3], dim: 0 }, { shape: [5, 3], dim: 1 }, { shape: [4, 3, 2], dim: 1 }, { shape: [4, 3, 2], dim: 2 }, { shape: [3, 4], dim: null },
  ];
  cases.forEach(({ shape, dim }, k) => {
    const v = nk.randn(shape, { dtype: 'float64', rng: new nk.Rng(100 + k) }).requiresGrad_();
    const gShape = dim === null ? [] : shape.map((d, i) => (i === dim ? d : 1));
    const g = nk.add(nk.rand(gShape, { dtype: 'float64', rng: new nk.Rng(200 + k) }), 0.5).detach().requiresGrad_();
    const axes = shape.map((_, i) => i).filter((i) => i !== dim);
    const composed = nk.mul(g, nk.div(v, nk.sqrt(nk.sum(nk.mul(v, v), axes, true))));
    assertClose(nk.F.weightNormCompose(g, v, dim).data, composed.data, { atol: 1e-15, rtol: 1e-13, msg: `dim ${dim}` });
    const r = nk.gradcheck((gg, vv) => nk.F.weightNormCompose(gg, vv, dim), [g, v]);
    assert.ok(r.ok, `dim ${dim}: ${JSON.stringify(r.worst)}`);
  });
  assert.throws(() => nk.F.weightNormCompose(nk.ones([2]), nk.ones([3, 4]), 0), /g must hold 3 values .* got shape \[2\]/);
});
