/**
 * nn.RNN / nn.GRU / nn.LSTM against `ref` below: the equations of PyTorch's
 * docs for torch.nn.RNN/GRU/LSTM written out with plain numbers (gate order
 * r,z,n and i,f,g,o; layer l > 0 reads both directions concatenated; the
 * reverse direction runs t = T-1..0). Gradients: float64 finite differences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { check, f64 } from './helpers.js';

type Mode = 'tanh' | 'relu' | 'gru' | 'lstm';
const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** x: [T][B][I] plain numbers; returns output [T][B][D*H], hN [L*D][B][H]. */
function ref(mode: Mode, m: nk.Module, x: number[][][], L: number, D: number, H: number, h0?: number[][][], c0?: number[][][]) {
  const sd = m.stateDict();
  const mat = (k: string) => { const t = sd[k]!; const [r, c] = t.shape as [number, number]; return Array.from({ length: r }, (_, i) => [...t.data.slice(i * c, i * c + c)]); };
  const vec = (k: string) => (sd[k] ? [...sd[k]!.data] : null);
  const mv = (W: number[][], v: number[], b: number[] | null) => W.map((row, i) => row.reduce((s, w, j) => s + w * v[j]!, 0) + (b ? b[i]! : 0));
  const T = x.length; const B = x[0]!.length;
  let inp = x;
  const hN: number[][][] = []; const cN: number[][][] = [];
  for (let l = 0; l < L; l++) {
    const out: number[][][] = Array.from({ length: T }, () => Array.from({ length: B }, () => [] as number[]));
    for (let d = 0; d < D; d++) {
      const sfx = `_l${l}${d ? '_reverse' : ''}`;
      const Wih = mat(`weight_ih${sfx}`); const Whh = mat(`weight_hh${sfx}`);
      const bih = vec(`bias_ih${sfx}`); const bhh = vec(`bias_hh${sfx}`);
      const hl: number[][] = []; const cl: number[][] = [];
      for (let b = 0; b < B; b++) {
        let h = h0 ? [...h0[l * D + d]![b]!] : Array(H).fill(0);
        let c = c0 ? [...c0[l * D + d]![b]!] : Array(H).fill(0);
        for (let s = 0; s < T; s++) {
          const t = d ? T - 1 - s : s;
          const gi = mv(Wih, inp[t]![b]!, bih); const gh = mv(Whh, h, bhh);
          if (mode === 'tanh' || mode === 'relu') h = gi.map((v, i) => (mode === 'tanh' ? Math.tanh(v + gh[i]!) : Math.max(0, v + gh[i]!)));
          else if (mode === 'gru') {
            const r = h.map((_, i) => sig(gi[i]! + gh[i]!)); const z = h.map((_, i) => sig(gi[H + i]! + gh[H + i]!));
            const n = h.map((_, i) => Math.tanh(gi[2 * H + i]! + r[i]! * gh[2 * H + i]!));
            h = h.map((hv, i) => (1 - z[i]!) * n[i]! + z[i]! * hv);
          } else {
            const a = gi.map((v, i) => v + gh[i]!);
            const ig = h.map((_, i) => sig(a[i]!)); const f = h.map((_, i) => sig(a[H + i]!));
            const g = h.map((_, i) => Math.tanh(a[2 * H + i]!)); const o = h.map((_, i) => sig(a[3 * H + i]!));
            c = c.map((cv, i) => f[i]! * cv + ig[i]! * g[i]!);
            h = c.map((cv, i) => o[i]! * Math.tanh(cv));
          }
          out[t]![b]!.push(...h);
        }
        hl.push(h); cl.push(c);
      }
      hN.push(hl); cN.push(cl);
    }
    inp = out;
  }
  return { out: inp, hN, cN };
}

const toNested = (t: nk.Tensor, T: number, B: number, I: number) => Array.from({ length: T }, (_, i) => Array.from({ length: B }, (_, b) => [...t.data.slice((i * B + b) * I, (i * B + b + 1) * I)]));

