/**
 * Losses with PyTorch's options. Golden values: `refCE` writes out
 * PyTorch's cross_entropy (aten LossNLL.cpp: nll_loss_nd on log_softmax,
 * plus cross_entropy_loss_label_smoothing's smooth term and its weighted
 * mean), the probability-target branch (cross_entropy_loss_prob_target),
 * and the documented formulas of huber_loss, smooth_l1_loss and
 * binary_cross_entropy_with_logits. Gradients: float64 finite differences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { check, f64 } from './helpers.js';

function logSoftmaxRow(r: number[]): number[] {
  const m = Math.max(...r);
  const lse = m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
  return r.map((v) => v - lse);
}

/** rows [M][C], targets [M]: PyTorch's cross_entropy with weight / ignore_index / label_smoothing / reduction. */
function refCE(rows: number[][], t: number[], o: { w?: number[]; ii?: number; eps?: number; red?: 'mean' | 'sum' | 'none' }): number | number[] {
  const C = rows[0]!.length;
  const w = o.w ?? Array(C).fill(1);
  const ii = o.ii ?? -100;
  const eps = o.eps ?? 0;
  const lp = rows.map(logSoftmaxRow);
  const nll = t.map((ti, i) => (ti === ii ? 0 : -w[ti]! * lp[i]![ti]!)); // nll_loss_nd, reduction none
  const smooth = lp.map((r, i) => (t[i] === ii ? 0 : -r.reduce((s, v, c) => s + v * w[c]!, 0))); // -(input * weight).sum(class_dim), masked
  const wsum = t.reduce((s, ti) => s + (ti === ii ? 0 : w[ti]!), 0);
  const per = nll.map((v, i) => (1 - eps) * v + (eps / C) * smooth[i]!);
  if (o.red === 'none') return per;
  const total = per.reduce((a, b) => a + b, 0);
  return o.red === 'sum' ? total : total / wsum; // nll mean and smooth mean are both / sum of target weights
}

test('crossEntropy: weight, ignoreIndex, labelSmoothing, reduction match PyTorch\'s formulas', () => {
  const x = f64([5, 4], 1, 2);
  const rows = Array.from({ length: 5 }, (_, i) => [...x.data.slice(i * 4, i * 4 + 4)]);
  const t = [1, 3, -100, 0, 3];
  const w = [0.5, 2, 1, 3];
  const wt = nk.tensor(w, null, { dtype: 'float64' });
  for (const eps of [0, 0.1]) {
    for (const red of ['mean', 'sum', 'none'] as const) {
      const got = nk.F.crossEntropy(x, t, { weight: wt, labelSmoothing: eps, reduction: red });
      const ref = refCE(rows, t, { w, eps, red });
      assertClose(got.data, Array.isArray(ref) ? ref : [ref], { atol: 1e-14, msg: `eps ${eps} ${red}` });
      if (red === 'none') assert.deepEqual(got.shape, [5]);
    }
  }
  // ignoreIndex other than -100, no weight
  const t2 = [1, 3, 2, 0, 2];
  assertClose([nk.F.crossEntropy(x, t2, { ignoreIndex: 2 }).item()], [refCE(rows, t2, { ii: 2 }) as number], { atol: 1e-14 });
  // the default path agrees with the composed one
  assertClose([nk.F.crossEntropy(x, [1, 3, 2, 0, 2]).item()], [refCE(rows, t2, {}) as number], { atol: 1e-14 });
  check('ce weight+smoothing+ignore', (xx) => nk.F.crossEntropy(xx!, t, { weight: wt, labelSmoothing: 0.2 }), [x]);
  // CrossEntropyLoss module, weight as a buffer (as PyTorch's state_dict)
  const ce = new nk.nn.CrossEntropyLoss({ weight: wt, labelSmoothing: 0.1 });
  assert.deepEqual(Object.keys(ce.stateDict()), ['weight']);
  assertClose([ce.forward(x, t).item()], [refCE(rows, t, { w, eps: 0.1 }) as number], { atol: 1e-14 });
});

test('crossEntropy on [N, C, d1, d2] logits equals the per-position [N d1 d2, C] computation; probability targets with smoothing', () => {
  const x = f64([2, 3, 2, 2], 2);
  const t = nk.tensor([[[0, 2], [1, 1]], [[2, -100], [0, 1]]]);
  // rows: position (n, i, j) takes x[n, :, i, j]
  const rows: number[][] = [];
  const tf: number[] = [];
  for (let n = 0; n < 2; n++) for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) {
    rows.push([0, 1, 2].map((c) => x.data[((n * 3 + c) * 2 + i) * 2 + j]!));
    tf.push(t.data[(n * 2 + i) * 2 + j]!);
  }
  assertClose([nk.F.crossEntropy(x, t).item()], [refCE(rows, tf, {}) as number], { atol: 1e-14 });
  const none = nk.F.crossEntropy(x, t, { reduction: 'none' });
  assert.deepEqual(none.shape, [2, 2, 2]);
  assertClose(none.data, refCE(rows, tf, { red: 'none' }) as number[], { atol: 1e-14 });
  check('ce [N,C,d,d]', (xx) => nk.F.crossEntropy(xx!, t, { labelSmoothing: 0.1 }), [x]);
  // probabilities: q = (1 - e) p + e / C; l_i = -sum_c w_c q_ic lp_ic; mean over rows (cross_entropy_loss_prob_target)
  const lg = f64([3, 4], 3);
  const p = nk.softmax(f64([3, 4], 4)).detach();
  const w = [1, 2, 0.5, 1];
  let total = 0;
  for (let i = 0; i < 3; i++) {
    const lp = logSoftmaxRow([...lg.data.slice(i * 4, i * 4 + 4)]);
    for (let c = 0; c < 4; c++) total -= w[c]! * (0.8 * p.data[i * 4 + c]! + 0.2 / 4) * lp[c]!;
  }
  assertClose([nk.F.crossEntropy(lg, p, { labelSmoothing: 0.2, weight: nk.tensor(w, null, { dtype: 'float64' }) }).item()], [total / 3], { atol: 1e-14 });
  assert.throws(() => nk.F.crossEntropy(lg, p, { ignoreIndex: 1 }), /ignoreIndex is not supported with probability targets/);
});

