import { test } from 'node:test';
import assert from 'node:assert/strict';
// the lab runner loads the whole library (and with it the default kernel backend); do the same here
import 'normkit';
import type { RunResult } from '../../src/experiment.js';
import { learningRate, judgeLearningRate, percentileDrift, seedsNeeded, LR_VARIANTS, LR_MULTIPLIERS } from '../../src/experiments/learning-rate.js';
import { landscape, judgeLandscape } from '../../src/experiments/landscape.js';
import { experiments } from '../../src/experiments/index.js';
import { result, smoke } from '../lab/experiment-helpers.js';

for (const exp of [learningRate, landscape]) {
  test(`${exp.name}: registered; smoke profile runs, is deterministic, and judge returns a verdict from the data`, async () => {
    assert.ok(experiments.includes(exp), `${exp.name} is in the registry`);
    const t0 = performance.now();
    const runs = await smoke(exp);
    const ms = performance.now() - t0;
    assert.ok(ms < 6000, `${exp.name} smoke took ${ms.toFixed(0)} ms`);
    for (const r of runs) {
      assert.ok(r.status === 'ok' || r.status === 'diverged');
      JSON.stringify(r);
      for (const v of Object.values(r.metrics)) assert.ok(v === null || Number.isFinite(v), `${r.id}: metrics are finite or null`);
    }
    const j = exp.judge(runs, 'smoke');
    assert.ok(['reproduced', 'not reproduced', 'inconclusive'].includes(j.verdict));
    assert.ok(j.explanation.length > 20);
    JSON.stringify(j.metrics);
    assert.ok(exp.charts(runs).length > 0);
    assert.ok((exp.tables?.(runs) ?? []).length > 0);
    assert.ok(exp.setup('quick').length > 20 && exp.rule.length > 20);
    // deterministic in the seed
    for (const r of [runs[0]!, runs[runs.length - 1]!]) {
      const again = await exp.run(r, { profile: 'smoke', progress: () => {} });
      assert.deepEqual(again.metrics, r.metrics);
      assert.deepEqual(again.series, r.series);
    }
    assert.ok(new Set(exp.runs('quick').map((s) => s.seed)).size >= 2, 'quick has >= 2 seeds');
    assert.ok(new Set(exp.runs('full').map((s) => s.seed)).size >= 3, 'full has >= 3 seeds');
  });
}

test('percentileDrift: 0 for a frozen distribution, total variation over the mean spread otherwise', () => {
  const frozen = [[-1, -1, -1], [0, 0, 0], [1, 1, 1]];
  assert.equal(percentileDrift(frozen), 0);
  // every percentile moves up by 2 in total, the spread stays 2: drift 1
  const shifted = [[-1, 0, 1], [0, 1, 2], [1, 2, 3]];
  assert.ok(Math.abs(percentileDrift(shifted) - 1) < 1e-12);
  // back and forth counts twice
  const jitter = [[-1, 0, -1], [0, 1, 0], [1, 2, 1]];
  assert.ok(Math.abs(percentileDrift(jitter) - 1) < 1e-12);
  assert.ok(Number.isNaN(percentileDrift([[0], [0], [0]])));
  assert.deepEqual([1, 2, 3, 4].map(seedsNeeded), [1, 2, 2, 3]);
});

// --- learning-rate rule, on crafted results

type Curve = { acc: number[]; drift?: number; diverged?: number };
const EVAL = [100, 200, 300, 400, 500, 600, 700, 800];

function lrRuns(make: (variant: string, mult: number, seed: number) => Curve, seeds = [1, 2]): RunResult[] {
  const out: RunResult[] = [];
  for (const seed of seeds) for (const variant of LR_VARIANTS) for (const m of LR_MULTIPLIERS) {
    const c = make(variant, m, seed);
    out.push(result(
      { id: `${variant}-x${m}-s${seed}`, seed, config: { variant, lrMult: m } },
      {
        status: c.diverged ? 'diverged' : 'ok',
        ...(c.diverged ? { divergedAt: c.diverged } : {}),
        metrics: { bestAcc: Math.max(...c.acc), drift: c.drift ?? null },
        series: { testAcc: c.acc, evalStep: EVAL.slice(0, c.acc.length) },
      },
    ));
  }
  return out;
}

const slow = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8];
const fast = [0.6, 0.8, 0.82, 0.83, 0.83, 0.84, 0.84, 0.84];
const never = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];

test('learning-rate rule: reproduced / not reproduced / inconclusive', () => {
  // BN at x5 reaches 0.795 at step 200 vs the baseline's 800; drift 0.5 vs 5
  const good = (v: string, m: number): Curve => {
    if (v === 'none') return m === 1 ? { acc: slow, drift: 5 } : { acc: [0.1, 0.1], diverged: 250 };
    if (v === 'batchnorm') return { acc: m === 30 ? never : fast, drift: 0.5 };
    return { acc: slow, drift: 4 };
  };
  const j = judgeLearningRate(lrRuns(good));
  assert.equal(j.verdict, 'reproduced');
  assert.equal(j.metrics.fasterSeeds, 2);
  assert.equal(j.metrics['stepsToTarget_batchnorm-x5'], 200);
  assert.equal(j.metrics['reached_none-x5'], 0);
  assert.match(j.explanation, /none-x5-s1 at step 250/);
  // BN no faster and drifting as much: not reproduced
  const bad = (v: string, m: number): Curve => ({ acc: v === 'none' && m !== 1 ? never : slow, drift: 5 });
  assert.equal(judgeLearningRate(lrRuns(bad)).verdict, 'not reproduced');
  // faster but drifting as much as none: inconclusive
  const drifting = (v: string, m: number): Curve => ({ ...good(v, m), ...(v === 'batchnorm' ? { drift: 4 } : {}) });
  assert.equal(judgeLearningRate(lrRuns(drifting)).verdict, 'inconclusive');
  // steady but faster in only 1 of 2 seeds: inconclusive
  const oneSeed = (v: string, m: number, s: number): Curve => (v === 'batchnorm' && m !== 1 && s === 2 ? { acc: slow, drift: 0.5 } : good(v, m));
  const j2 = judgeLearningRate(lrRuns(oneSeed));
  assert.equal(j2.metrics.fasterSeeds, 1);
  assert.equal(j2.verdict, 'inconclusive');
  // no baseline: inconclusive, not a crash
  assert.equal(judgeLearningRate(lrRuns(good).filter((r) => r.config.variant !== 'none')).verdict, 'inconclusive');
});

// --- landscape rule, on crafted results

function lsRuns(v: Record<string, { lossRange: number | null; gradChange: number | null; finalAcc: number | null }>, seeds = [1, 2]): RunResult[] {
  const out: RunResult[] = [];
  for (const seed of seeds) for (const [variant, m] of Object.entries(v)) {
    out.push(result({ id: `${variant}-s${seed}`, seed, config: { variant } }, { status: m.finalAcc === null ? 'diverged' : 'ok', ...(m.finalAcc === null ? { divergedAt: 7 } : {}), metrics: { ...m, ics: 0.1, icsRel: 0.5 } }));
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
