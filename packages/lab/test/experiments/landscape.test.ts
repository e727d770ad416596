import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../../src/experiment.js';
import { landscape, judgeLandscape } from '../../src/experiments/landscape.js';
import type { LandscapeConfig } from '../../src/experiments/landscape.js';
import { checkSmoke, result } from '../lab/experiment-helpers.js';

test('landscape: registered; smoke profile runs, is deterministic, and judge returns a verdict from the data', async () => {
  await checkSmoke(landscape, { maxMs: 6000, tables: true, timings: [], series: true });
});

function lsRuns(v: Record<string, { lossRange: number | null; gradChange: number | null; finalAcc: number | null }>, seeds = [1, 2]): RunResult<LandscapeConfig>[] {
  const out: RunResult<LandscapeConfig>[] = [];
  for (const seed of seeds) for (const [variant, m] of Object.entries(v)) {
    out.push(result({ id: `${variant}-s${seed}`, seed, config: { variant: variant as LandscapeConfig['variant'] } }, { status: m.finalAcc === null ? 'diverged' : 'ok', ...(m.finalAcc === null ? { divergedAt: 7 } : {}), metrics: { ...m, ics: 0.1, icsRel: 0.5 } }));
  }
  return out;
}

test('landscape rule: reproduced / not reproduced / inconclusive; missing probes and diverged runs', () => {
  const rough = { lossRange: 0.6, gradChange: 6, finalAcc: 0.8 };
  const smooth = { lossRange: 0.07, gradChange: 1, finalAcc: 0.83 };
  assert.equal(judgeLandscape(lsRuns({ none: rough, batchnorm: smooth, 'noisy-bn': { ...smooth, finalAcc: 0.82 } })).verdict, 'reproduced');
  assert.equal(judgeLandscape(lsRuns({ none: smooth, batchnorm: rough, 'noisy-bn': { ...rough, finalAcc: 0.5 } })).verdict, 'not reproduced');
  // smoother, but noisy BN much worse
  assert.equal(judgeLandscape(lsRuns({ none: rough, batchnorm: smooth, 'noisy-bn': { ...smooth, finalAcc: 0.7 } })).verdict, 'inconclusive');
  // lower loss range but not lower gradient change: not smoother
  const mixed = { ...smooth, gradChange: 7 };
  assert.equal(judgeLandscape(lsRuns({ none: rough, batchnorm: mixed, 'noisy-bn': smooth })).verdict, 'inconclusive');
  // none diverged before any finite probe: rough; BN smoother
  const j = judgeLandscape(lsRuns({ none: { lossRange: null, gradChange: null, finalAcc: null }, batchnorm: smooth, 'noisy-bn': smooth }));
  assert.equal(j.verdict, 'reproduced');
  assert.equal(j.metrics.diverged_none, 2);
  assert.ok(Math.abs((j.metrics.finalAcc_none as number) - 0.1) < 1e-12, 'a diverged run counts as chance');
  // a diverged noisy BN counts as chance accuracy
  assert.equal(judgeLandscape(lsRuns({ none: rough, batchnorm: smooth, 'noisy-bn': { lossRange: 0.1, gradChange: 1, finalAcc: null } })).verdict, 'inconclusive');
  assert.equal(judgeLandscape([]).verdict, 'inconclusive');
});
