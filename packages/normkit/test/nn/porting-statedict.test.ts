/**
 * State dicts written by PyTorch's current parametrizations load. Golden
 * values: w = g v / ||v|| (torch._weight_norm, norm over all dims but `dim`,
 * or the whole tensor for dim=-1) and W / (u . W v) (spectral_norm in eval
 * mode), written out here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { assertClose } from '../helpers.js';

const t64 = (v: number[], shape: number[]) => nk.tensor(v, shape, { dtype: 'float64' });

test("weight norm: PyTorch's parametrizations.weight.original0/original1 load; dim=-1 is the whole tensor", () => {
  // torch.nn.utils.parametrizations.weight_norm(nn.Linear(3, 2)) state_dict keys
  const g = [2, 0.5];
  const v = [1, 2, 2, 0, 3, 4];
  const sd = { bias: t64([0.1, -0.1], [2]), 'parametrizations.weight.original0': t64(g, [2, 1]), 'parametrizations.weight.original1': t64(v, [2, 3]) };
  const lin = nk.weightNorm(new nk.nn.Linear(3, 2, { dtype: 'float64' }));
  lin.loadStateDict(sd);
  // rows: [1,2,2]/3*2, [0,3,4]/5*0.5
  assertClose(lin.weight!.data, [2 / 3, 4 / 3, 4 / 3, 0, 0.3, 0.4], { atol: 1e-15 });
  assert.deepEqual(Object.keys(lin.stateDict({ names: 'parametrize' })), ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']);
  assert.deepEqual(Object.keys(lin.stateDict()), ['bias', 'weight_g', 'weight_v']);
  // weight_norm(m, dim=-1): g is a 0-d tensor, w = g v / ||v||_F
  const whole = nk.weightNorm(new nk.nn.Linear(3, 2, { dtype: 'float64' }), { dim: -1 });
  whole.loadStateDict({ bias: t64([0, 0], [2]), 'parametrizations.weight.original0': t64([3], []), 'parametrizations.weight.original1': t64(v, [2, 3]) });
  const fro = Math.hypot(...v);
  assertClose(whole.weight!.data, v.map((x) => (3 * x) / fro), { atol: 1e-15 });
});

test("spectral norm: PyTorch's parametrizations.weight.original and .0._u/._v load; eval uses them", () => {
  const W = [1, 2, 3, 4, 5, 6];
  const u = [0.6, 0.8];
  const vv = [1 / Math.sqrt(3), 1 / Math.sqrt(3), 1 / Math.sqrt(3)];
  const lin = nk.spectralNorm(new nk.nn.Linear(3, 2, { dtype: 'float64' }));
  lin.loadStateDict({
    bias: t64([0, 0], [2]),
    'parametrizations.weight.original': t64(W, [2, 3]),
    'parametrizations.weight.0._u': t64(u, [2]),
    'parametrizations.weight.0._v': t64(vv, [3]),
  });
  lin.eval();
  // sigma = u . (W v)
  const Wv = [0, 1].map((r) => W.slice(r * 3, r * 3 + 3).reduce((s, x, j) => s + x * vv[j]!, 0));
  const sigma = u[0]! * Wv[0]! + u[1]! * Wv[1]!;
  assertClose(lin.weight!.data, W.map((x) => x / sigma), { atol: 1e-14 });
  assert.deepEqual(Object.keys(lin.stateDict({ names: 'parametrize' })).sort(), ['bias', 'parametrizations.weight.0._u', 'parametrizations.weight.0._v', 'parametrizations.weight.original'].sort());
});
