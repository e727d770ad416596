import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../../src/experiment.js';
import { weightAndSpectral } from '../../src/experiments/weight-and-spectral.js';
import type { WsConfig } from '../../src/experiments/weight-and-spectral.js';
import { checkSmoke, craftedRun } from '../lab/experiment-helpers.js';

test('weight-and-spectral: smoke profile runs, is deterministic, and yields a verdict, charts and tables', async () => {
  await checkSmoke(weightAndSpectral, { maxMs: 15000, smokeSeeds: 2, minCharts: 2, tables: true, minText: 40 });
});

test('weight-and-spectral judge: each verdict from crafted results', () => {
  const make = (wnCurve: number[], wnMs: number, snModes: number, plainModes: number) => {
    const runs: RunResult<WsConfig>[] = [];
    for (const seed of [1, 2]) {
      const wn = (variant: 'plain' | 'weightnorm' | 'batchnorm', curve: number[], ms: number) =>
        craftedRun<WsConfig>('ws', seed, { part: 'wn', variant }, { finalSmoothedLoss: curve[curve.length - 1]!, stepMs: ms }, { series: { smoothedLoss: curve }, extra: { lossEvery: 1, steps: 3 } });
      runs.push(wn('plain', [2, 1.5, 1.0], 1), wn('weightnorm', wnCurve, wnMs), wn('batchnorm', [1.5, 1, 0.5], 2));
      for (const [lr, beta1] of [[1e-4, 0.5], [1e-3, 0.5], [1e-3, 0.9]]) {
        runs.push(craftedRun<WsConfig>('ws', seed, { part: 'gan', lr: lr!, beta1: beta1!, sn: true }, { modesCovered: snModes, highQualityShare: 0.5 }));
        runs.push(craftedRun<WsConfig>('ws', seed, { part: 'gan', lr: lr!, beta1: beta1!, sn: false }, { modesCovered: plainModes, highQualityShare: 0.5 }));
      }
    }
    return weightAndSpectral.judge(runs, 'smoke');
  };
  assert.equal(make([1.2, 0.9, 0.8], 1.5, 8, 2).verdict, 'reproduced');
  assert.equal(make([2, 1.5, 1.0], 1.5, 2, 2).verdict, 'not reproduced');
  assert.equal(make([1.2, 0.9, 0.8], 1.5, 2, 3).verdict, 'inconclusive');
  assert.equal(make([1.2, 0.9, 0.8], 3, 8, 2).verdict, 'inconclusive', 'WN faster but not cheaper than BN');
});
