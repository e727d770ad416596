/**
 * MultiheadAttention with separate key/value inputs, kdim/vdim, masks and
 * returned weights, against `refMHA`: torch.nn.functional.multi_head_attention_forward
 * written out with plain numbers (q = query Wq^T + bq, per head
 * softmax(q k^T / sqrt(dh) + mask) v, out_proj; weights averaged over heads;
 * boolean masks true = not allowed, as PyTorch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { check, f64 } from './helpers.js';

function refMHA(m: nk.nn.MultiheadAttention, q: nk.Tensor, k: nk.Tensor, v: nk.Tensor, kpm?: boolean[][], am?: boolean[][]) {
  const sd = m.stateDict();
  const E = m.embedDim; const H = m.numHeads; const dh = E / H;
  const [B, T] = q.shape as [number, number]; const S = k.shape[1]!;
  const W = (name: string, row0: number, rows: number, cols: number) => Array.from({ length: rows }, (_, i) => [...sd[name]!.data.slice((row0 + i) * cols, (row0 + i + 1) * cols)]);
  const [Wq, Wk, Wv] = m.qkvSameEmbedDim
    ? [W('in_proj_weight', 0, E, E), W('in_proj_weight', E, E, E), W('in_proj_weight', 2 * E, E, E)]
    : [W('q_proj_weight', 0, E, E), W('k_proj_weight', 0, E, m.kdim), W('v_proj_weight', 0, E, m.vdim)];
  const b = [...sd.in_proj_bias!.data];
  const proj = (x: nk.Tensor, Wm: number[][], off: number, L: number, D: number) => Array.from({ length: B }, (_, bb) => Array.from({ length: L }, (_, t) => Wm.map((row, o) => row.reduce((s, w, j) => s + w * x.data[(bb * L + t) * D + j]!, b[off + o]!))));
  const Q = proj(q, Wq, 0, T, E); const K = proj(k, Wk, E, S, m.kdim); const V = proj(v, Wv, 2 * E, S, m.vdim);
  const ctx = Array.from({ length: B }, () => Array.from({ length: T }, () => Array(E).fill(0)));
  const wAvg = Array.from({ length: B }, () => Array.from({ length: T }, () => Array(S).fill(0)));
  for (let bb = 0; bb < B; bb++) for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) {
    const sc = Array.from({ length: S }, (_, s) => {
      if (kpm?.[bb]![s] || am?.[t]![s]) return -Infinity;
      let acc = 0;
      for (let j = 0; j < dh; j++) acc += Q[bb]![t]![h * dh + j]! * K[bb]![s]![h * dh + j]!;
      return acc / Math.sqrt(dh);
    });
    const mx = Math.max(...sc); const ex = sc.map((x) => Math.exp(x - mx)); const z = ex.reduce((a, c) => a + c, 0);
    ex.forEach((e, s) => {
      wAvg[bb]![t]![s] += e / z / H;
      for (let j = 0; j < dh; j++) ctx[bb]![t]![h * dh + j] += (e / z) * V[bb]![s]![h * dh + j]!;
    });
  }
  const Wo = W('out_proj.weight', 0, E, E); const bo = [...sd['out_proj.bias']!.data];
  const out = ctx.map((rows) => rows.map((c) => Wo.map((row, o) => row.reduce((s, w, j) => s + w * c[j]!, bo[o]!))));
  return { out: out.flat(2), weights: wAvg.flat(2) };
}

test('forward(query, key, value) uses key and value; kdim/vdim use q/k/v_proj_weight (PyTorch names)', () => {
  const m = new nk.nn.MultiheadAttention(4, 2, { kdim: 3, vdim: 5 });
  m.double();
  assert.deepEqual(Object.keys(m.stateDict()), ['q_proj_weight', 'k_proj_weight', 'v_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
  for (const p of m.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = Math.sin(i + p.size);
  const q = f64([2, 3, 4], 1); const k = f64([2, 5, 3], 2); const v = f64([2, 5, 5], 3);
  const r = refMHA(m, q, k, v);
  assertClose(m.forward(q, k, v).data, r.out, { atol: 1e-13 });
  const [o, w] = m.attention(q, k, v);
  assertClose(o.data, r.out, { atol: 1e-13 });
  assert.deepEqual(w!.shape, [2, 3, 5]);
  assertClose(w!.data, r.weights, { atol: 1e-14 });
  check('mha q/k/v', (a, bb, c) => nk.sum(m.forward(a!, bb!, c!)), [q, k, v]);
});

test('keyPaddingMask and attnMask (boolean, true = masked) match the reference; self-attention fast path agrees', () => {
  const m = new nk.nn.MultiheadAttention(4, 2).double();
  for (const p of m.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = Math.cos(i * 0.7 + p.size);
  const x = f64([2, 4, 4], 4);
  assertClose(m.forward(x).data, refMHA(m, x, x, x).out, { atol: 1e-13 });
  const kpm = [[false, false, true, true], [false, false, false, true]];
  const am = [[false, true, false, false], [false, false, false, false], [false, false, false, false], [true, false, false, false]];
  const r = refMHA(m, x, x, x, kpm, am);
  const [o, w] = m.attention(x, x, x, { keyPaddingMask: kpm, attnMask: am });
  assertClose(o.data, r.out, { atol: 1e-13 });
  assertClose(w!.data, r.weights, { atol: 1e-14 });
  // a 0/1 Tensor mask means the same
  assertClose(m.forward(x, x, x, { keyPaddingMask: nk.tensor(kpm.map((row) => row.map(Number))) }).data, refMHA(m, x, x, x, kpm).out, { atol: 1e-13 });
  assert.throws(() => m.forward(x, x, x, { keyPaddingMask: [[true]] }), /keyPaddingMask must have shape \[2, 4\], got \[1, 1\]/);
  assert.throws(() => m.forward(x, x, x, { key_padding_mask: kpm } as never), /did you mean 'keyPaddingMask'/);
});

test('TransformerBlock keyPaddingMask: padded positions do not influence the others', () => {
  nk.manualSeed(3);
  const blk = new nk.nn.TransformerBlock({ dModel: 4, nHeads: 2, dFF: 8 });
  const x = nk.randn([1, 3, 4], { rng: new nk.Rng(5) });
  const x2 = nk.tensor([...x.data.slice(0, 8), 9, -9, 9, -9], [1, 3, 4]);
  const mask = [[false, false, true]];
  const a = blk.forward(x, { keyPaddingMask: mask });
  const b = blk.forward(x2, { keyPaddingMask: mask });
  assertClose(a.data.slice(0, 8), b.data.slice(0, 8), { atol: 1e-6 });
  assert.notDeepEqual([...blk.forward(x).data.slice(0, 8)], [...blk.forward(x2).data.slice(0, 8)]);
});
