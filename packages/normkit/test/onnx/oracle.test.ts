/**
 * onnxruntime-node as an oracle: single-node ONNX models of each
 * normalization operator, run on random inputs, compared with normkit's
 * functional ops. Relative error (max|a - b| / max|b|) must stay below 1e-5.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import * as nk from '../../src/index.js';
import { OnnxGraph, elemTypeOf } from '../../src/onnx/graph.js';
import { relError } from '../helpers.js';

type Feeds = Record<string, nk.Tensor>;

/** Run a model in onnxruntime-node; returns the outputs as float arrays by name. */
async function runOrt(model: Uint8Array, feeds: Feeds): Promise<Record<string, { data: ArrayLike<number>; dims: readonly number[] }>> {
  const session = await ort.InferenceSession.create(model);
  const f: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) f[k] = new ort.Tensor(t.dtype, t.data, t.shape);
  const out = await session.run(f);
  const res: Record<string, { data: ArrayLike<number>; dims: readonly number[] }> = {};
  for (const [k, v] of Object.entries(out)) res[k] = { data: v.data as Float32Array, dims: v.dims };
  return res;
}

/** A one-node model: `input` (and optional initializers) -> op -> `output` (+ extra outputs). */
function singleNode(
  opset: number, op: string, x: nk.Tensor, inits: nk.Tensor[], attrs: Record<string, number | number[]>, extraOutputs: { name: string; shape: number[] }[] = [],
): Uint8Array {
  const g = new OnnxGraph(`${op}_test`, opset);
  const et = elemTypeOf(x.dtype);
  g.input('input', et, x.shape);
  const names = inits.map((t, i) => g.tensor(`p${i}`, t));
  g.node(op, ['input', ...names], attrs, { outputs: ['output', ...extraOutputs.map((o) => o.name)] });
  g.output('output', et, x.shape);
  for (const o of extraOutputs) g.output(o.name, et, o.shape);
  return g.finish();
}

const rnd = (shape: number[], seed: number, scale = 1, shift = 0, dtype: nk.DType = 'float32') => {
  const t = nk.randn(shape, { dtype, rng: new nk.Rng(seed) });
  for (let i = 0; i < t.size; i++) t.data[i] = t.data[i]! * scale + shift;
  return t;
};
const posRnd = (shape: number[], seed: number) => {
  const t = nk.rand(shape, { rng: new nk.Rng(seed) });
  for (let i = 0; i < t.size; i++) t.data[i] = 0.5 + t.data[i]!;
  return t;
};

function close(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5): void {
  const e = relError(got, want);
  assert.ok(e < tol, `${name}: relative error ${e.toExponential(3)} >= ${tol}`);
}

test('LayerNormalization-17 (onnxruntime) matches nk.F.layerNorm for random shapes and axes', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }), fc.nat(), fc.integer(), fc.boolean(), async (shape, k, seed, f64) => {
      const nd = 1 + (k % shape.length); // normalize over the last nd dims
      const dtype = f64 ? 'float64' : 'float32';
      const x = rnd(shape, seed >>> 0, 2, 0.5, dtype);
      const ns = shape.slice(shape.length - nd);
      const w = rnd(ns, (seed >>> 0) + 1, 1, 0, dtype);
      const b = rnd(ns, (seed >>> 0) + 2, 1, 0, dtype);
      const ref = nk.F.layerNorm(x, ns, w, b, 1e-5);
      const o = await runOrt(singleNode(17, 'LayerNormalization', x, [w, b], { axis: -nd, epsilon: 1e-5 }), { input: x });
      assert.deepEqual([...o.output!.dims], shape);
      close(`layerNorm ${JSON.stringify(shape)} axis ${-nd} ${dtype}`, o.output!.data, ref.data);
    }),
    { numRuns: 12 },
  );
});

test('RMSNormalization-23 (onnxruntime) matches nk.F.rmsNorm', async () => {
  for (const [shape, nd, eps] of [[[4, 8], 1, 1e-6], [[2, 3, 5], 2, 1e-5], [[3, 16], 1, 2 ** -23]] as const) {
    const x = rnd([...shape], 11 + nd, 1.5, 0.2);
    const ns = shape.slice(shape.length - nd);
    const w = rnd([...ns], 12);
    const ref = nk.F.rmsNorm(x, [...ns], w, eps);
    const o = await runOrt(singleNode(23, 'RMSNormalization', x, [w], { axis: -nd, epsilon: eps }), { input: x });
    close(`rmsNorm ${JSON.stringify(shape)}`, o.output!.data, ref.data);
  }
});