test('nllLoss, mse/l1/huber/smoothL1, bceWithLogits follow the PyTorch formulas with reduction', () => {
  const lp = nk.logSoftmax(f64([4, 3], 5)).detach().requiresGrad_();
  const rows = Array.from({ length: 4 }, (_, i) => [...lp.data.slice(i * 3, i * 3 + 3)]);
  // nll: -w[t] lp[t] / sum w[t]
  const w = [1, 2, 3];
  const t = [2, 0, 1, 2];
  const nll = t.reduce((s, ti, i) => s - w[ti]! * rows[i]![ti]!, 0) / t.reduce((s, ti) => s + w[ti]!, 0);
  assertClose([nk.F.nllLoss(lp, t, { weight: nk.tensor(w, null, { dtype: 'float64' }) }).item()], [nll], { atol: 1e-14 });
  const a = f64([6], 6, 2);
  const b = f64([6], 7, 2);
  const d = [...a.data].map((v, i) => v - b.data[i]!);
  const sumOf = (xs: number[]) => xs.reduce((s, v) => s + v, 0);
  assertClose([nk.F.mseLoss(a, b, { reduction: 'sum' }).item()], [sumOf(d.map((v) => v * v))], { atol: 1e-13 });
  assertClose(nk.F.l1Loss(a, b, { reduction: 'none' }).data, d.map(Math.abs), { atol: 1e-15 });
  // huber: 0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta)
  const hub = (delta: number) => d.map((v) => (Math.abs(v) < delta ? 0.5 * v * v : delta * (Math.abs(v) - 0.5 * delta)));
  assertClose([nk.F.huberLoss(a, b, { delta: 1.5 }).item()], [sumOf(hub(1.5)) / 6], { atol: 1e-14 });
  assertClose([new nk.nn.HuberLoss({ delta: 0.7, reduction: 'sum' }).forward(a, b).item()], [sumOf(hub(0.7))], { atol: 1e-13 });
  // smooth L1: 0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta
  const sl1 = d.map((v) => (Math.abs(v) < 0.5 ? (0.5 * v * v) / 0.5 : Math.abs(v) - 0.25));
  assertClose([nk.F.smoothL1Loss(a, b, { beta: 0.5 }).item()], [sumOf(sl1) / 6], { atol: 1e-14 });
  check('huber', (x, y) => nk.F.huberLoss(x!, y!, { delta: 1.5 }), [a, b]);
  // BCE with logits: (1 - y) x + (1 + (pw - 1) y) (log(1 + e^-|x|) + max(-x, 0)), times weight (PyTorch's implementation)
  const x = f64([2, 3], 8, 3);
  const y = nk.rand([2, 3], { dtype: 'float64', rng: new nk.Rng(9) });
  const pw = [2, 0.5, 1];
  const wt = [1, 0.5, 2, 1, 1, 3];
  const bce = [...x.data].map((v, i) => {
    const yy = y.data[i]!;
    const lw = 1 + (pw[i % 3]! - 1) * yy;
    return wt[i]! * ((1 - yy) * v + lw * (Math.log1p(Math.exp(-Math.abs(v))) + Math.max(-v, 0)));
  });
  const wT = nk.tensor(wt, [2, 3], { dtype: 'float64' });
  const pwT = nk.tensor(pw, null, { dtype: 'float64' });
  assertClose(nk.F.bceWithLogits(x, y, { weight: wT, posWeight: pwT, reduction: 'none' }).data, bce, { atol: 1e-14 });
  const mod = new nk.nn.BCEWithLogitsLoss({ weight: wT, posWeight: pwT });
  assert.deepEqual(Object.keys(mod.stateDict()), ['weight', 'pos_weight']);
  assertClose([mod.forward(x, y).item()], [sumOf(bce) / 6], { atol: 1e-14 });
  check('bceWithLogits', (xx, yy) => nk.F.bceWithLogits(xx!, yy!, { posWeight: pwT }), [x, y.requiresGrad_()]);
  // at x = 0 exactly (a zero-initialized head) the gradient is sigmoid(0) - y = 0.5 - y, not 0
  const z = nk.zeros([2], { dtype: 'float64', requiresGrad: true });
  nk.F.bceWithLogits(z, nk.tensor([1, 0], null, { dtype: 'float64' }), { reduction: 'sum' }).backward();
  assertClose(z.grad!.data, [-0.5, 0.5], { atol: 1e-15 });
  assertClose([new nk.nn.MSELoss().forward(a, b).item()], [sumOf(d.map((v) => v * v)) / 6], { atol: 1e-14 });
});
