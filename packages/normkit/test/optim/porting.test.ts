/**
 * Optimizers as PyTorch 2.x: per-parameter Adam step counts, parameter
 * groups, amsgrad/maximize, state_dict round trips. Golden values come from
 * `refAdam` / `refSgd` below, a line-by-line transcription of
 * torch/optim/adam.py `_single_tensor_adam` and torch/optim/sgd.py
 * `_single_tensor_sgd` (float64, no foreach/fused paths), and from hand
 * arithmetic where noted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { assertClose } from '../helpers.js';

const param = (vals: number[]) => nk.tensor(vals, null, { dtype: 'float64', requiresGrad: true });
const setGrad = (p: nk.Tensor, g: number[]) => (p.grad = nk.tensor(g, null, { dtype: 'float64' }));

interface RefAdamState { step: number; m: number[]; v: number[]; vmax: number[] }
interface AdamCfg { lr: number; b1: number; b2: number; eps: number; wd: number; amsgrad: boolean; maximize: boolean; decoupled: boolean }

/** torch/optim/adam.py _single_tensor_adam, written out for one parameter (state advances only when a grad exists). */
function refAdam(p: number[], grad: number[] | null, s: RefAdamState, c: AdamCfg): void {
  if (!grad) return; // PyTorch: params with grad None are not in params_with_grad
  let g = c.maximize ? grad.map((x) => -x) : [...grad];
  s.step += 1;
  if (c.wd !== 0) {
    if (c.decoupled) for (let i = 0; i < p.length; i++) p[i] = p[i]! * (1 - c.lr * c.wd); // param.mul_(1 - lr * wd)
    else g = g.map((x, i) => x + c.wd * p[i]!); // grad.add(param, alpha=wd)
  }
  for (let i = 0; i < p.length; i++) {
    s.m[i] = s.m[i]! + (g[i]! - s.m[i]!) * (1 - c.b1); // exp_avg.lerp_(grad, 1 - beta1)
    s.v[i] = s.v[i]! * c.b2 + (1 - c.b2) * g[i]! * g[i]!; // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
  }
  const bc1 = 1 - c.b1 ** s.step;
  const bc2 = 1 - c.b2 ** s.step;
  const stepSize = c.lr / bc1;
  const bc2sqrt = Math.sqrt(bc2);
  for (let i = 0; i < p.length; i++) {
    let vv = s.v[i]!;
    if (c.amsgrad) vv = s.vmax[i] = Math.max(s.vmax[i]!, s.v[i]!); // torch.maximum(max_exp_avg_sqs[i], exp_avg_sq)
    const denom = Math.sqrt(vv) / bc2sqrt + c.eps;
    p[i] = p[i]! - stepSize * (s.m[i]! / denom); // param.addcdiv_(exp_avg, denom, value=-step_size)
  }
}

const adamCfg = (o: Partial<AdamCfg> = {}): AdamCfg => ({ lr: 0.1, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, amsgrad: false, maximize: false, decoupled: false, ...o });
const newState = (n: number): RefAdamState => ({ step: 0, m: Array(n).fill(0), v: Array(n).fill(0), vmax: Array(n).fill(0) });

// grads per step for two parameters; null = no gradient at that step (e.g. an unused embedding row's layer)
const GRADS_A = [[0.5, -1], [0.25, 2], [-3, 0.1], [1, 1]];
const GRADS_B: (number[] | null)[] = [[1], null, [-2], [0.5]];

for (const variant of [
  { name: 'Adam', make: (ps: nk.Tensor[]) => new nk.optim.Adam(ps, { lr: 0.1, weightDecay: 0.1 }), cfg: adamCfg({ wd: 0.1 }) },
  { name: 'AdamW', make: (ps: nk.Tensor[]) => new nk.optim.AdamW(ps, { lr: 0.1, weightDecay: 0.1 }), cfg: adamCfg({ wd: 0.1, decoupled: true }) },
  { name: 'Adam amsgrad', make: (ps: nk.Tensor[]) => new nk.optim.Adam(ps, { lr: 0.1, amsgrad: true }), cfg: adamCfg({ amsgrad: true }) },
  { name: 'AdamW amsgrad+maximize', make: (ps: nk.Tensor[]) => new nk.optim.AdamW(ps, { lr: 0.05, amsgrad: true, maximize: true, betas: [0.8, 0.9] }), cfg: adamCfg({ lr: 0.05, amsgrad: true, maximize: true, decoupled: true, b1: 0.8, b2: 0.9, wd: 0.01 }) },
]) {
  test(`${variant.name}: per-parameter step count (a parameter without a gradient does not advance), matches torch's _single_tensor_adam`, () => {
    const a = param([1, -2]);
    const b = param([3]);
    const opt = variant.make([a, b]);
    const ra = [1, -2];
    const rb = [3];
    const sa = newState(2);
    const sb = newState(1);
    for (let t = 0; t < GRADS_A.length; t++) {
      opt.zeroGrad();
      setGrad(a, GRADS_A[t]!);
      if (GRADS_B[t]) setGrad(b, GRADS_B[t]!);
      opt.step();
      refAdam(ra, GRADS_A[t]!, sa, variant.cfg);
      refAdam(rb, GRADS_B[t]!, sb, variant.cfg);
      assertClose(a.data, ra, { atol: 1e-14, rtol: 1e-13, msg: `a after step ${t + 1}` });
      assertClose(b.data, rb, { atol: 1e-14, rtol: 1e-13, msg: `b after step ${t + 1}` });
    }
    // b skipped one step: PyTorch's state['step'] is 3 for b, 4 for a
    assert.equal(opt.state.get(a)!.step, 4);
    assert.equal(opt.state.get(b)!.step, 3);
  });
}

