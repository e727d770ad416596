import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invariances } from '../../src/experiments/invariances.js';
import { smoke } from '../lab/experiment-helpers.js';

test('invariances: the measured table matches Ba et al. Table 1, and the rule can fail', async () => {
  const runs = await smoke(invariances);
  assert.equal(invariances.judge(runs, 'smoke').verdict, 'reproduced');
  // LayerNorm is invariant to re-centering the weight matrix, BatchNorm is not (measured, not assumed)
  assert.ok(runs[0]!.metrics['LayerNorm: weight-matrix re-centering']! < 1e-12);
  assert.ok(runs[0]!.metrics['BatchNorm: weight-matrix re-centering']! > 1e-2);
  const flip = (k: string, v: number) => runs.map((r) => ({ ...r, metrics: { ...r.metrics, [k]: v } }));
  const wrong = invariances.judge(flip('LayerNorm: weight-matrix re-centering', 0.5), 'smoke');
  assert.equal(wrong.verdict, 'not reproduced');
  assert.match(wrong.explanation, /LayerNorm: weight-matrix re-centering/);
  assert.equal(invariances.judge(flip('BatchNorm: dataset re-scaling', 1e-6), 'smoke').verdict, 'inconclusive');
  const tables = invariances.tables!(runs);
  assert.equal(tables[0]!.rows.length, 6); // measured and paper rows per normalization
});
