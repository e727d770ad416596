import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult, Json } from '../../src/experiment.js';
import { transformerPlacement, judgePlacement, lrSensitivity, TP_RATES, type TPConfig } from '../../src/experiments/transformer-placement.js';
import { experiments } from '../../src/experiments/index.js';
import { smoke } from '../lab/experiment-helpers.js';

test('transformer-placement: the smoke profile runs every variant at every rate, deterministically, with charts that have data', async () => {
  assert.ok(experiments.includes(transformerPlacement));
  const runs = await smoke(transformerPlacement);
  const trains = runs.filter((r) => r.config.kind === 'train');
  assert.equal(new Set(trains.map((r) => r.config.variant)).size, 6, 'all six variants');
  assert.equal(new Set(trains.map((r) => (r.config.kind === 'train' ? r.config.lr : 0))).size, 2);
  for (const r of runs) for (const [k, v] of Object.entries(r.metrics)) assert.ok(v === null || Number.isFinite(v), `${r.id}.${k} = ${v}`);
  const again = await transformerPlacement.run(trains[0]!, { profile: 'smoke', progress: () => {} });
  assert.equal(again.metrics.finalLoss, trains[0]!.metrics.finalLoss);
  assert.equal(again.metrics.accuracy, trains[0]!.metrics.accuracy);
  const charts = transformerPlacement.charts(runs);
  assert.equal(charts.length, 4);
  for (const c of charts) {
    const values = ((c.data as { values?: Json[] } | undefined)?.values ?? []) as Json[];
    assert.ok(values.length > 0, `chart '${JSON.stringify((c.title as { text: string }).text)}' has rows`);
  }
  // init runs: a gradient norm per block for each measured depth
  const init = runs.find((r) => r.config.kind === 'init' && r.config.variant === 'post-ln')!;
  assert.equal(init.series!.grad_L3!.length, 3);
  const [table] = transformerPlacement.tables!(runs);
  for (const row of table!.rows) assert.equal(row.length, table!.columns.length);
  assert.deepEqual(new Set(transformerPlacement.runs('full').flatMap((s) => (s.config.kind === 'train' ? [s.config.lr] : []))), new Set(TP_RATES));
  assert.deepEqual([...new Set(transformerPlacement.runs('full').map((s) => s.seed))], [1, 2, 3]);
});

let n = 0;
const rr = (variant: TPConfig['variant'], lr: number, seed: number, accuracy: number | null, diverged = false): RunResult<TPConfig> => ({
  id: `r${n++}`, experiment: 'transformer-placement', wallMs: 1, seed, config: { kind: 'train', variant, depth: 6, lr },
  status: diverged ? 'diverged' : 'ok', ...(diverged ? { divergedAt: 3 } : {}), metrics: { accuracy, finalLoss: accuracy === null ? null : 1 - accuracy, guessLoss: Math.log(16) },
});

test('transformer-placement judge: the rule at the largest rate where Pre-LN copies', () => {
  const make = (post: (number | null)[], warm: number, preAt3e3 = 0.95) => {
    const runs: RunResult<TPConfig>[] = [];
    [1, 2, 3].forEach((seed, i) => {
      runs.push(rr('pre-ln', 1e-3, seed, 1), rr('pre-ln', 3e-3, seed, preAt3e3), rr('pre-ln', 1e-2, seed, 0.2));
      runs.push(rr('post-ln', 1e-3, seed, 1), rr('post-ln', 3e-3, seed, post[i]!, post[i] === null));
      runs.push(rr('post-ln-warmup', 1e-3, seed, 1), rr('post-ln-warmup', 3e-3, seed, warm));
    });
    return judgePlacement(runs);
  };
  const rep = make([0.1, 0.2, 0.95], 0.93);
  assert.equal(rep.verdict, 'reproduced', rep.explanation);
  assert.equal(rep.metrics.edgeRate, 3e-3);
  assert.equal(make([null, 0.2, 0.95], 0.93).verdict, 'reproduced', 'a diverged run counts as a failure');
  assert.equal(make([0.1, 0.95, 0.95], 0.93).verdict, 'not reproduced', 'fails in only 1 of 3 seeds');
  assert.equal(make([0.1, 0.2, 0.1], 0.6).verdict, 'not reproduced', 'warm-up does not rescue it');
  // Pre-LN below 90% at 3e-3: the edge moves to 1e-3, where Post-LN trains
  assert.equal(make([0.1, 0.2, 0.1], 0.93, 0.5).verdict, 'not reproduced');
  const none = judgePlacement([rr('pre-ln', 1e-3, 1, 0.3), rr('post-ln', 1e-3, 1, 0.1), rr('post-ln-warmup', 1e-3, 1, 0.2)]);
  assert.equal(none.verdict, 'inconclusive');
  assert.match(none.explanation, /Pre-LN reached 90% copy accuracy at none of the rates/);
});

test('LR sensitivity (Wortsman et al.): mean excess over the best rate, capped at the loss of guessing', () => {
  assert.equal(lrSensitivity([0.1, 0.1, 0.1], 2.77), 0);
  assert.ok(Math.abs(lrSensitivity([0.1, 0.5, Infinity], 2) - (0 + 0.4 + 1.9) / 3) < 1e-12);
  assert.ok(Math.abs(lrSensitivity([5, 0.2], 2) - (1.8 + 0) / 2) < 1e-12, 'a loss above the cap counts as the cap');
});
