import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../../src/experiment.js';
import { synchronization, judgeSynchronization, type SynchronizationConfig } from '../../src/experiments/synchronization.js';
import { buildSyncModel, SYNC_VARIANTS, type SyncVariant } from '../../src/experiments/synchronization-replica.js';
import { checkSmoke, result } from '../lab/experiment-helpers.js';

test('synchronization: smoke profile trains data-parallel on the digits, is deterministic, and judge returns a verdict', async () => {
  const runs = await checkSmoke(synchronization, { maxMs: 20000, timings: ['stepMs', 'syncMs'], minCharts: 2, tables: true });
  assert.ok(runs.every((r) => r.config.data === 'mnist' && r.config.workers === 2));
  const sync = runs.find((r) => r.config.variant === 'syncbn')!;
  const gn = runs.find((r) => r.config.variant === 'groupnorm')!;
  assert.ok((sync.metrics.syncMs as number) > 0, 'SyncBN exchanges statistics every step');
  assert.equal(gn.metrics.syncMs, 0, 'GroupNorm exchanges nothing');
});

test('synchronization variants: the same CNN and initial weights; syncbn is its BatchNorm converted', () => {
  const models = Object.fromEntries(SYNC_VARIANTS.map((v) => [v, buildSyncModel({ variant: v, channels: 4, groups: 2, seed: 3 })]));
  const kinds = (v: SyncVariant) => [...models[v]!.modules()].map((m) => m.constructor.name).filter((n) => /Norm/.test(n));
  assert.deepEqual(kinds('bn-local'), ['BatchNorm2d', 'BatchNorm2d', 'BatchNorm2d', 'BatchNorm2d']);
  assert.deepEqual(kinds('syncbn'), ['SyncBatchNorm', 'SyncBatchNorm', 'SyncBatchNorm', 'SyncBatchNorm']);
  assert.deepEqual(kinds('groupnorm'), ['GroupNorm', 'GroupNorm', 'GroupNorm', 'GroupNorm']);
  const w = (v: SyncVariant) => Array.from(models[v]!.parameters()[0]!.data);
  assert.deepEqual(w('syncbn'), w('bn-local'));
  assert.deepEqual(w('groupnorm'), w('bn-local'));
});

function syncRuns(err: Record<SyncVariant, number>, syncMs: Record<SyncVariant, number>): RunResult<SynchronizationConfig>[] {
  const out: RunResult<SynchronizationConfig>[] = [];
  for (const v of SYNC_VARIANTS) for (const seed of [1, 2]) {
    out.push(result({ id: `${v}-s${seed}`, seed, config: { variant: v, workers: 4, perWorker: 2, data: 'mnist' as const } }, { status: 'ok', metrics: { testAcc: 1 - err[v], syncMs: syncMs[v], stepMs: 10 } }));
  }
  return out;
}

test('synchronization rule: reproduced / not reproduced / inconclusive, from error gaps and measured sync time', () => {
  const ms = { 'bn-local': 0, syncbn: 2, groupnorm: 0, layernorm: 0 };
  const good = { 'bn-local': 0.3, syncbn: 0.15, groupnorm: 0.25, layernorm: 0.35 };
  const j = judgeSynchronization(syncRuns(good, ms));
  assert.equal(j.verdict, 'reproduced');
  assert.ok(Math.abs((j.metrics.gap as number) - 0.15) < 1e-9);
  assert.match(j.explanation, /4 workers x 2 images: test error BN per worker 30\.0%, SyncBN 15\.0%/);
  assert.equal(judgeSynchronization(syncRuns({ ...good, syncbn: 0.295 }, ms)).verdict, 'not reproduced');
  assert.equal(judgeSynchronization(syncRuns({ ...good, groupnorm: 0.4 }, ms)).verdict, 'not reproduced');
  assert.equal(judgeSynchronization(syncRuns({ ...good, syncbn: 0.28 }, ms)).verdict, 'inconclusive');
  // GN between BN per worker and 3 points worse: neither verdict
  assert.equal(judgeSynchronization(syncRuns({ ...good, groupnorm: 0.32 }, ms)).verdict, 'inconclusive');
  // a norm that claims no communication must show none
  assert.equal(judgeSynchronization(syncRuns(good, { ...ms, groupnorm: 0.5 })).verdict, 'inconclusive');
  const runs = syncRuns(good, ms);
  for (const r of runs) if (r.config.variant === 'bn-local') { r.status = 'diverged'; r.divergedAt = 3; r.metrics = { testAcc: null }; }
  assert.ok(Math.abs((judgeSynchronization(runs).metrics['bn-local.err'] as number) - 0.9) < 1e-9, 'a diverged run counts as chance');
});