test('Adam step-3 value for a parameter that missed step 2, by hand from the formula', () => {
  // b: grads 1 (t=1), none, -2 (t=2 for b, not 3). lr 0.1, no decay.
  // t=1: m=0.1, v=0.001; mhat=1, vhat=1 -> p = 3 - 0.1*1/(1+1e-8)
  // t=2: m=0.09-0.2=-0.11, v=0.000999+0.004=0.004999; bc1=0.19, bc2=1-0.998001=0.001999
  //      p -= 0.1/0.19 * -0.11 / (sqrt(0.004999)/sqrt(0.001999) + 1e-8)
  const p1 = 3 - 0.1 / (1 + 1e-8);
  const p2 = p1 + ((0.1 / 0.19) * 0.11) / (Math.sqrt(0.004999) / Math.sqrt(0.001999) + 1e-8);
  const b = param([3]);
  const a = param([0]);
  const opt = new nk.optim.Adam([a, b], { lr: 0.1 });
  setGrad(a, [1]); setGrad(b, [1]); opt.step();
  opt.zeroGrad(); setGrad(a, [1]); opt.step();
  setGrad(b, [-2]); opt.step();
  assertClose(b.data, [p2], { atol: 1e-13 });
});

test('SGD / Adam parameter groups: per-group options override the defaults, paramGroups is live (PyTorch semantics)', () => {
  // SGD: group 0 lr 0.1 (default), group 1 lr 0.01 with momentum 0.9; grad 1 everywhere.
  // step 1: p0 = 1 - 0.1 = 0.9;  p1 = 1 - 0.01*1 = 0.99 (buf = g)
  // step 2: p0 = 0.8;            buf = 0.9 + 1 = 1.9, p1 = 0.99 - 0.019 = 0.971
  const p0 = param([1]);
  const p1 = param([1]);
  const sgd = new nk.optim.SGD([{ params: [p0] }, { params: [p1], lr: 0.01, momentum: 0.9 }], { lr: 0.1 });
  assert.equal(sgd.paramGroups.length, 2);
  assert.equal(sgd.paramGroups[1]!.lr, 0.01);
  assert.equal(sgd.paramGroups[0]!.momentum, 0);
  for (let i = 0; i < 2; i++) { setGrad(p0, [1]); setGrad(p1, [1]); sgd.step(); }
  assertClose([p0.data[0]!, p1.data[0]!], [0.8, 0.971], { atol: 1e-15 });
  // setting a group's lr between steps (as PyTorch schedulers do) takes effect
  sgd.paramGroups[0]!.lr = 1;
  setGrad(p0, [1]); sgd.step();
  assertClose([p0.data[0]!], [-0.2], { atol: 1e-15 });
  // a single group without the constructor's lr (PyTorch's default lr 1e-3)
  const q = param([1]);
  new nk.optim.SGD([{ params: [q], lr: 0.5 }]).paramGroups[0]!.lr === 0.5 || assert.fail('group lr');
  // AdamW: no weight decay on group 1 (the usual "no decay for norms and biases" setup)
  const w = param([1, 2]);
  const bias = param([0.5]);
  const opt = new nk.optim.AdamW([{ params: [w] }, { params: [bias], weightDecay: 0 }], { lr: 0.1, weightDecay: 0.5 });
  const rw = [1, 2]; const rb = [0.5];
  const sw = newState(2); const sb = newState(1);
  for (const g of [[1, -1], [0.5, 2]]) {
    setGrad(w, g); setGrad(bias, [g[0]!]);
    opt.step();
    refAdam(rw, g, sw, adamCfg({ wd: 0.5, decoupled: true }));
    refAdam(rb, [g[0]!], sb, adamCfg({ wd: 0, decoupled: true }));
  }
  assertClose(w.data, rw, { atol: 1e-14 });
  assertClose(bias.data, rb, { atol: 1e-14 });
  // errors: unknown group option, a parameter in two groups, mixing tensors and groups
  assert.throws(() => new nk.optim.Adam([{ params: [w], weight_decay: 0 } as never]), (e: Error) => e instanceof TypeError && /unknown option 'weight_decay'.*did you mean 'weightDecay'/.test(e.message));
  assert.throws(() => new nk.optim.SGD([{ params: [w] }, { params: [w] }], { lr: 1 }), /more than one parameter group/);
  assert.throws(() => new nk.optim.SGD([w, { params: [bias] }] as never, { lr: 1 }), /mixes tensors and parameter groups/);
  assert.throws(() => new nk.optim.SGD([{ params: [w], lr: -1 }]), /invalid learning rate -1/);
  // addParamGroup, and the flat params list in group order
  const extra = param([0]);
  opt.addParamGroup({ params: [extra], lr: 0.2 });
  assert.deepEqual(opt.params, [w, bias, extra]);
  assert.equal(opt.paramGroups[2]!.weightDecay, 0.5);
});

