/** Helpers for the experiment test files: smoke runs in-process and crafted results for judge(). */
import assert from 'node:assert/strict';
import type { Experiment, RunConfig, RunOutput, RunResult, RunSpec } from '../../src/experiment.js';

/** A stored run from a spec and its output (judge tests craft results with it). */
export function result<C extends RunConfig>(spec: RunSpec<C>, out: RunOutput, name = 'x', wallMs = 0): RunResult<C> {
  return { ...spec, ...out, experiment: name, wallMs };
}

let crafted = 0;
/** A made-up finished run for `judge` tests: status ok unless `more` says otherwise, a fresh id. */
export function craftedRun<C extends RunConfig>(experiment: string, seed: number, config: C, metrics: { [k: string]: number | null }, more: Partial<RunResult<C>> = {}): RunResult<C> {
  return { id: `r${crafted++}`, seed, config, experiment, wallMs: 1, status: 'ok', metrics, ...more };
}

/** Run every smoke spec of `exp` directly (run ids must be unique), as the runner would store them. */
export async function smoke<C extends RunConfig>(exp: Experiment<C>): Promise<RunResult<C>[]> {
  const specs = exp.runs('smoke');
  assert.ok(specs.length > 0);
  assert.equal(new Set(specs.map((s) => s.id)).size, specs.length, 'run ids are unique');
  const out: RunResult<C>[] = [];
  for (const s of specs) {
    const t0 = performance.now();
    const r = await exp.run(s, { profile: 'smoke', progress: () => {} });
    out.push(result(s, r, exp.name, performance.now() - t0));
  }
  return out;
}

/** What {@link checkSmoke} asserts beyond the basics (each experiment's smoke cost and outputs differ). */
export interface SmokeCheck {
  /** The smoke runs must finish within this (ms). */
  maxMs: number;
  /** Smoke needs at least this many seeds (default 1). */
  smokeSeeds?: number;
  /** At least this many charts (default 1). */
  minCharts?: number;
  /** At least one table (default false). */
  tables?: boolean;
  /** Metrics that are timings, left out of the determinism check (default ['stepMs']; [] compares every metric). */
  timings?: string[];
  /** The determinism check compares the series too (default false). */
  series?: boolean;
  /** The rule and the quick set-up are longer than this many characters (default 20). */
  minText?: number;
}

/**
 * The checks every experiment's smoke profile passes: registered, unique run
 * ids, runs finish in time with ok/diverged status, results survive the JSON
 * round trip they make between threads and disk with finite-or-null metrics,
 * a verdict with an explanation, charts (and tables) of consistent width,
 * words for the rule and set-up, the same numbers again for the same seed
 * (first and last run), and enough seeds in quick (>= 2, all >= 1) and full (>= 3).
 * Returns the runs for the experiment's own assertions.
 */
export async function checkSmoke<C extends RunConfig>(exp: Experiment<C>, o: SmokeCheck): Promise<RunResult<C>[]> {
  const { experiments } = await import('../../src/experiments/index.js');
  assert.ok((experiments as unknown[]).includes(exp), `${exp.name} is registered in src/experiments/index.ts`);
  const specs = exp.runs('smoke');
  assert.ok(new Set(specs.map((s) => s.seed)).size >= (o.smokeSeeds ?? 1), `smoke has at least ${o.smokeSeeds ?? 1} seed(s)`);
  const t0 = performance.now();
  const runs = await smoke(exp);
  const ms = performance.now() - t0;
  assert.ok(ms < o.maxMs, `${exp.name} smoke took ${ms.toFixed(0)} ms (limit ${o.maxMs})`);
  for (const r of runs) {
    assert.ok(r.status === 'ok' || r.status === 'diverged', `${r.id}: status ${r.status}`);
    JSON.stringify(r);
    const round = JSON.parse(JSON.stringify({ metrics: r.metrics, series: r.series ?? null, extra: r.extra ?? null }));
    assert.deepEqual(round, { metrics: r.metrics, series: r.series ?? null, extra: r.extra ?? null }, `${r.id}: no NaN/Inf or typed arrays in results`);
    for (const [k, v] of Object.entries(r.metrics)) assert.ok(v === null || Number.isFinite(v), `${r.id}.${k} = ${v}`);
  }
  const j = exp.judge(runs, 'smoke');
  assert.ok(['reproduced', 'not reproduced', 'inconclusive'].includes(j.verdict));
  assert.ok(j.explanation.length > 20);
  JSON.stringify(j.metrics);
  const charts = exp.charts(runs);
  assert.ok(charts.length >= (o.minCharts ?? 1), `${charts.length} charts`);
  for (const c of charts) JSON.stringify(c);
  const tables = exp.tables?.(runs) ?? [];
  if (o.tables) assert.ok(tables.length >= 1, 'at least one table');
  for (const t of tables) for (const row of t.rows) assert.equal(row.length, t.columns.length, `table '${t.title}' row width`);
  const minText = o.minText ?? 20;
  assert.ok(exp.rule.length > minText && exp.setup('quick').length > minText && exp.paper.numbers.length > 20, `rule and set-up longer than ${minText} characters`);
  const timings = new Set(o.timings ?? ['stepMs']);
  const strip = (m: { [k: string]: number | null }) => Object.fromEntries(Object.entries(m).filter(([k]) => !timings.has(k)));
  for (const r of [runs[0]!, runs[runs.length - 1]!]) {
    const again = await exp.run(r, { profile: 'smoke', progress: () => {} });
    assert.deepEqual(strip(again.metrics), strip(r.metrics), `${r.id}: same seed, same numbers`);
    if (o.series) assert.deepEqual(again.series, r.series, `${r.id}: same seed, same series`);
  }
  assert.ok(exp.runs('quick').every((s) => s.seed >= 1) && new Set(exp.runs('quick').map((s) => s.seed)).size >= 2, 'quick has >= 2 seeds, all >= 1');
  assert.ok(new Set(exp.runs('full').map((s) => s.seed)).size >= 3, 'full has >= 3 seeds');
  return runs;
}
