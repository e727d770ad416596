import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../../src/experiment.js';
import { recurrent } from '../../src/experiments/recurrent.js';
import type { RecurrentConfig } from '../../src/experiments/recurrent.js';
import { checkSmoke, craftedRun } from '../lab/experiment-helpers.js';

test('recurrent: smoke profile runs, is deterministic, and yields a verdict, charts and tables', async () => {
  await checkSmoke(recurrent, { maxMs: 15000, smokeSeeds: 2, minCharts: 2, tables: true, minText: 40 });
});

test('recurrent judge: each verdict from crafted results (never reaching = the step budget)', () => {
  const make = (base: number | null, ln: number | null) => {
    const runs: RunResult<RecurrentConfig>[] = [];
    for (const seed of [1, 2]) {
      runs.push(craftedRun('rnn', seed, { variant: 'baseline' }, { stepsToThreshold: base, finalLoss: 0.1 }, { extra: { steps: 12 } }));
      runs.push(craftedRun('rnn', seed, { variant: 'ln' }, { stepsToThreshold: ln, finalLoss: 0.1 }, { extra: { steps: 12 } }));
      runs.push(craftedRun('rnn', seed, { variant: 'ln-gain0.1' }, { stepsToThreshold: null, finalLoss: 0.1 }, { extra: { steps: 12 } }));
    }
    return recurrent.judge(runs, 'smoke');
  };
  assert.equal(make(null, 5).verdict, 'reproduced');
  assert.equal(make(5, 6).verdict, 'not reproduced');
  assert.equal(make(null, null).verdict, 'inconclusive');
  assert.equal(make(10, 9).verdict, 'inconclusive');
});
