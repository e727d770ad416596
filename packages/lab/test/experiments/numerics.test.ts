import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numerics, noiseScale } from '../../src/experiments/numerics.js';
import { smoke } from '../lab/experiment-helpers.js';

test('numerics: normkit stays accurate where E[x^2]-E[x]^2 in float32 breaks, and the rule can fail', async () => {
  const runs = await smoke(numerics);
  const j = numerics.judge(runs, 'smoke');
  assert.equal(j.verdict, 'reproduced', j.explanation);
  assert.ok(j.metrics['normkit: worst relative variance error']! < 1e-6);
  assert.ok(j.metrics['naive float32: variance error at 1e4']! > 0.5);
  const bad = runs.map((r) => ({ ...r, metrics: { ...r.metrics, 'normkit var err @ 1e+6': 0.3 } }));
  assert.equal(numerics.judge(bad, 'smoke').verdict, 'not reproduced');
  // the spread stays representable in float32 at every offset (16 ulps above 2^24)
  assert.equal(noiseScale(1e3), 1);
  assert.equal(noiseScale(1e8), 16 * 8);
});
