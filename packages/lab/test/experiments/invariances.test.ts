import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Experiment, RunResult } from '../../src/experiment.js';
import { invariances } from '../../src/experiments/invariances.js';

async function runAll(e: Experiment): Promise<RunResult[]> {
  const out: RunResult[] = [];
  for (const spec of e.runs('smoke')) {
    const o = await e.run(spec, { profile: 'smoke', progress: () => {} });
    out.push({ ...spec, ...o, experiment: e.name, wallMs: 0 });
  }
  return out;
}

test('invariances: the measured table matches Ba et al. Table 1, and the rule can fail', async () => {
  const runs = await runAll(invariances);
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