test('RNN/GRU/LSTM: PyTorch parameter names and order, shapes', () => {
  const lstm = new nk.nn.LSTM(3, 4, { numLayers: 2, bidirectional: true });
  assert.deepEqual(Object.keys(lstm.stateDict()).slice(0, 8), [
    'weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0',
    'weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'bias_ih_l0_reverse', 'bias_hh_l0_reverse',
  ]);
  assert.deepEqual(lstm.stateDict().weight_ih_l1!.shape, [16, 8]);
  assert.deepEqual(new nk.nn.GRU(3, 4, { bias: false }).stateDict().weight_hh_l0!.shape, [12, 4]);
  assert.equal(Object.keys(new nk.nn.GRU(3, 4, { bias: false }).stateDict()).length, 2);
  const [o, [h, c]] = lstm.forward(nk.randn([5, 2, 3]));
  assert.deepEqual([o.shape, h.shape, c.shape], [[5, 2, 8], [4, 2, 4], [4, 2, 4]]);
  assert.throws(() => new nk.nn.LSTM(3, 4, { projSize: 2 }), /projSize=2 is not supported/);
  assert.throws(() => new nk.nn.RNN(3, 4, { nonlinearity: 'gelu' as never }), /nonlinearity must be 'tanh' or 'relu'/);
});

for (const [mode, make] of [
  ['tanh', () => new nk.nn.RNN(3, 4, { numLayers: 2, bidirectional: true, dtype: 'float64' })],
  ['relu', () => new nk.nn.RNN(3, 4, { nonlinearity: 'relu', dtype: 'float64' })],
  ['gru', () => new nk.nn.GRU(3, 4, { numLayers: 2, bidirectional: true, dtype: 'float64' })],
  ['lstm', () => new nk.nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, dtype: 'float64' })],
] as const) {
  test(`${mode}: outputs and final states match the written-out equations (multi-layer, bidirectional, given h0)`, () => {
    const m = make() as unknown as nk.nn.LSTM;
    const L = m.numLayers; const D = m.bidirectional ? 2 : 1; const H = 4;
    const T = 4; const B = 2;
    const x = nk.randn([T, B, 3], { dtype: 'float64', rng: new nk.Rng(1) });
    const h0 = nk.randn([L * D, B, H], { dtype: 'float64', rng: new nk.Rng(2) });
    const c0 = nk.randn([L * D, B, H], { dtype: 'float64', rng: new nk.Rng(3) });
    const nest = (t: nk.Tensor) => toNested(t, t.shape[0]!, B, H);
    const r = ref(mode, m, toNested(x, T, B, 3), L, D, H, nest(h0), mode === 'lstm' ? nest(c0) : undefined);
    const res = mode === 'lstm' ? m.forward(x, [h0, c0]) : (m as unknown as nk.nn.GRU).forward(x, h0);
    const out = res[0];
    const hN = mode === 'lstm' ? (res[1] as [nk.Tensor, nk.Tensor])[0] : (res[1] as nk.Tensor);
    assertClose(out.data, r.out.flat(2), { atol: 1e-13 });
    assertClose(hN.data, r.hN.flat(2), { atol: 1e-13 });
    if (mode === 'lstm') assertClose((res[1] as [nk.Tensor, nk.Tensor])[1].data, r.cN.flat(2), { atol: 1e-13 });
  });
}

test('batchFirst and unbatched inputs give the same numbers as [T, B, I]; gradients by finite differences', () => {
  const g = new nk.nn.GRU(2, 3, { dtype: 'float64', bidirectional: true });
  const gb = new nk.nn.GRU(2, 3, { dtype: 'float64', bidirectional: true, batchFirst: true });
  gb.loadStateDict(g.stateDict());
  const x = nk.randn([3, 2, 2], { dtype: 'float64', rng: new nk.Rng(4) });
  const [o] = g.forward(x);
  const [ob] = gb.forward(nk.permute(x, [1, 0, 2]));
  assertClose(nk.permute(ob, [1, 0, 2]).data, o.data, { atol: 0 });
  const [ou] = g.forward(nk.reshape(nk.slice(x, 1, 0, 1), [3, 2]));
  assertClose(ou.data, nk.reshape(nk.slice(o, 1, 0, 1), [3, 6]).data, { atol: 0 });
  const lstm = new nk.nn.LSTM(2, 2, { numLayers: 2, dtype: 'float64' });
  // the module's own weight tensors are gradcheck inputs too: forward reads them, gradcheck perturbs them in place
  const [wih0, whh1] = [lstm.getParameter('weight_ih_l0')!, lstm.getParameter('weight_hh_l1')!];
  check('lstm', (xx) => nk.sum(lstm.forward(xx!)[0]), [f64([3, 1, 2], 5), wih0, whh1]);
  check('gru input grad', (xx) => nk.sum(nk.mul(g.forward(xx!)[0], g.forward(xx!)[0])), [f64([2, 2, 2], 6)]);
});
