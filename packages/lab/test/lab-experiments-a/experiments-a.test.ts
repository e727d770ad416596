import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../../src/experiment.js';
import { signalPropagation, judgeSignalPropagation, growthPerLayer } from '../../src/experiments/signal-propagation.js';
import { batchSize, judgeBatchSize } from '../../src/experiments/batch-size.js';
import { result, smoke } from '../lab/experiment-helpers.js';

for (const exp of [signalPropagation, batchSize]) {
  test(`${exp.name}: smoke profile runs, is deterministic, and judge returns a verdict from the data`, async () => {
    const t0 = performance.now();
    const runs = await smoke(exp);
    const ms = performance.now() - t0;
    assert.ok(ms < 8000, `${exp.name} smoke took ${ms.toFixed(0)} ms`);
    for (const r of runs) assert.ok(r.status === 'ok' || r.status === 'diverged');
    const j = exp.judge(runs, 'smoke');
    assert.ok(['reproduced', 'not reproduced', 'inconclusive'].includes(j.verdict));
    assert.ok(j.explanation.length > 20);
    JSON.stringify(j.metrics);
    assert.ok(exp.charts(runs).length > 0);
    exp.tables?.(runs);
    // deterministic in the seed
    const again = result(runs[0]!, await exp.run(runs[0]!, { profile: 'smoke', progress: () => {} }));
    assert.deepEqual(again.metrics, runs[0]!.metrics);
    assert.ok(exp.runs('quick').every((s) => s.seed >= 1) && new Set(exp.runs('quick').map((s) => s.seed)).size >= 2, 'quick has >= 2 seeds');
    assert.ok(new Set(exp.runs('full').map((s) => s.seed)).size >= 3, 'full has >= 3 seeds');
  });
}

// --- the rules themselves, on crafted results

function spRuns(growth: Record<string, number>): RunResult[] {
  const out: RunResult[] = [];
  for (const [name, g] of Object.entries(growth)) for (const seed of [1, 2]) {
    out.push(result({ id: `init-${name}-s${seed}`, seed, config: { phase: 'init', name, depth: 50 } }, { status: 'ok', metrics: { growth: g, firstOverLast: g ** 48 } }));
  }
  return out;
}

test('signal-propagation rule: reproduced / not reproduced / inconclusive, and the growth fit', () => {
  const base = { 'tanh-0.5': 0.7, 'tanh-1': 0.97, 'tanh-2': 1.05, 'relu-he': 1.0, 'relu-bn': 1.21, 'relu-ln': 1.0, 'relu-bn-res': 1.05 };
  assert.equal(judgeSignalPropagation(spRuns(base)).verdict, 'reproduced');
  assert.equal(judgeSignalPropagation(spRuns({ ...base, 'relu-bn': 1.02 })).verdict, 'not reproduced');
  assert.equal(judgeSignalPropagation(spRuns({ ...base, 'tanh-0.5': 1.0 })).verdict, 'inconclusive');
  assert.ok(Math.abs(growthPerLayer([8, 4, 2, 1]) - 2) < 1e-12);
  assert.ok(Math.abs(growthPerLayer([1, 1.21, 1.21 ** 2]) - 1 / 1.21) < 1e-12);
  assert.ok(Number.isNaN(growthPerLayer([1])));
});

function bsRuns(err: Record<string, Record<number, number>>): RunResult[] {
  const out: RunResult[] = [];
  for (const [norm, byBatch] of Object.entries(err)) for (const [b, e] of Object.entries(byBatch)) for (const seed of [1, 2]) {
    out.push(result({ id: `${norm}-bs${b}-s${seed}`, seed, config: { norm, batch: +b } }, { status: 'ok', metrics: { testAcc: 1 - e } }));
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
    const batches = [...new Set(specs.map((s) => s.config.batch as number))];
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
