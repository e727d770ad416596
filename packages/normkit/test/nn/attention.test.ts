import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { check, f64, toF64 } from './helpers.js';

/** Plain-loop multi-head attention, from the definition. */
function naiveAttention(x: nk.Tensor, mha: nk.nn.MultiheadAttention, causal: boolean, qkNorm: 'layernorm' | 'rmsnorm' | null = null): number[] {
  const [B, T, d] = x.shape as [number, number, number];
  const H = mha.numHeads;
  const dh = d / H;
  const W = mha.getParameter('in_proj_weight')!.data;
  const bi = mha.getParameter('in_proj_bias')!.data;
  const Wo = mha.outProj.weight!.data;
  const bo = mha.outProj.bias!.data;
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    const proj = (t: number, r: number) => {
      let s = bi[r]!;
      for (let k = 0; k < d; k++) s += W[r * d + k]! * x.data[(b * T + t) * d + k]!;
      return s;
    };
    // one head's query (which=0) or key (which=1) at position t, normalized over dh as the qk-norm asks
    const head = (which: 0 | 1, t: number, h: number): number[] => {
      const v = Array.from({ length: dh }, (_, j) => proj(t, which * d + h * dh + j));
      if (!qkNorm) return v;
      const norm = (which === 0 ? mha.qNorm : mha.kNorm) as unknown as { weight: nk.Tensor; bias: nk.Tensor | null };
      const mean = qkNorm === 'layernorm' ? v.reduce((a, b) => a + b, 0) / dh : 0;
      const ms = v.reduce((a, b) => a + (b - mean) ** 2, 0) / dh;
      const eps = qkNorm === 'layernorm' ? 1e-5 : 2 ** -52; // LayerNorm's default eps; RMSNorm's eps=null: float64 machine epsilon
      return v.map((a, j) => ((a - mean) / Math.sqrt(ms + eps)) * norm.weight.data[j]! + (norm.bias ? norm.bias.data[j]! : 0));
    };
    const ctx: number[][] = Array.from({ length: T }, () => new Array(d).fill(0));
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < T; t++) {
        const sc: number[] = [];
        const q = head(0, t, h);
        for (let u = 0; u < T; u++) {
          let s = 0;
          const k = head(1, u, h);
          for (let j = 0; j < dh; j++) s += q[j]! * k[j]!;
          sc.push(causal && u > t ? -Infinity : s / Math.sqrt(dh));
        }
        const m = Math.max(...sc);
        const e = sc.map((v) => Math.exp(v - m));
        const z = e.reduce((p, q) => p + q, 0);
        for (let u = 0; u < T; u++) for (let j = 0; j < dh; j++) ctx[t]![h * dh + j] += (e[u]! / z) * proj(u, 2 * d + h * dh + j);
      }
    }
    for (let t = 0; t < T; t++) for (let o = 0; o < d; o++) {
      let s = bo[o]!;
      for (let k = 0; k < d; k++) s += Wo[o * d + k]! * ctx[t]![k]!;
      out.push(s);
    }
  }
  return out;
}

