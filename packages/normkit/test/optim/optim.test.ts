import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { assertClose } from '../helpers.js';

const param = (vals: number[]) => nk.tensor(vals, null, { dtype: 'float64', requiresGrad: true });
const setGrad = (p: nk.Tensor, g: number[]) => (p.grad = nk.tensor(g, null, { dtype: 'float64' }));

test('SGD: plain, momentum (PyTorch buffer convention), nesterov and weight decay match hand computation', () => {
  // momentum 0.9, lr 0.1, grad [0.5, 1] twice:
  // step 1: buf = g = [0.5, 1]; p = [1, -2] - 0.1 buf = [0.95, -2.1]
  // step 2: buf = 0.9 [0.5, 1] + [0.5, 1] = [0.95, 1.9]; p = [0.855, -2.29]
  const p = param([1, -2]);
  const opt = new nk.optim.SGD([p], { lr: 0.1, momentum: 0.9 });
  setGrad(p, [0.5, 1]);
  opt.step();
  assertClose(p.data, [0.95, -2.1], { atol: 1e-15 });
  setGrad(p, [0.5, 1]);
  opt.step();
  assertClose(p.data, [0.855, -2.29], { atol: 1e-15 });
  // nesterov: step 1 uses g + mu buf = 1.9 g
  const q = param([1]);
  const nes = new nk.optim.SGD([q], { lr: 0.1, momentum: 0.9, nesterov: true });
  setGrad(q, [2]);
  nes.step();
  assertClose(q.data, [1 - 0.1 * 1.9 * 2], { atol: 1e-15 });
  // step 2: buf = 0.9*2 + 2 = 3.8; update g + 0.9 buf = 2 + 3.42 = 5.42
  setGrad(q, [2]);
  nes.step();
  assertClose(q.data, [1 - 0.38 - 0.542], { atol: 1e-15 });
  // weight decay adds wd p to the gradient: g = 1 + 0.5 * 2 = 2
  const r = param([2]);
  const wd = new nk.optim.SGD([r], { lr: 0.25, weightDecay: 0.5 });
  setGrad(r, [1]);
  wd.step();
  assertClose(r.data, [2 - 0.25 * 2], { atol: 1e-15 });
});

test('Adam and AdamW match the formulas over two steps (values from a float64 Python transcription)', () => {
  // p0 = 1, grads 0.5 then -1, lr 0.1, betas (0.9, 0.999), eps 1e-8
  const run = (make: (ps: nk.Tensor[]) => nk.optim.Optimizer) => {
    const p = param([1]);
    const opt = make([p]);
    const out: number[] = [];
    for (const g of [0.5, -1]) {
      setGrad(p, [g]);
      opt.step();
      out.push(p.data[0]!);
    }
    return out;
  };
  assertClose(run((ps) => new nk.optim.Adam(ps, { lr: 0.1 })), [0.900000002, 0.9366103542405654], { atol: 1e-14 });
  assertClose(run((ps) => new nk.optim.Adam(ps, { lr: 0.1, weightDecay: 0.1 })), [0.9000000016666666, 0.9252635194456061], { atol: 1e-14 });
  assertClose(run((ps) => new nk.optim.AdamW(ps, { lr: 0.1, weightDecay: 0.1 })), [0.890000002, 0.9177103542205653], { atol: 1e-14 });
  // AdamW's default weight decay is 0.01, Adam's 0
  assert.equal(new nk.optim.AdamW([param([0])]).weightDecay, 0.01);
  assert.equal(new nk.optim.Adam([param([0])]).weightDecay, 0);
  assert.equal(new nk.optim.Adam([param([0])]).lr, 1e-3);
});

test('optimizers skip parameters without gradients; zeroGrad clears; lr is settable; errors name values', () => {
  const a = param([1]);
  const b = param([1]);
  const opt = new nk.optim.SGD([a, b], { lr: 1 });
  setGrad(a, [1]);
  opt.step();
  assert.deepEqual([a.data[0], b.data[0]], [0, 1]);
  opt.lr = 0.5;
  setGrad(b, [1]);
  opt.step();
  assert.deepEqual([a.data[0], b.data[0]], [-0.5, 0.5]);
  opt.zeroGrad();
  assert.equal(a.grad, null);
  assert.throws(() => new nk.optim.SGD([a], { lr: -1 }), /invalid learning rate -1/);
  assert.throws(() => new nk.optim.Adam([a], { betas: [1, 0.9] }), /invalid betas \[1, 0.9\]/);
  assert.throws(() => new nk.optim.SGD([a, a], { lr: 1 }), /appears twice/);
  assert.throws(() => new nk.optim.SGD([], { lr: 1 }), /empty parameter list/);
  assert.throws(() => new nk.optim.SGD([a], { lr: 1, nesterov: true }), /nesterov momentum requires a momentum > 0/);
});

test('schedules give the stated multipliers at known steps, and optimizers apply them', () => {
  const s = nk.optim.schedules;
  assert.equal(s.constant()(7), 1);
  const w = s.linearWarmup(4);
  assert.deepEqual([1, 2, 4, 10].map(w), [0.25, 0.5, 1, 1]);
  assert.equal(s.linearWarmup(0)(1), 1);
  const inv = s.inverseSqrt(4);
  assert.deepEqual([2, 4, 16, 64].map(inv), [0.5, 1, 0.5, 0.25]);
  const cos = s.cosine(10, { warmupSteps: 2, minFactor: 0.1 });
  assertClose([1, 2, 6, 10, 20].map(cos), [0.5, 1, 0.55, 0.1, 0.1], { atol: 1e-15 });
  assertClose([0, 5, 10].map(s.cosine(10)), [1, 0.5, 0], { atol: 1e-15 });
  assert.throws(() => s.cosine(10, { warmupSteps: 10 }), /warmupSteps \(10\) must be smaller than totalSteps \(10\)/);
  assert.throws(() => s.linearWarmup(-1), /warmupSteps must be an integer >= 0, got -1/);
  // SGD with lr 1 and a warm-up of 2: updates of 0.5 then 1
  const p = param([0]);
  const opt = new nk.optim.SGD([p], { lr: 1, schedule: s.linearWarmup(2) });
  setGrad(p, [1]);
  opt.step();
  assert.equal(opt.lastLr, 0.5);
  assert.equal(p.data[0], -0.5);
  setGrad(p, [1]);
  opt.step();
  assert.equal(p.data[0], -1.5);
  assert.equal(opt.stepCount, 2);
});

test('clipGradNorm scales all gradients together and returns the total norm before clipping', () => {
  const a = param([0, 0]);
  const b = param([0]);
  const c = param([0]); // no gradient: ignored
  setGrad(a, [3, 4]);
  setGrad(b, [12]);
  const total = nk.optim.clipGradNorm([a, b, c], 6.5);
  assertClose([total], [13], { atol: 1e-12 });
  const k = 6.5 / (13 + 1e-6);
  assertClose([...a.grad!.data, ...b.grad!.data], [3 * k, 4 * k, 12 * k], { atol: 1e-12 });
  assert.equal(c.grad, null);
  setGrad(a, [3, 4]);
  assert.equal(nk.optim.clipGradNorm([a], 10), 5);
  assert.deepEqual(a.grad!.toList(), [3, 4]);
  setGrad(a, [3, -8]);
  assert.equal(nk.optim.clipGradNorm([a], 4, Infinity), 8);
  assertClose(a.grad!.data, [1.5, -4], { atol: 1e-6 });
});
