/**
 * Scheduler objects and clipping as torch.optim.lr_scheduler and
 * torch.nn.utils. Golden values: the closed forms in PyTorch's docs
 * (StepLR, CosineAnnealingLR, LinearLR) and OneCycleLR's _anneal_func over
 * its phase table, written out here; clipping by the definition of the
 * p-norm of all gradients concatenated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { assertClose } from '../helpers.js';

const param = (vals: number[]) => nk.tensor(vals, null, { dtype: 'float64', requiresGrad: true });
const setGrad = (p: nk.Tensor, g: number[]) => (p.grad = nk.tensor(g, null, { dtype: 'float64' }));

function lrs(make: (o: nk.optim.Optimizer) => nk.optim.LRScheduler, steps: number, lr = 1): number[][] {
  const opt = new nk.optim.SGD([{ params: [param([0])] }, { params: [param([0])], lr: lr * 2 }], { lr, momentum: 0.9 });
  const s = make(opt);
  const out = [opt.paramGroups.map((g) => g.lr)];
  for (let i = 0; i < steps; i++) {
    opt.step();
    s.step();
    out.push(opt.paramGroups.map((g) => g.lr));
  }
  return out;
}

test('StepLR, CosineAnnealingLR, LinearLR set group.lr from initial_lr by their closed forms', () => {
  // StepLR(step_size=2, gamma=0.5): base * 0.5^floor(t/2)
  assert.deepEqual(lrs((o) => new nk.optim.StepLR(o, 2, { gamma: 0.5 }), 5).map((r) => r[0]), [1, 1, 0.5, 0.5, 0.25, 0.25]);
  // Cosine(T_max=4, eta_min=0.1): 0.1 + (base - 0.1)(1 + cos(pi t / 4))/2, per group base
  const cos = lrs((o) => new nk.optim.CosineAnnealingLR(o, 4, { etaMin: 0.1 }), 4);
  for (let t = 0; t <= 4; t++) for (const [gi, base] of [[0, 1], [1, 2]] as const) {
    assertClose([cos[t]![gi]!], [0.1 + ((base - 0.1) * (1 + Math.cos((Math.PI * t) / 4))) / 2], { atol: 1e-15 });
  }
  // LinearLR(start 0.25, end 1, total 3): base (0.25 + 0.75 min(t, 3) / 3)
  assertClose(lrs((o) => new nk.optim.LinearLR(o, { startFactor: 0.25, totalIters: 3 }), 5).map((r) => r[0]!), [0.25, 0.5, 0.75, 1, 1, 1], { atol: 1e-15 });
  const opt = new nk.optim.SGD([param([0])], { lr: 0.3 });
  const s = new nk.optim.StepLR(opt, 1);
  assert.equal(opt.paramGroups[0]!.initialLr, 0.3);
  assert.deepEqual(s.getLastLr(), [0.3]);
  assert.deepEqual(opt.stateDict().param_groups[0]!.initial_lr, 0.3);
});

test('OneCycleLR follows PyTorch\'s two-phase cosine table, cycling momentum the other way', () => {
  // max_lr 1, total 10, pct 0.3, div 25, final_div 1e4: initial 0.04, min 4e-6
  // phase 1 ends at step 0.3*10 - 1 = 2: lr = cos_anneal(0.04, 1, t/2); phase 2 ends at 9: cos_anneal(1, 4e-6, (t-2)/7)
  const ann = (a: number, b: number, p: number) => b + ((a - b) / 2) * (Math.cos(Math.PI * p) + 1);
  const expectLr = (t: number) => (t <= 2 ? ann(0.04, 1, t / 2) : ann(1, 4e-6, (t - 2) / 7));
  const expectM = (t: number) => (t <= 2 ? ann(0.95, 0.85, t / 2) : ann(0.85, 0.95, (t - 2) / 7));
  const p = param([0]);
  const opt = new nk.optim.SGD([p], { lr: 0.1, momentum: 0.9 });
  const s = new nk.optim.OneCycleLR(opt, 1, { totalSteps: 10 });
  for (let t = 0; t < 10; t++) {
    assertClose([opt.paramGroups[0]!.lr, opt.paramGroups[0]!.momentum as number], [expectLr(t), expectM(t)], { atol: 1e-15, msg: `step ${t}` });
    setGrad(p, [1]);
    opt.step();
    if (t < 9) s.step();
  }
  // Adam: the momentum is betas[0]
  const a = new nk.optim.Adam([param([0])]);
  new nk.optim.OneCycleLR(a, 0.01, { epochs: 2, stepsPerEpoch: 5, annealStrategy: 'linear' });
  assert.deepEqual(a.paramGroups[0]!.betas, [0.95, 0.999]);
  assertClose([a.paramGroups[0]!.lr], [0.01 / 25], { atol: 1e-18 });
  assert.throws(() => new nk.optim.OneCycleLR(a, 1, {}), /totalSteps or \(epochs and stepsPerEpoch\)/);
});

test('clipGradNorm with any p (concatenated gradients) and Infinity; clipGradValue clamps', () => {
  const a = param([0, 0]);
  const b = param([0]);
  for (const pp of [1, 3, 2.5, Infinity]) {
    setGrad(a, [3, -4]);
    setGrad(b, [12]);
    const all = [3, -4, 12];
    const norm = pp === Infinity ? 12 : Math.pow(all.reduce((s, v) => s + Math.abs(v) ** pp, 0), 1 / pp);
    const total = nk.optim.clipGradNorm([a, b], 2, pp);
    assertClose([total], [norm], { atol: 1e-12 });
    const k = 2 / (norm + 1e-6);
    assertClose([...a.grad!.data, ...b.grad!.data], all.map((v) => v * k), { atol: 1e-12, msg: `p=${pp}` });
  }
  setGrad(a, [NaN, 1]);
  assert.throws(() => nk.optim.clipGradNorm([a], 1, 2, { errorIfNonfinite: true }), /non-finite/);
  setGrad(a, [3, -0.5]);
  nk.optim.clipGradValue([a, b], 1);
  assert.deepEqual([...a.grad!.data], [1, -0.5]);
  assert.throws(() => nk.optim.clipGradNorm([a], 1, 0), /normType must be a positive number or Infinity, got 0/);
});