test('MultiheadAttention matches a plain-loop definition, causal and not; PyTorch names', () => {
  for (const causal of [false, true]) {
    const mha = toF64(new nk.nn.MultiheadAttention(6, 3, { causal, rng: new nk.Rng(1) }));
    // non-zero biases so their placement is checked too
    nk.nn.init.normal_(mha.getParameter('in_proj_bias')!, 0, 0.5, { rng: new nk.Rng(2) });
    nk.nn.init.normal_(mha.outProj.bias!, 0, 0.5, { rng: new nk.Rng(3) });
    const x = f64([2, 4, 6], 4);
    assertClose(mha.forward(x).data, naiveAttention(x, mha, causal), { atol: 1e-12, msg: `causal=${causal}` });
  }
  const mha = new nk.nn.MultiheadAttention(8, 2);
  assert.deepEqual(Object.keys(mha.stateDict()), ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
  assert.throws(() => new nk.nn.MultiheadAttention(6, 4), /dModel \(6\) must be divisible by nHeads \(4\)/);
  assert.throws(() => mha.forward(nk.ones([2, 3, 6])), /expected input with shape \[B, T, 8\], got \[2, 3, 6\]/);
});

test('qk-norm (Dehghani et al. 2023): queries and keys normalized per head match the plain-loop definition; gradients; maxLogit', () => {
  for (const kind of ['layernorm', 'rmsnorm'] as const) {
    const mha = toF64(new nk.nn.MultiheadAttention(6, 2, { causal: true, qkNorm: kind, trackMaxLogit: true, rng: new nk.Rng(11) }));
    assert.deepEqual(Object.keys(mha.stateDict()), ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias',
      'q_norm.weight', ...(kind === 'layernorm' ? ['q_norm.bias'] : []), 'k_norm.weight', ...(kind === 'layernorm' ? ['k_norm.bias'] : [])]);
    // non-trivial affine parameters of the q/k norms, so their use is checked
    for (const p of [...mha.qNorm!.parameters(), ...mha.kNorm!.parameters()]) nk.nn.init.normal_(p, 1, 0.3, { rng: new nk.Rng(p.size + 12) });
    const x = f64([2, 4, 6], 13, 3);
    assertClose(mha.forward(x).data, naiveAttention(x, mha, true, kind), { atol: 1e-12, msg: kind });
    assert.ok(Number.isFinite(mha.maxLogit) && mha.maxLogit > 0, `maxLogit ${mha.maxLogit}`);
    check(`mha qkNorm=${kind}`, (xx) => mha.forward(xx), [f64([1, 3, 6], 14), ...mha.parameters()]);
    assert.match(String(mha), new RegExp(`qkNorm='${kind}'`));
  }
  // with unit-norm heads the logits are bounded by sqrt(dh) * |w|^2, whatever the input scale
  const plain = new nk.nn.MultiheadAttention(8, 2, { trackMaxLogit: true, rng: new nk.Rng(15) });
  const normed = new nk.nn.MultiheadAttention(8, 2, { trackMaxLogit: true, qkNorm: 'rmsnorm', rng: new nk.Rng(15) });
  const big = nk.mul(nk.randn([1, 6, 8], { rng: new nk.Rng(16) }), 100);
  plain.forward(big);
  normed.forward(big);
  assert.ok(plain.maxLogit > 100, `plain attention logits grow with the input scale: ${plain.maxLogit}`);
  assert.ok(normed.maxLogit <= Math.sqrt(4) + 1e-4, `qk-RMSNorm bounds the logits by sqrt(dh) = 2: ${normed.maxLogit}`);
  assert.throws(() => new nk.nn.MultiheadAttention(8, 2, { qkNorm: 'batchnorm' as never }), /qkNorm must be 'layernorm', 'rmsnorm' or null, got 'batchnorm'/);
  assert.throws(() => new nk.nn.MultiheadAttention(8, 2, { casual: true } as never), /unknown option 'casual'; accepted options: 'causal', /);
  const block = new nk.nn.TransformerBlock({ dModel: 8, nHeads: 2, qkNorm: 'layernorm', rng: new nk.Rng(17) });
  assert.ok(Object.keys(block.stateDict()).includes('self_attn.q_norm.weight'));
  assert.throws(() => nk.onnx.exportModel(block.selfAttn, nk.randn([1, 3, 8])), /qkNorm/);
});

test('causal attention: outputs at t do not depend on inputs after t', () => {
  const mha = new nk.nn.MultiheadAttention(8, 2, { causal: true, rng: new nk.Rng(5) });
  const x = nk.randn([1, 5, 8], { rng: new nk.Rng(6) });
  const y1 = mha.forward(x).toList();
  for (let k = 3 * 8; k < 5 * 8; k++) x.data[k] += 10;
  const y2 = mha.forward(x).toList();
  assert.deepEqual(y2.slice(0, 3 * 8), y1.slice(0, 3 * 8));
  assert.notDeepEqual(y2.slice(3 * 8), y1.slice(3 * 8));
});

test("MultiheadAttention's input and parameter gradients match finite differences (causal and not)", () => {
  for (const causal of [false, true]) {
    const mha = toF64(new nk.nn.MultiheadAttention(4, 2, { causal, rng: new nk.Rng(7) }));
    check(`mha causal=${causal}`, (x) => mha.forward(x), [f64([2, 3, 4], 8), ...mha.parameters()]);
  }
});