test('SGD maximize and Adam maximize step uphill (torch: grad = -grad first)', () => {
  const p = param([1]);
  const opt = new nk.optim.SGD([p], { lr: 0.1, maximize: true, weightDecay: 0.5 });
  setGrad(p, [2]);
  opt.step();
  // g = -2 + 0.5 * 1 = -1.5; p = 1 + 0.15
  assertClose(p.data, [1.15], { atol: 1e-15 });
});

test('optimizer stateDict has PyTorch layout; loadStateDict resumes training exactly', () => {
  const make = () => [param([1, -2, 0.5]), param([3])];
  const grads = [[[0.5, -1, 2], [1]], [[0.25, 2, -1], [-0.5]], [[-3, 0.1, 0.2], [2]], [[1, 1, 1], [0.3]], [[0.7, -0.2, 0.1], [-1]]];
  const run = (ps: nk.Tensor[], opt: nk.optim.Optimizer, from: number, to: number) => {
    for (let t = from; t < to; t++) {
      ps.forEach((p, i) => setGrad(p, grads[t]![i]!));
      opt.step();
    }
  };
  for (const mk of [
    (ps: nk.Tensor[]) => new nk.optim.Adam([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.01 }], { lr: 0.1, amsgrad: true }),
    (ps: nk.Tensor[]) => new nk.optim.AdamW(ps, { lr: 0.1 }),
    (ps: nk.Tensor[]) => new nk.optim.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }),
  ]) {
    const full = make();
    run(full, mk(full), 0, 5);
    const first = make();
    const o1 = mk(first);
    run(first, o1, 0, 3);
    const sd = o1.stateDict();
    // layout: indices in param order, PyTorch key names
    assert.deepEqual(Object.keys(sd.state).map(Number), [0, 1]);
    assert.ok(sd.param_groups.every((g) => Array.isArray(g.params)));
    assert.deepEqual(sd.param_groups.flatMap((g) => g.params), [0, 1]);
    if (o1 instanceof nk.optim.Adam) {
      assert.equal(sd.state[0]!.step, 3);
      assert.ok(sd.state[0]!.exp_avg instanceof nk.Tensor && sd.state[0]!.exp_avg_sq instanceof nk.Tensor);
      assert.deepEqual((sd.state[0]!.exp_avg as nk.Tensor).shape, [3]);
      assert.ok('weight_decay' in sd.param_groups[0]! && 'betas' in sd.param_groups[0]! && 'amsgrad' in sd.param_groups[0]!);
    } else {
      assert.ok(sd.state[0]!.momentum_buffer instanceof nk.Tensor);
    }
    // resume in a fresh optimizer on copies of the parameters
    const resumed = first.map((p) => param([...p.data]));
    const o2 = mk(resumed);
    // a PyTorch-written dict carries implementation switches; they are accepted
    for (const g of sd.param_groups) Object.assign(g, { foreach: null, fused: null, capturable: false, differentiable: false });
    o2.loadStateDict(sd);
    run(resumed, o2, 3, 5);
    resumed.forEach((p, i) => assertClose(p.data, full[i]!.data, { atol: 0, rtol: 0, msg: `param ${i}` }));
  }
  // mismatches are named
  const o = new nk.optim.Adam([param([1])]);
  assert.throws(() => o.loadStateDict({ state: {}, param_groups: [] }), /1 parameter groups|has 0 parameter groups/);
  assert.throws(() => o.loadStateDict({ state: {}, param_groups: [{ params: [0], bogus: 1 }] }), /unknown option 'bogus'/);
  // step stored as a one-element tensor, as PyTorch writes it
  const p = param([1]);
  const o3 = new nk.optim.Adam([p], { lr: 0.1 });
  o3.loadStateDict({ state: { 0: { step: nk.tensor([2]), exp_avg: nk.tensor([0.1]), exp_avg_sq: nk.tensor([0.01]) } }, param_groups: [{ params: [0], lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false }] });
  assert.equal(o3.state.get(p)!.step, 2);
});
