import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cost } from '../../src/experiments/cost.js';
import { smoke } from '../lab/experiment-helpers.js';

test('cost: smoke runs time both norms at every width and train both; training is deterministic; unknown norms refused', async () => {
  const runs = await smoke(cost);
  const timing = runs.find((r) => r.config.kind === 'timing')!;
  for (const k of Object.keys(timing.metrics).filter((key) => key.startsWith('ratio_w'))) assert.ok((timing.metrics[k] as number) > 0, k);
  const trains = runs.filter((r) => r.config.kind === 'train');
  assert.deepEqual(trains.map((r) => (r.config.kind === 'train' ? r.config.norm : '')).sort(), ['layernorm', 'rmsnorm']);
  // the quality half is seeded; the timings are the only non-deterministic numbers
  const again = await cost.run(trains[0]!, { profile: 'smoke', progress: () => {} });
  assert.equal(again.metrics.finalLoss, trains[0]!.metrics.finalLoss);
  assert.ok(['reproduced', 'not reproduced', 'inconclusive'].includes(cost.judge(runs, 'smoke').verdict));
  assert.ok(cost.charts(runs).length >= 1);
  await assert.rejects(async () => cost.run({ id: 'x', seed: 1, config: { kind: 'train', norm: 'batchnorm' as never } }, { profile: 'smoke', progress: () => {} }), /cost: unknown norm 'batchnorm'/);
});
