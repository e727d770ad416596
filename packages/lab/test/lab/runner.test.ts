import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startCli, TOY, tmp } from './helpers.js';
import { getBackend, setBackend } from 'normkit';
import { runStudy } from '../../src/runner.js';
import { readAllRuns } from '../../src/store.js';
import { invariances } from '../../src/experiments/invariances.js';
import { numerics } from '../../src/experiments/numerics.js';
import { toyDescent, toyThrows } from './fixtures/toy-experiments.js';
import { SLOW } from '../queue/helpers.js';
import { queueCrash } from '../queue/fixtures/slow-experiments.js';
import type { StudyResults } from '../../src/report/build.js';

const env = { NORMKIT_EXTRA_EXPERIMENTS: TOY };
// Worker threads started by runStudy below load the toy experiments through the registry too.
process.env.NORMKIT_EXTRA_EXPERIMENTS = TOY;

function runFiles(out: string, exp: string): string[] {
  const d = join(out, 'runs', exp);
  return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.json')).sort() : [];
}

test('SIGINT stops the study without losing finished runs; a rerun finishes the rest without recomputing', async () => {
  const out = tmp('sigint');
  // 6 runs of ~250 ms each on one worker: interrupt after the second is stored.
  const { child, done } = startCli(['run', 'toy-descent', '--profile', 'smoke', '--out', out, '--jobs', '1'], { ...env, NORMKIT_TOY_DELAY_MS: '250' });
  const t0 = Date.now();
  while (runFiles(out, 'toy-descent').length < 2 && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGINT');
  const first = await done;
  assert.equal(first.code, 130, `expected exit code 130 after SIGINT, got ${first.code}; stderr: ${first.stderr}`);
  assert.match(first.stderr, /interrupted/);
  const kept = runFiles(out, 'toy-descent');
  assert.ok(kept.length >= 2 && kept.length < 6, `expected 2..5 stored runs, got ${kept.length}`);
  assert.ok(!existsSync(join(out, 'results.json')), 'an interrupted study writes no report');
  // no temporary files are left behind, and every stored run is complete JSON
  assert.deepEqual(readdirSync(join(out, 'runs', 'toy-descent')).filter((f) => !f.endsWith('.json')), []);
  const before = new Map(kept.map((f) => [f, { mtime: statSync(join(out, 'runs', 'toy-descent', f)).mtimeMs, text: readFileSync(join(out, 'runs', 'toy-descent', f), 'utf8') }]));
  for (const v of before.values()) JSON.parse(v.text);

  const second = await runCli(['run', 'toy-descent', '--profile', 'smoke', '--out', out, '--jobs', '1'], { ...env, NORMKIT_TOY_DELAY_MS: '250' });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, new RegExp(`6 runs \\(${kept.length} already done`));
  assert.equal(runFiles(out, 'toy-descent').length, 6);
  for (const [f, v] of before) {
    const p = join(out, 'runs', 'toy-descent', f);
    assert.equal(statSync(p).mtimeMs, v.mtime, `${f} was recomputed`);
    assert.equal(readFileSync(p, 'utf8'), v.text);
  }
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
  assert.equal(results.experiments[0]!.runs.length, 6);
  assert.equal(results.experiments[0]!.verdict, 'reproduced');
});

test('a run whose loss becomes NaN/Inf is a diverged result with its step; a throwing run is an error; the study goes on', async () => {
  const out = tmp('diverge');
  const r = await runCli(['run', 'toy-descent', 'toy-throws', 'numerics', '--profile', 'smoke', '--out', out], env);
  assert.equal(r.code, 0, r.stderr);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
  const toy = results.experiments.find((e) => e.name === 'toy-descent')!;
  const div = toy.runs.filter((x) => x.status === 'diverged');
  assert.equal(div.length, 2);
  for (const d of div) {
    assert.equal(d.config.lr, 1.5);
    // x doubles in magnitude per step from |x0| ~ 1: x^2 overflows float32 (3.4e38) after ~64 steps
    assert.ok(d.status === 'diverged' && typeof d.divergedAt === 'number' && d.divergedAt > 40 && d.divergedAt < 140, `divergedAt ${JSON.stringify(d)}`);
  }
  assert.equal(toy.runCounts.diverged, 2);
  assert.match(r.stderr, /diverged at step \d+/);
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /Diverged runs: lr1\.5-s1 at step \d+/);
  const thr = results.experiments.find((e) => e.name === 'toy-throws')!;
  assert.equal(thr.verdict, 'inconclusive');
  assert.match(thr.explanation, /RangeError: toy failure on purpose/);
  assert.equal(thr.runCounts.error, 1);
  // the experiment after the failing ones still ran and was judged
  assert.equal(results.experiments.find((e) => e.name === 'numerics')!.verdict, 'reproduced');
  // error runs are retried on the next invocation (they may be bugs since fixed)
  const again = await runCli(['run', 'toy-throws', '--profile', 'smoke', '--out', out], env);
  assert.match(again.stderr, /2 runs \(1 already done/);
});

function strip(runs: ReturnType<typeof readAllRuns>) {
  return runs.map(({ wallMs: _w, ...r }) => r);
}

