import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../../src/experiment.js';
import { classicMlp, judgeClassicMlp, MLP_RULE, type ClassicMlpConfig } from '../../src/experiments/classic-mlp.js';
import { result, smoke } from '../lab/experiment-helpers.js';

test('classic-mlp: smoke runs on the real digits with both optimizers, deterministically', async () => {
  const runs = await smoke(classicMlp);
  assert.deepEqual([...new Set(runs.map((r) => r.config.optimizer))], ['adam', 'sgd']);
  assert.ok(runs.every((r) => r.config.data === 'mnist'));
  assert.match(classicMlp.setup('quick'), /Real MNIST digits .* 3200 training \/ 800 test digits/);
  assert.match(classicMlp.setup('full'), /8000 training \/ 2000 test digits/);
  const again = result(runs[0]!, await classicMlp.run(runs[0]!, { profile: 'smoke', progress: () => {} }));
  assert.deepEqual(again.metrics, runs[0]!.metrics);
  const j = classicMlp.judge(runs, 'smoke');
  assert.ok(['reproduced', 'not reproduced', 'inconclusive'].includes(j.verdict));
  assert.equal(classicMlp.charts(runs).length, 2);
  const [t] = classicMlp.tables!(runs);
  for (const row of t!.rows) assert.equal(row.length, t!.columns.length);
});

/** Runs whose test-accuracy curves are given per (optimizer, norm), two seeds each. */
function mlpRuns(curves: Record<string, number[]>, optimizer: ClassicMlpConfig['optimizer'] = 'adam'): RunResult<ClassicMlpConfig>[] {
  const out: RunResult<ClassicMlpConfig>[] = [];
  for (const [norm, acc] of Object.entries(curves)) for (const seed of [1, 2]) {
    out.push(result({ id: `${optimizer}-${norm}-s${seed}`, seed, config: { norm: norm as ClassicMlpConfig['norm'], optimizer, data: 'mnist' as const } }, { status: 'ok', metrics: { finalAcc: acc[acc.length - 1]!, bestAcc: Math.max(...acc) }, series: { testAcc: acc } }));
  }
  return out;
}

test('classic-mlp rule: faster = mean error over epochs <= 0.9x the baseline and final error not worse by more than 0.5 point', () => {
  assert.deepEqual(MLP_RULE, { errRatio: 0.9, finalSlack: 0.005 });
  const slow = [0.80, 0.85, 0.88, 0.90, 0.92]; // mean error 13%, final 8%
  const fast = [0.88, 0.90, 0.91, 0.92, 0.92]; // mean error 9.4% (0.72x), final 8%
  const barely = [0.81, 0.86, 0.89, 0.91, 0.92]; // mean error 12.2% (0.94x): not faster
  const fastButWorse = [0.89, 0.90, 0.90, 0.91, 0.91]; // faster, but final 9% > 8% + 0.5
  const five = (a: number[], b: number[], c: number[], d: number[], e: number[]) => ({ none: slow, batchnorm: a, layernorm: b, rmsnorm: c, groupnorm: d, dyt: e });
  assert.equal(judgeClassicMlp(mlpRuns(five(fast, fast, fast, slow, slow))).verdict, 'reproduced');
  assert.equal(judgeClassicMlp(mlpRuns(five(fast, slow, slow, slow, slow))).verdict, 'not reproduced');
  assert.equal(judgeClassicMlp(mlpRuns(five(fast, fast, slow, slow, slow))).verdict, 'inconclusive');
  assert.equal(judgeClassicMlp(mlpRuns(five(fastButWorse, fastButWorse, fastButWorse, slow, slow))).verdict, 'not reproduced');
  const j = judgeClassicMlp(mlpRuns(five(fast, barely, barely, barely, slow)));
  assert.equal(j.verdict, 'not reproduced');
  assert.ok(Math.abs((j.metrics['adam.none.meanErr'] as number) - 0.13) < 1e-9);
  assert.ok(Math.abs((j.metrics['adam.batchnorm.meanErr'] as number) - 0.094) < 1e-9);
  assert.equal(j.metrics['adam.fasterCount'], 1);
  // the verdict is Adam's; SGD's is reported beside it
  const both = judgeClassicMlp([...mlpRuns(five(fast, slow, slow, slow, slow)), ...mlpRuns(five(fast, fast, fast, fast, slow), 'sgd')]);
  assert.equal(both.verdict, 'not reproduced');
  assert.equal(both.metrics['sgd.fasterCount'], 4);
  assert.match(both.explanation, /SGD lr 0.01, momentum 0.9: .*\(reproduced\)/);
});

test('classic-mlp: results stored before the optimizer was swept (no optimizer in the configuration) count as Adam', () => {
  const slow = [0.80, 0.85, 0.88, 0.90, 0.92];
  const fast = [0.88, 0.90, 0.91, 0.92, 0.92];
  const runs = mlpRuns({ none: slow, batchnorm: fast, layernorm: fast, rmsnorm: fast, groupnorm: slow, dyt: slow });
  const legacy = runs.map((r) => { const { optimizer: _, ...config } = r.config; return { ...r, config: config as ClassicMlpConfig }; });
  assert.deepEqual(judgeClassicMlp(legacy), judgeClassicMlp(runs));
  assert.equal(judgeClassicMlp(legacy).metrics['adam.fasterCount'], 3);
});
