import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { check, f64, toF64 } from './helpers.js';

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** W x + b for row `r` of a [G, K] weight. */
function affine(W: ArrayLike<number>, b: ArrayLike<number>, x: ArrayLike<number>, r: number, K: number, off = 0): number {
  let s = b[r]!;
  for (let k = 0; k < K; k++) s += W[r * K + k]! * x[off + k]!;
  return s;
}

test('GRUCell and LSTMCell match PyTorch formulas written out element by element', () => {
  const I = 3;
  const H = 2;
  const B = 2;
  const x = f64([B, I], 1);
  const h = f64([B, H], 2);
  const c = f64([B, H], 3);
  const gru = toF64(new nk.nn.GRUCell(I, H, { rng: new nk.Rng(4) }));
  const p = (m: nk.Module, n: string) => m.getParameter(n)!.data;
  const ref: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const gi = (g: number) => affine(p(gru, 'weight_ih'), p(gru, 'bias_ih'), x.data, g * H + j, I, b * I);
      const gh = (g: number) => affine(p(gru, 'weight_hh'), p(gru, 'bias_hh'), h.data, g * H + j, H, b * H);
      const r = sig(gi(0) + gh(0));
      const z = sig(gi(1) + gh(1));
      const n = Math.tanh(gi(2) + r * gh(2));
      ref.push((1 - z) * n + z * h.data[b * H + j]!);
    }
  }
  assertClose(gru.forward(x, h).data, ref, { atol: 1e-14 });
  assert.deepEqual(Object.keys(gru.stateDict()), ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']);
  assert.deepEqual(gru.getParameter('weight_ih')!.shape, [3 * H, I]);

  const lstm = toF64(new nk.nn.LSTMCell(I, H, { rng: new nk.Rng(5) }));
  const hRef: number[] = [];
  const cRef: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const a = (g: number) => affine(p(lstm, 'weight_ih'), p(lstm, 'bias_ih'), x.data, g * H + j, I, b * I)
        + affine(p(lstm, 'weight_hh'), p(lstm, 'bias_hh'), h.data, g * H + j, H, b * H);
      const cn = sig(a(1)) * c.data[b * H + j]! + sig(a(0)) * Math.tanh(a(2));
      cRef.push(cn);
      hRef.push(sig(a(3)) * Math.tanh(cn));
    }
  }
  const [h1, c1] = lstm.forward(x, [h, c]);
  assertClose(h1.data, hRef, { atol: 1e-14 });
  assertClose(c1.data, cRef, { atol: 1e-14 });
  // omitted state = zeros
  assertClose(lstm.forward(x)[0].data, lstm.forward(x, [nk.zeros([B, H], { dtype: 'float64' }), nk.zeros([B, H], { dtype: 'float64' })])[0].data, { atol: 0 });
});

test('recurrent cells: every gradient matches finite differences, with and without layerNorm', () => {
  for (const layerNorm of [false, true]) {
    const gru = toF64(new nk.nn.GRUCell(3, 4, { layerNorm, rng: new nk.Rng(6) }));
    if (layerNorm) for (const [k, t] of gru.namedParameters()) if (k.startsWith('ln')) nk.nn.init.uniform_(t, 0.5, 1.5, { rng: new nk.Rng(7) });
    check(`gru ln=${layerNorm}`, (x, h) => gru.forward(x, h), [f64([2, 3], 8), f64([2, 4], 9), ...gru.parameters()], { maxPerInput: 24 });
    const lstm = toF64(new nk.nn.LSTMCell(3, 4, { layerNorm, rng: new nk.Rng(10) }));
    if (layerNorm) for (const [k, t] of lstm.namedParameters()) if (k.startsWith('ln')) nk.nn.init.uniform_(t, 0.5, 1.5, { rng: new nk.Rng(11) });
    const inputs = [f64([2, 3], 12), f64([2, 4], 13), f64([2, 4], 14), ...lstm.parameters()];
    // check h' and c' together through one output
    check(`lstm ln=${layerNorm}`, (x, h, c) => {
      const [h1, c1] = lstm.forward(x, [h!, c!]);
      return nk.concat([h1, c1], 1);
    }, inputs, { maxPerInput: 24 });
  }
});

test('layer-normalized cells are invariant to re-scaling the weight matrices (Ba et al. 2016, Table 1)', () => {
  const lstm = toF64(new nk.nn.LSTMCell(3, 4, { layerNorm: true, eps: 0, rng: new nk.Rng(15) }));
  const x = f64([2, 3], 16);
  const h = f64([2, 4], 17);
  const c = f64([2, 4], 18);
  const [y0] = lstm.forward(x, [h, c]);
  for (const n of ['weight_ih', 'weight_hh']) for (let i = 0; i < lstm.getParameter(n)!.size; i++) lstm.getParameter(n)!.data[i] *= 7;
  const [y1] = lstm.forward(x, [h, c]);
  assertClose(y1.data, y0.data, { atol: 1e-12 });
  // without layerNorm the same re-scaling changes the output
  const plain = toF64(new nk.nn.LSTMCell(3, 4, { rng: new nk.Rng(15) }));
  const [p0] = plain.forward(x, [h, c]);
  for (let i = 0; i < plain.getParameter('weight_ih')!.size; i++) plain.getParameter('weight_ih')!.data[i] *= 7;
  assert.notDeepEqual(plain.forward(x, [h, c])[0].toList(), p0.toList());
});

test('layerNorm cells: names, gain init, errors', () => {
  const lstm = new nk.nn.LSTMCell(3, 4, { layerNorm: true, lnGain: 0.1 });
  assert.deepEqual(Object.keys(lstm.stateDict()), ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh', 'ln_ih.weight', 'ln_hh.weight', 'ln_cell.weight', 'ln_cell.bias']);
  for (const [k, t] of lstm.namedParameters()) if (k.endsWith('.weight')) assert.ok(t.toList().every((v) => Math.abs(v - 0.1) < 1e-7), k);
  const gru = new nk.nn.GRUCell(3, 4, { layerNorm: true, lnGain: 0.5 });
  assert.ok(gru.lnIh!.weight!.toList().every((v) => v === 0.5));
  assert.equal(gru.toString().split('\n')[0], 'GRUCell(3, 4, layerNorm=true');
  const k = 1 / 2;
  assert.ok(new nk.nn.GRUCell(3, 4).getParameter('weight_hh')!.toList().every((v) => Math.abs(v) <= k));
  assert.throws(() => gru.forward(nk.ones([2, 5])), /expected input with shape \[B, 3\], got \[2, 5\]/);
  assert.throws(() => gru.forward(nk.ones([2, 3]), nk.ones([3, 4])), /expected hidden state with shape \[2, 4\], got \[3, 4\]/);
  assert.throws(() => lstm.forward(nk.ones([2, 3]), [nk.ones([2, 4]), nk.ones([2, 5])]), /expected cell state with shape \[2, 4\], got \[2, 5\]/);
});