test('TransformerBlock: Post-LN outputs are normalized; Pre-LN with zeroed sub-layers is the identity; names as PyTorch', () => {
  const post = new nk.nn.TransformerBlock({ dModel: 8, nHeads: 2, dFF: 16, placement: 'post', rng: new nk.Rng(9) });
  assert.deepEqual(Object.keys(post.stateDict()), [
    'self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight', 'self_attn.out_proj.bias',
    'linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias',
    'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias',
  ]);
  const y = post.forward(nk.randn([2, 3, 8], { rng: new nk.Rng(10) }));
  for (let r = 0; r < 6; r++) {
    const row = Array.from(y.data.subarray(r * 8, r * 8 + 8));
    const m = row.reduce((a, b) => a + b, 0) / 8;
    const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / 8;
    assertClose([m, v], [0, 1], { atol: 1e-4 });
  }
  const pre = new nk.nn.TransformerBlock({ dModel: 8, nHeads: 2, placement: 'pre', norm: 'rmsnorm' });
  for (const t of [pre.selfAttn.outProj.weight!, pre.selfAttn.outProj.bias!, pre.linear2.weight!, pre.linear2.bias!]) t.data.fill(0);
  const x = nk.randn([2, 3, 8], { rng: new nk.Rng(11) });
  assert.deepEqual(pre.forward(x).toList(), x.toList());
  assert.equal(pre.dFF, 32);
  const none = new nk.nn.TransformerBlock({ dModel: 8, nHeads: 2, norm: 'none' });
  assert.ok(none.norm1 instanceof nk.nn.Identity);
  assert.equal(Object.keys(none.stateDict()).filter((k) => k.startsWith('norm')).length, 0);
  assert.ok(new nk.nn.TransformerBlock({ dModel: 8, nHeads: 2, norm: 'dyt' }).norm1 instanceof nk.DyT);
  assert.throws(() => post.forward(nk.ones([3, 8])), /expected input with shape \[B, T, 8\], got \[3, 8\]/);
  assert.throws(() => new nk.nn.TransformerBlock({ dModel: 8, nHeads: 2, placement: 'middle' as 'pre' }), /placement must be 'pre' or 'post', got 'middle'/);
});

test("TransformerBlock's gradients match finite differences for pre/post and every norm", () => {
  for (const placement of ['pre', 'post'] as const) {
    for (const norm of ['layernorm', 'rmsnorm', 'dyt', 'none'] as const) {
      const blk = toF64(new nk.nn.TransformerBlock({ dModel: 4, nHeads: 2, dFF: 6, norm, placement, causal: placement === 'pre', rng: new nk.Rng(12) }));
      // perturb the norm gains/biases away from 1/0 so their gradients are generic
      for (const [k, p] of blk.namedParameters()) if (k.startsWith('norm')) nk.nn.init.uniform_(p, 0.5, 1.5, { rng: new nk.Rng(13) });
      check(`block ${placement} ${norm}`, (x) => blk.forward(x), [f64([2, 3, 4], 14), ...blk.parameters()], { maxPerInput: 12 });
    }
  }
});

test('dropout in attention and blocks is active in training only', () => {
  const blk = new nk.nn.TransformerBlock({ dModel: 8, nHeads: 2, dropout: 0.5, rng: new nk.Rng(15) });
  const x = nk.randn([1, 4, 8], { rng: new nk.Rng(16) });
  assert.notDeepEqual(blk.forward(x).toList(), blk.forward(x).toList());
  blk.eval();
  assert.deepEqual(blk.forward(x).toList(), blk.forward(x).toList());
});

test('trackMaxLogit records the largest scaled logit q.k / sqrt(dh) of the last forward, exactly, in both attention paths; NaN logits are left out', () => {
  const E = 8, H = 2, dh = 4, B = 2, T = 5;
  const mha = new nk.nn.MultiheadAttention(E, H, { trackMaxLogit: true, rng: new nk.Rng(21) });
  const x = nk.randn([B, T, E], { rng: new nk.Rng(22) });
  const w = mha.stateDict()['in_proj_weight']!.data, b = mha.stateDict()['in_proj_bias']!.data;
  // q and k by hand in float64 from the packed projection, then every head's logits
  const proj = (bt: number, row: number) => { let s = b[row]!; for (let i = 0; i < E; i++) s += x.data[bt * E + i]! * w[row * E + i]!; return s; };
  let want = -Infinity;
  for (let bb = 0; bb < B; bb++) for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) for (let s = 0; s < T; s++) {
    let dot = 0;
    for (let j = 0; j < dh; j++) dot += proj(bb * T + t, h * dh + j) * proj(bb * T + s, E + h * dh + j);
    want = Math.max(want, dot / Math.sqrt(dh));
  }
  mha.forward(x); // the self-attention path
  assert.ok(Math.abs(mha.maxLogit - want) <= 1e-5 * Math.abs(want), `self-attention path: ${mha.maxLogit} vs ${want}`);
  mha.attention(x, x, x); // the general path
  assert.ok(Math.abs(mha.maxLogit - want) <= 1e-5 * Math.abs(want), `general path: ${mha.maxLogit} vs ${want}`);
  // a NaN in one sequence: its logits are NaN, the other sequence's maximum is still reported
  const xn = x.clone();
  xn.data[0] = NaN;
  mha.forward(xn);
  assert.ok(Number.isFinite(mha.maxLogit), `NaN logits are skipped: ${mha.maxLogit}`);
});