test('BatchNormalization-15 inference (onnxruntime) matches nk.F.batchNorm(training=false)', async () => {
  for (const shape of [[5, 3], [2, 4, 6], [2, 3, 4, 5]]) {
    const C = shape[1]!;
    const x = rnd(shape, 21, 2, 1);
    const [w, b, m] = [rnd([C], 22), rnd([C], 23), rnd([C], 24)];
    const v = posRnd([C], 25);
    const ref = nk.F.batchNorm(x, m, v, w, b, false, 0.1, 1e-5);
    const o = await runOrt(singleNode(15, 'BatchNormalization', x, [w, b, m, v], { epsilon: 1e-5 }), { input: x });
    close(`batchNorm eval ${JSON.stringify(shape)}`, o.output!.data, ref.data);
  }
});

test('BatchNormalization-15 training_mode=1 (onnxruntime CPU supports it) matches nk.F.batchNorm(training=true)', async () => {
  // ONNX's momentum is the decay of the old value: onnx 0.9 = PyTorch 0.1.
  const x = rnd([6, 3, 4], 31, 2, 1);
  const C = 3;
  const [w, b, m] = [rnd([C], 32), rnd([C], 33), rnd([C], 34)];
  const v = posRnd([C], 35);
  const model = singleNode(15, 'BatchNormalization', x, [w, b, m, v], { epsilon: 1e-5, momentum: 0.9, training_mode: 1 }, [
    { name: 'running_mean', shape: [C] }, { name: 'running_var', shape: [C] },
  ]);
  const o = await runOrt(model, { input: x });
  const rm = m.clone();
  const rvUnbiased = v.clone();
  const y = nk.F.batchNorm(x, rm, rvUnbiased, w, b, true, 0.1, 1e-5);
  close('batchNorm train output', o.output!.data, y.data);
  close('batchNorm train running_mean', o.running_mean!.data, rm.data);
  // ONNX-15 specifies the running variance update with the population (biased)
  // batch variance, while PyTorch (and nk.F.batchNorm) use the unbiased one.
  const rvBiased = v.clone();
  nk.F.batchNorm(x, m.clone(), rvBiased, w, b, true, 0.1, 1e-5, { unbiasedRunningVar: false });
  const eB = relError(o.running_var!.data, rvBiased.data);
  const eU = relError(o.running_var!.data, rvUnbiased.data);
  assert.ok(eB < 1e-5, `running_var vs biased update: ${eB} (vs unbiased: ${eU})`);
  assert.ok(eU > 1e-3, 'the unbiased (PyTorch) update differs, as documented');
});

test('GroupNormalization-21 (per-channel scale) (onnxruntime) matches nk.F.groupNorm', async () => {
  for (const [shape, G] of [[[2, 6, 5], 3], [[3, 4, 2, 3], 2], [[2, 4, 7], 4], [[1, 6, 4], 1]] as const) {
    const C = shape[1];
    const x = rnd([...shape], 41 + G, 2, -1);
    const [w, b] = [rnd([C], 42), rnd([C], 43)];
    const ref = nk.F.groupNorm(x, G, w, b, 1e-5);
    const o = await runOrt(singleNode(21, 'GroupNormalization', x, [w, b], { num_groups: G, epsilon: 1e-5 }), { input: x });
    close(`groupNorm ${JSON.stringify(shape)} G=${G}`, o.output!.data, ref.data);
  }
});

test('InstanceNormalization-22 (onnxruntime) matches nk.F.instanceNorm', async () => {
  for (const shape of [[2, 3, 8], [2, 2, 3, 4], [1, 2, 2, 2, 3]]) {
    const C = shape[1]!;
    const x = rnd(shape, 51, 3, 2);
    const [w, b] = [rnd([C], 52), rnd([C], 53)];
    const ref = nk.F.instanceNorm(x, null, null, w, b, true, 0.1, 1e-5);
    const o = await runOrt(singleNode(22, 'InstanceNormalization', x, [w, b], { epsilon: 1e-5 }), { input: x });
    close(`instanceNorm ${JSON.stringify(shape)}`, o.output!.data, ref.data);
  }
});

test('LpNormalization (onnxruntime) matches nk.F.normalize for p = 1, 2 and every axis', async () => {
  const shape = [3, 4, 5];
  const x = rnd(shape, 61, 2, 0.3);
  for (const p of [1, 2]) {
    for (let axis = -3; axis < 3; axis++) {
      const ref = nk.F.normalize(x, { p, dim: axis });
      const o = await runOrt(singleNode(22, 'LpNormalization', x, [], { axis, p }), { input: x });
      close(`normalize p=${p} axis=${axis}`, o.output!.data, ref.data);
    }
  }
});
