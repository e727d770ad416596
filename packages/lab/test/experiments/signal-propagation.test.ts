import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../../src/experiment.js';
import { signalPropagation, judgeSignalPropagation, growthPerLayer } from '../../src/experiments/signal-propagation.js';
import type { SpConfig } from '../../src/experiments/signal-propagation.js';
import { checkSmoke, result } from '../lab/experiment-helpers.js';

test('signal-propagation: smoke profile runs, is deterministic, and judge returns a verdict from the data', async () => {
  await checkSmoke(signalPropagation, { maxMs: 8000, timings: [] });
});

function spRuns(growth: Record<string, number>): RunResult<SpConfig>[] {
  const out: RunResult<SpConfig>[] = [];
  for (const [name, g] of Object.entries(growth)) for (const seed of [1, 2]) {
    out.push(result({ id: `init-${name}-s${seed}`, seed, config: { phase: 'init' as const, name, depth: 50 } }, { status: 'ok', metrics: { growth: g, firstOverLast: g ** 48 } }));
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
