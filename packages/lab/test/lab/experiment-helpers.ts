/** Helpers for the experiment test files: smoke runs in-process and crafted results for judge(). */
import assert from 'node:assert/strict';
import type { Experiment, RunConfig, RunOutput, RunResult, RunSpec } from '../../src/experiment.js';

/** A stored run from a spec and its output (judge tests craft results with it). */
export function result<C extends RunConfig>(spec: RunSpec<C>, out: RunOutput, name = 'x', wallMs = 0): RunResult<C> {
  return { ...spec, ...out, experiment: name, wallMs };
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