test('same seed gives identical results; worker threads and the main thread give identical runs', async () => {
  const exps = [invariances, numerics, toyDescent, toyThrows];
  const a = tmp('det-a');
  const b = tmp('det-b');
  await runStudy({ profile: 'smoke', out: a, experiments: exps, inProcess: true, progress: 'none', handleSigint: false });
  await runStudy({ profile: 'smoke', out: b, experiments: exps, jobs: 2, progress: 'none', handleSigint: false });
  for (const e of exps) {
    const ra = strip(readAllRuns(a, e.name));
    assert.ok(ra.length > 0);
    assert.deepEqual(strip(readAllRuns(b, e.name)), ra, `${e.name}: worker and in-process runs differ`);
  }
  // two CLI invocations: identical results.json metrics and runs (up to timings)
  const c1 = tmp('det-c1');
  const c2 = tmp('det-c2');
  for (const c of [c1, c2]) assert.equal((await runCli(['run', 'invariances', 'numerics', 'toy-descent', '--profile', 'smoke', '--out', c, '--no-progress'], env)).code, 0);
  const norm = (p: string) => {
    const r = JSON.parse(readFileSync(join(p, 'results.json'), 'utf8')) as StudyResults;
    return r.experiments.map((e) => ({ name: e.name, verdict: e.verdict, metrics: e.metrics, tables: e.tables, runs: strip(e.runs) }));
  };
  assert.deepEqual(norm(c2), norm(c1));
});

test('the backend travels with each run to its worker thread (no environment variable), and is recorded per run', async () => {
  const saved = process.env.NORMKIT_BACKEND;
  const mainBackend = getBackend();
  // a stale variable from an older normkit must not matter any more
  process.env.NORMKIT_BACKEND = 'wasm';
  try {
    const backends = async (opts: { backend?: 'js' | 'wasm'; inProcess?: boolean }) => {
      const out = tmp('backend');
      await runStudy({ profile: 'smoke', out, experiments: [numerics], registered: [numerics], jobs: 2, progress: 'none', handleSigint: false, ...opts });
      return new Set(readAllRuns(out, 'numerics').map((r) => (r.status === 'error' ? r.error : r.backend)));
    };
    assert.deepEqual(await backends({ backend: 'js' }), new Set(['js']));
    assert.deepEqual(await backends({ backend: 'js', inProcess: true }), new Set(['js']));
    assert.deepEqual(await backends({}), new Set(['wasm']), 'the default backend is WebAssembly where it loads');
  } finally {
    if (saved === undefined) delete process.env.NORMKIT_BACKEND;
    else process.env.NORMKIT_BACKEND = saved;
    // the in-process run switched this thread's backend
    setBackend(mainBackend);
  }
});

test('a run that ends its worker thread (process.exit) is an error result; a fresh thread runs the next one', async () => {
  const saved = process.env.NORMKIT_EXTRA_EXPERIMENTS;
  // threads read the variable when they start
  process.env.NORMKIT_EXTRA_EXPERIMENTS = SLOW;
  try {
    const out = tmp('crash');
    const o = await runStudy({ profile: 'smoke', out, experiments: [queueCrash], registered: [queueCrash], jobs: 1, progress: 'none', handleSigint: false });
    assert.equal(o.executed, 2);
    const runs = readAllRuns(out, 'queue-crash');
    assert.deepEqual(runs.map((r) => [r.id, r.status, r.status === 'error' ? r.error : r.metrics.one]), [
      ['exit', 'error', 'worker thread exited with code 3 during the run'],
      ['fine', 'ok', 1],
    ]);
  } finally {
    if (saved === undefined) delete process.env.NORMKIT_EXTRA_EXPERIMENTS;
    else process.env.NORMKIT_EXTRA_EXPERIMENTS = saved;
  }
});

test('a temporary file left by a killed writer (NAME.tmp-PID-x) is removed when its process is gone; a live writer\'s is left alone', async () => {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { spawnSync } = await import('node:child_process');
  const { removeStaleTemps } = await import('../../src/store.js');
  // a pid that was alive and is not any more: a child that has exited
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const out = tmp('stale-temps');
  mkdirSync(join(out, 'runs', 'numerics'), { recursive: true });
  const deadRun = join(out, 'runs', 'numerics', `sweep-s1.json.tmp-${dead}-k3x`);
  const deadStudy = join(out, `study.json.tmp-${dead}-q9`);
  const live = join(out, 'runs', 'numerics', `sweep-s2.json.tmp-${process.pid}-a1`);
  for (const f of [deadRun, deadStudy, live]) writeFileSync(f, '{');
  // a study over the directory clears the dead writer's temporaries first and leaves the live one
  await runStudy({ profile: 'smoke', out, experiments: [numerics], inProcess: true, progress: 'none', handleSigint: false });
  assert.equal(existsSync(deadRun), false);
  assert.equal(existsSync(deadStudy), false);
  assert.equal(existsSync(live), true);
  assert.deepEqual(removeStaleTemps(out), [], 'nothing left to remove');
  assert.ok(readAllRuns(out, 'numerics').length > 0);
});
