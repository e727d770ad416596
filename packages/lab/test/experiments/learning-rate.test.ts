import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../../src/experiment.js';
import { learningRate, judgeLearningRate, percentileDrift, seedsNeeded, LR_VARIANTS, LR_MULTIPLIERS, type LrConfig } from '../../src/experiments/learning-rate.js';
import { checkSmoke, result } from '../lab/experiment-helpers.js';

test('learning-rate: registered; smoke profile runs on the digits, is deterministic, and judge returns a verdict from the data', async () => {
  const runs = await checkSmoke(learningRate, { maxMs: 6000, tables: true, timings: [], series: true });
  assert.ok(runs.every((r) => r.config.data === 'mnist'));
});

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

function lrRuns(make: (variant: string, mult: number, seed: number) => Curve, seeds = [1, 2]): RunResult<LrConfig>[] {
  const out: RunResult<LrConfig>[] = [];
  for (const seed of seeds) for (const variant of LR_VARIANTS) for (const m of LR_MULTIPLIERS) {
    const c = make(variant, m, seed);
    out.push(result(
      { id: `${variant}-x${m}-s${seed}`, seed, config: { variant, lrMult: m, data: 'mnist' as const } },
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
