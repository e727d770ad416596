import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../../src/experiment.js';
import { qkNorm, judgeQkNorm, type QkConfig } from '../../src/experiments/qk-norm.js';
import { experiments } from '../../src/experiments/index.js';
import { smoke } from '../lab/experiment-helpers.js';

test('qk-norm: smoke runs record the attention-logit trace, deterministically; charts and table', async () => {
  assert.ok(experiments.includes(qkNorm));
  const runs = await smoke(qkNorm);
  assert.equal(runs.length, 4);
  for (const r of runs) {
    assert.ok((r.series!.maxLogit ?? []).length >= 3, `${r.id}: logit trace`);
    assert.ok(Number.isFinite(r.metrics.peakLogit), `${r.id}: peak logit ${r.metrics.peakLogit}`);
  }
  const again = await qkNorm.run(runs[1]!, { profile: 'smoke', progress: () => {} });
  assert.deepEqual(again.series!.maxLogit, runs[1]!.series!.maxLogit);
  assert.equal(qkNorm.charts(runs).length, 3);
  const [t] = qkNorm.tables!(runs);
  for (const row of t!.rows) assert.equal(row.length, t!.columns.length);
  assert.ok(['reproduced', 'not reproduced', 'inconclusive'].includes(qkNorm.judge(runs, 'smoke').verdict));
});

let n = 0;
const rr = (variant: QkConfig['variant'], lr: number, peak: number, finalLoss: number | null): RunResult<QkConfig> => ({
  id: `q${n++}`, experiment: 'qk-norm', wallMs: 1, seed: 1, config: { variant, lr }, status: finalLoss === null ? 'diverged' : 'ok',
  metrics: { finalLoss, guessLoss: Math.log(16), peakLogit: peak }, series: { maxLogit: [1, peak / 2, peak] },
});

test('qk-norm judge: logit growth and LR sensitivity decide', () => {
  const make = (plainPeak: number, plainHighLoss: number | null, qkHighLoss: number) => judgeQkNorm([
    rr('pre-ln', 1e-3, 5, 0.1), rr('pre-ln', 1e-2, plainPeak, plainHighLoss),
    rr('pre-ln-qknorm', 1e-3, 3, 0.1), rr('pre-ln-qknorm', 1e-2, 4, qkHighLoss),
  ]);
  const yes = make(40, null, 0.2);
  assert.equal(yes.verdict, 'reproduced', yes.explanation);
  assert.equal(yes.metrics.logitRatio, 10);
  assert.equal(make(6, null, 0.2).verdict, 'not reproduced', 'logits 1.5x: no growth');
  assert.equal(make(40, 0.1, 0.2).verdict, 'inconclusive', 'growth but qk-norm not less sensitive');
});
