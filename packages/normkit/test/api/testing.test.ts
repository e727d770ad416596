import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';

test('nk.testing.assertClose: passes within atol + rtol |expected|, names the worst element otherwise; tensors and arrays', () => {
  nk.testing.assertClose([1, 2, 3], [1, 2, 3 + 2e-5], { atol: 0, rtol: 1e-5 });
  nk.testing.assertClose(nk.tensor([1, NaN]), [1, NaN]);
  assert.throws(() => nk.testing.assertClose([1, 2, 3], [1, 2.1, 3], { msg: 'layer1' }), /layer1 not close at index 1: 2 vs 2\.1 \(max abs diff 1\.000e-1/);
  assert.throws(() => nk.testing.assertClose([1, NaN], [1, 2]), /NaN mismatch at 1/);
  assert.throws(() => nk.testing.assertClose([1], [1, 2]), /length 1 vs 2/);
  assert.throws(() => nk.testing.assertClose(nk.zeros([2, 3]), nk.zeros([3, 2])), /shape \[2, 3\] vs \[3, 2\]/);
  assert.deepEqual(nk.testing.maxDiff([1, 5], [1, 4]), { abs: 1, rel: 0.25, at: 1 });
  assert.equal(nk.testing.relError([2, 4], [2, 5]), 0.2);
  assert.equal(nk.testing.relError([0.5], [0]), 0.5, 'all-zero reference: the absolute error');
});
