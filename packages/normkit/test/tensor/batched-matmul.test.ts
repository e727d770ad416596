/**
 * Batched float32 matmul, forward and backward (whose products use the
 * transposed variants), on every backend against the same computation in
 * float64: the one-call batched kernel (gemmBatched: both operands spanning
 * the batch, or one matrix shared by all) and the per-product loop it falls
 * back to for other broadcasts.
 */
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { testEachBackend } from '../backends.js';

function check(aShape: number[], bShape: number[]): void {
  const rng = new nk.Rng(aShape.length * 31 + bShape[0]!);
  const a64 = nk.randn(aShape, { rng, dtype: 'float64', requiresGrad: true });
  const b64 = nk.randn(bShape, { rng, dtype: 'float64', requiresGrad: true });
  const a32 = nk.tensor(a64.data, aShape, { dtype: 'float32', requiresGrad: true });
  const b32 = nk.tensor(b64.data, bShape, { dtype: 'float32', requiresGrad: true });
  const y64 = nk.matmul(a64, b64);
  const y32 = nk.matmul(a32, b32);
  const g = nk.randn(y64.shape, { rng, dtype: 'float64' });
  y64.backward(g);
  y32.backward(nk.tensor(g.data, g.shape, { dtype: 'float32' }));
  const K = aShape[aShape.length - 1]!;
  const close = (x: nk.Tensor, r: nk.Tensor, what: string) => {
    assert.deepEqual(x.shape, r.shape);
    for (let i = 0; i < r.size; i++) {
      assert.ok(Math.abs(x.data[i]! - r.data[i]!) <= 2e-6 * Math.sqrt(K + 8) * (1 + Math.abs(r.data[i]!)), `${what}[${i}] ${x.data[i]} vs ${r.data[i]} for ${JSON.stringify(aShape)} @ ${JSON.stringify(bShape)}`);
    }
  };
  close(y32, y64, 'y');
  close(a32.grad!, a64.grad!, 'da');
  close(b32.grad!, b64.grad!, 'db');
}

testEachBackend('batched float32 matmul and its gradients match float64, for every batch layout', () => {
  check([64, 32, 16], [64, 16, 32]); // attention scores: both span the batch
  check([5, 7, 3], [3, 9]); // one B for the whole batch
  check([6, 5], [4, 5, 3]); // one A for the whole batch
  check([2, 3, 4, 5], [2, 3, 5, 1]); // two batch dims, N = 1
  check([2, 1, 3, 4], [3, 4, 2]); // broadcast inside the batch: the per-product loop
  check([3, 1, 1], [3, 1, 6]); // K = 1
});
