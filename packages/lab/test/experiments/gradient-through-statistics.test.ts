import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../../src/experiment.js';
import { gradientThroughStatistics } from '../../src/experiments/gradient-through-statistics.js';
import type { GtsConfig } from '../../src/experiments/gradient-through-statistics.js';
import { checkSmoke, craftedRun } from '../lab/experiment-helpers.js';

test('gradient-through-statistics: smoke profile runs, is deterministic, and yields a verdict, charts and tables', async () => {
  await checkSmoke(gradientThroughStatistics, { maxMs: 15000, smokeSeeds: 2, minCharts: 2, tables: true, minText: 40 });
});

test('gradient-through-statistics judge: each verdict from crafted results', () => {
  const make = (none: number, ln: number, det: number) => {
    const runs: RunResult<GtsConfig>[] = [];
    for (const seed of [1, 2]) {
      for (const [variant, v] of [['none', none], ['layernorm', ln], ['detachnorm', det], ['ln-simple', ln], ['adanorm', ln]] as const) {
        runs.push(craftedRun('gts', seed, { variant }, { bestValLoss: v, gap: 0.1, finalValAcc: 0.5 }));
      }
    }
    return gradientThroughStatistics.judge(runs, 'smoke');
  };
  assert.equal(make(1, 0.8, 1.1).verdict, 'reproduced');
  assert.equal(make(1, 0.8, 0.8).verdict, 'not reproduced');
  assert.equal(make(1, 0.99, 1).verdict, 'inconclusive');
  assert.equal(make(1, 0.8, 0.9).verdict, 'inconclusive');
});
