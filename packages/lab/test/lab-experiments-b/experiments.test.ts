import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Experiment, RunResult, Json } from '../../src/experiment.js';
import { recurrent } from '../../src/experiments/recurrent.js';
import { gradientThroughStatistics } from '../../src/experiments/gradient-through-statistics.js';
import { weightAndSpectral } from '../../src/experiments/weight-and-spectral.js';
import { experiments } from '../../src/experiments/index.js';
import { smoke } from '../lab/experiment-helpers.js';

const ALL: Experiment[] = [recurrent, gradientThroughStatistics, weightAndSpectral];

for (const exp of ALL) {
  test(`${exp.name}: smoke profile runs, is deterministic, and yields a verdict, charts and tables`, async () => {
    assert.ok(experiments.includes(exp), 'registered in src/experiments/index.ts');
    const specs = exp.runs('smoke');
    assert.ok(new Set(specs.map((s) => s.id)).size === specs.length, 'run ids are unique');
    assert.ok(new Set(specs.map((s) => s.seed)).size >= 2, 'smoke has at least 2 seeds');
    assert.ok(new Set(exp.runs('full').map((s) => s.seed)).size >= 3, 'full has at least 3 seeds');
    const t0 = performance.now();
    const runs = await smoke(exp);
    const ms = performance.now() - t0;
    assert.ok(ms < 15000, `smoke took ${ms.toFixed(0)} ms`);
    for (const r of runs) {
      assert.ok(r.status === 'ok' || r.status === 'diverged');
      // Results cross worker boundaries as JSON: no NaN/Inf, no typed arrays.
      const round = JSON.parse(JSON.stringify({ metrics: r.metrics, series: r.series ?? null, extra: r.extra ?? null })) as Json;
      assert.deepEqual(round, { metrics: r.metrics, series: r.series ?? null, extra: r.extra ?? null });
      for (const [k, v] of Object.entries(r.metrics)) assert.ok(v === null || Number.isFinite(v), `${r.id}.${k} = ${v}`);
    }
    // Same seed, same numbers.
    const first = specs[0]!;
    const again = await exp.run(first, { profile: 'smoke', progress: () => {} });
    const strip = (m: { [k: string]: number | null }) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'stepMs'));
    assert.deepEqual(strip(again.metrics), strip(runs[0]!.metrics));
    const j = exp.judge(runs, 'smoke');
    assert.ok(['reproduced', 'not reproduced', 'inconclusive'].includes(j.verdict));
    assert.ok(j.explanation.length > 20);
    const charts = exp.charts(runs);
    assert.ok(charts.length >= 2);
    for (const c of charts) JSON.stringify(c);
    const tables = exp.tables?.(runs) ?? [];
    assert.ok(tables.length >= 1);
    for (const t of tables) for (const row of t.rows) assert.equal(row.length, t.columns.length, `table '${t.title}' row width`);
    assert.ok(exp.rule.length > 40 && exp.setup('quick').length > 40 && exp.paper.numbers.length > 20);
  });
}

let n = 0;
function rr(experiment: string, seed: number, config: { [k: string]: Json }, metrics: { [k: string]: number | null }, more: Partial<RunResult> = {}): RunResult {
  return { id: `r${n++}`, seed, config, experiment, wallMs: 1, status: 'ok', metrics, ...more };
}

test('gradient-through-statistics judge: each verdict from crafted results', () => {
  const make = (none: number, ln: number, det: number) => {
    const runs: RunResult[] = [];
    for (const seed of [1, 2]) {
      for (const [variant, v] of [['none', none], ['layernorm', ln], ['detachnorm', det], ['ln-simple', ln], ['adanorm', ln]] as const) {
        runs.push(rr('gts', seed, { variant }, { bestValLoss: v, gap: 0.1, finalValAcc: 0.5 }));
      }
    }
    return gradientThroughStatistics.judge(runs, 'smoke');
  };
  assert.equal(make(1, 0.8, 1.1).verdict, 'reproduced');
  assert.equal(make(1, 0.8, 0.8).verdict, 'not reproduced');
  assert.equal(make(1, 0.99, 1).verdict, 'inconclusive');
  assert.equal(make(1, 0.8, 0.9).verdict, 'inconclusive');
});

test('recurrent judge: each verdict from crafted results (never reaching = the step budget)', () => {
  const make = (base: number | null, ln: number | null) => {
    const runs: RunResult[] = [];
    for (const seed of [1, 2]) {
      runs.push(rr('rnn', seed, { variant: 'baseline' }, { stepsToThreshold: base, finalLoss: 0.1 }, { extra: { steps: 12 } }));
      runs.push(rr('rnn', seed, { variant: 'ln' }, { stepsToThreshold: ln, finalLoss: 0.1 }, { extra: { steps: 12 } }));
      runs.push(rr('rnn', seed, { variant: 'ln-gain0.1' }, { stepsToThreshold: null, finalLoss: 0.1 }, { extra: { steps: 12 } }));
    }
    return recurrent.judge(runs, 'smoke');
  };
  assert.equal(make(null, 5).verdict, 'reproduced');
  assert.equal(make(5, 6).verdict, 'not reproduced');
  assert.equal(make(null, null).verdict, 'inconclusive');
  assert.equal(make(10, 9).verdict, 'inconclusive');
});

test('weight-and-spectral judge: each verdict from crafted results', () => {
  const make = (wnCurve: number[], wnMs: number, snModes: number, plainModes: number) => {
    const runs: RunResult[] = [];
    for (const seed of [1, 2]) {
      const wn = (variant: string, curve: number[], ms: number) =>
        rr('ws', seed, { part: 'wn', variant }, { finalSmoothedLoss: curve[curve.length - 1]!, stepMs: ms }, { series: { smoothedLoss: curve }, extra: { lossEvery: 1, steps: 3 } });
      runs.push(wn('plain', [2, 1.5, 1.0], 1), wn('weightnorm', wnCurve, wnMs), wn('batchnorm', [1.5, 1, 0.5], 2));
      for (const [lr, beta1] of [[1e-4, 0.5], [1e-3, 0.5], [1e-3, 0.9]]) {
        runs.push(rr('ws', seed, { part: 'gan', lr: lr!, beta1: beta1!, sn: true }, { modesCovered: snModes, highQualityShare: 0.5 }));
        runs.push(rr('ws', seed, { part: 'gan', lr: lr!, beta1: beta1!, sn: false }, { modesCovered: plainModes, highQualityShare: 0.5 }));
      }
    }
    return weightAndSpectral.judge(runs, 'smoke');
  };
  assert.equal(make([1.2, 0.9, 0.8], 1.5, 8, 2).verdict, 'reproduced');
  assert.equal(make([2, 1.5, 1.0], 1.5, 2, 2).verdict, 'not reproduced');
  assert.equal(make([1.2, 0.9, 0.8], 1.5, 2, 3).verdict, 'inconclusive');
  assert.equal(make([1.2, 0.9, 0.8], 3, 8, 2).verdict, 'inconclusive', 'WN faster but not cheaper than BN');
});
