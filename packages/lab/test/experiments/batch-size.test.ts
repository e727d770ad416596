import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../../src/experiment.js';
import type { NormKind } from 'normkit/nn';
import { batchSize, judgeBatchSize, type BatchSizeConfig } from '../../src/experiments/batch-size.js';
import { checkSmoke, result } from '../lab/experiment-helpers.js';

test('batch-size: smoke profile runs on the digits, is deterministic, and judge returns a verdict from the data', async () => {
  const runs = await checkSmoke(batchSize, { maxMs: 8000, timings: [] });
  assert.ok(runs.every((r) => r.config.data === 'mnist'));
});

function bsRuns(err: Record<string, Record<number, number>>): RunResult<BatchSizeConfig>[] {
  const out: RunResult<BatchSizeConfig>[] = [];
  for (const [norm, byBatch] of Object.entries(err)) for (const [b, e] of Object.entries(byBatch)) for (const seed of [1, 2]) {
    out.push(result({ id: `${norm}-bs${b}-s${seed}`, seed, config: { norm: norm as NormKind, batch: +b, data: 'mnist' as const } }, { status: 'ok', metrics: { testAcc: 1 - e } }));
  }
  return out;
}

test('batch-size rule: reproduced / not reproduced / inconclusive; diverged counts as chance', () => {
  const ln = { 32: 0.3, 2: 0.3 };
  const inn = { 32: 0.4, 2: 0.4 };
  const good = { batchnorm: { 32: 0.2, 2: 0.35 }, groupnorm: { 32: 0.22, 2: 0.23 }, layernorm: ln, instancenorm: inn };
  assert.equal(judgeBatchSize(bsRuns(good)).verdict, 'reproduced');
  assert.equal(judgeBatchSize(bsRuns({ ...good, batchnorm: { 32: 0.2, 2: 0.21 } })).verdict, 'not reproduced');
  assert.equal(judgeBatchSize(bsRuns({ ...good, batchnorm: { 32: 0.2, 2: 0.23 } })).verdict, 'inconclusive');
  // GN that never learned makes the comparison inconclusive
  assert.equal(judgeBatchSize(bsRuns({ ...good, groupnorm: { 32: 0.8, 2: 0.8 } })).verdict, 'inconclusive');
  const runs = bsRuns({ ...good, batchnorm: { 32: 0.2, 2: 0.21 } });
  for (const r of runs) if (r.config.norm === 'batchnorm' && r.config.batch === 2) { r.status = 'diverged'; r.divergedAt = 5; r.metrics = { testAcc: null }; }
  const j = judgeBatchSize(runs);
  assert.equal(j.verdict, 'reproduced');
  assert.ok(Math.abs((j.metrics.bnDegradation as number) - 0.7) < 1e-9);
});

test('batch-size runs: BN and GN at every batch size, LN and IN only at the largest (as the paper); judge copes', () => {
  for (const profile of ['smoke', 'quick', 'full'] as const) {
    const specs = batchSize.runs(profile);
    const batches = [...new Set(specs.map((s) => s.config.batch))];
    const largest = Math.max(...batches);
    for (const norm of ['batchnorm', 'groupnorm']) assert.deepEqual([...new Set(specs.filter((s) => s.config.norm === norm).map((s) => s.config.batch))].sort(), [...batches].sort());
    for (const norm of ['layernorm', 'instancenorm']) assert.deepEqual([...new Set(specs.filter((s) => s.config.norm === norm).map((s) => s.config.batch))], [largest]);
  }
  const j = judgeBatchSize(bsRuns({ batchnorm: { 32: 0.2, 2: 0.35 }, groupnorm: { 32: 0.22, 2: 0.23 }, layernorm: { 32: 0.3 }, instancenorm: { 32: 0.6 } }));
  assert.equal(j.verdict, 'reproduced');
  assert.equal(j.metrics['LN.err.bs2'], undefined);
  assert.ok(Math.abs((j.metrics['IN.err.bs32'] as number) - 0.6) < 1e-9);
  assert.match(j.explanation, /at 32: LN 30\.0%, IN 60\.0%/);
});
