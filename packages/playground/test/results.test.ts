/** Reading results.json: the smoke study's file parses, charts come from the runs, bad files say why. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseResults, seriesCharts, configLabel } from '../src/results/parse.js';

const FIXTURE = new URL('../../test/fixtures/smoke-results.json', import.meta.url);

test('the smoke study results.json parses: every experiment, verdict and some charts', () => {
  const r = parseResults(readFileSync(FIXTURE, 'utf8'));
  assert.equal(r.experiments.length, 13);
  assert.equal(r.study.profile, 'smoke');
  for (const e of r.experiments) assert.match(e.verdict, /^(reproduced|not reproduced|inconclusive)$/, e.name);
  const mlp = r.experiments.find((e) => e.name === 'classic-mlp')!;
  const charts = seriesCharts(mlp);
  assert.deepEqual(charts.map((c) => c.series), ['testAcc', 'testLoss', 'trainLoss']);
  // seeds averaged: one line per configuration
  const labels = charts[0]!.lines.map((l) => l.label);
  assert.equal(new Set(labels).size, labels.length);
  assert.ok(charts[0]!.lines.every((l) => l.points.length > 0 && l.points.every(([, y]) => y >= 0 && y <= 1)));
  // a *Step series is the x axis of the series of the same length, not a chart of its own
  const lr = r.experiments.find((e) => e.name === 'learning-rate')!;
  assert.ok(!seriesCharts(lr, 10).some((c) => /Step$/.test(c.series)));
});

test('bad files are refused with what was found', () => {
  assert.throws(() => parseResults('{'), /not JSON/);
  assert.throws(() => parseResults('{"runs": []}'), /"experiments" array, got keys runs/);
  assert.throws(() => parseResults('{"experiments": [{}]}'), /experiments\[0\] has no name/);
  assert.equal(configLabel({ norm: 'batchnorm', optimizer: 'adam', seed: 3 }), 'batchnorm · adam');
});
