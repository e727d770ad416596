/**
 * The coordinator (`normkit why|run --queue`) against a real redis-server
 * with real `normkit worker` processes: same report as a local study,
 * restarts that run nothing twice, a lost Redis that loses no result, and
 * jobs the workers cannot run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadExperiments } from '../../src/registry.js';
import { buildReport, type StudyResults } from '../../src/report/build.js';
import type { StoredRun, StudyMeta } from '../../src/store.js';
import { runCli, tmp } from '../lab/helpers.js';
import { execLog, SLOW, startNormkit, startRedis, storedLines, until, queueTestFixture } from './helpers.js';

const fixture = queueTestFixture();
const { skip } = fixture;
const worker = fixture.worker;

function runFiles(out: string, exp: string): string[] {
  const d = join(out, 'runs', exp);
  return existsSync(d) ? readdirSync(d).sort() : [];
}

/** `x` without timing fields (keys ending in `Ms`: wallMs, stepMs): measurements of speed, not results. */
function untimed(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(untimed);
  if (x === null || typeof x !== 'object') return x;
  return Object.fromEntries(Object.entries(x).filter(([k]) => !k.endsWith('Ms')).map(([k, v]) => [k, untimed(v)]));
}

/** `x` with the timing fields (keys ending in `Ms`) of `t`, which has the same shape. */
function timedAs(x: unknown, t: unknown): unknown {
  if (x === null || typeof x !== 'object' || t === null || typeof t !== 'object') return x;
  if (Array.isArray(x)) return x.map((v, i) => timedAs(v, (t as unknown[])[i]));
  const tt = t as Record<string, unknown>;
  return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, k.endsWith('Ms') ? tt[k] : timedAs(v, tt[k])]));
}

/**
 * Compare a queue study with a local one of the same seeds: every run equal
 * except where it computed (`worker`) and how fast (timing fields; all of
 * the cost experiment's numbers are timings); then the queue's report,
 * rebuilt with the local timings, must equal the local report exactly
 * (verdicts, explanations, metrics, tables, runs). Timings are the study's
 * only non-deterministic numbers, and some verdicts read them.
 */
async function assertSameReport(q: string, local: string): Promise<void> {
  const merged = tmp('queue-merged');
  const names = readdirSync(join(local, 'runs')).sort();
  assert.deepEqual(readdirSync(join(q, 'runs')).sort(), names);
  for (const exp of names) {
    assert.deepEqual(runFiles(q, exp), runFiles(local, exp), exp);
    mkdirSync(join(merged, 'runs', exp), { recursive: true });
    for (const f of runFiles(local, exp)) {
      const { worker, ...qr } = JSON.parse(readFileSync(join(q, 'runs', exp, f), 'utf8')) as StoredRun;
      assert.ok(worker, `${exp}/${f} carries no worker`);
      const lr = JSON.parse(readFileSync(join(local, 'runs', exp, f), 'utf8')) as StoredRun;
      let m: unknown;
      if (exp === 'cost') {
        assert.deepEqual([qr.id, qr.seed, qr.config, qr.status], [lr.id, lr.seed, lr.config, lr.status], `${exp}/${f}`);
        m = lr;
      } else {
        assert.deepEqual(untimed(qr), untimed(lr), `${exp}/${f}: the run differs between the queue and the local study`);
        m = timedAs(qr, lr);
      }
      writeFileSync(join(merged, 'runs', exp, f), JSON.stringify(m));
    }
  }
  copyFileSync(join(q, 'study.json'), join(merged, 'study.json'));
  await buildReport({ dirs: [merged], out: merged, experiments: await loadExperiments(), warn: () => {} });
  const experiments = (d: string) => (JSON.parse(readFileSync(join(d, 'results.json'), 'utf8')) as StudyResults).experiments;
  assert.deepEqual(experiments(merged), experiments(local));
}

test('the smoke study through the queue with 2 worker processes gives the report of a local study', { skip }, async () => {
  const url = fixture.redis.url(1);
  const ws = [await worker(url, ['--jobs', '1']), await worker(url, ['--jobs', '1'])];
  const q = tmp('queue-smoke');
  const viaQueue = startNormkit(['why', '--profile', 'smoke', '--out', q, '--queue', url], { NORMKIT_EXTRA_EXPERIMENTS: undefined });
  const local = tmp('local-smoke');
  const l = await runCli(['why', '--profile', 'smoke', '--out', local, '--no-progress', '--jobs', '2'], {});
  assert.equal(l.code, 0, l.stderr);
  const r = await viaQueue.done;
  assert.equal(r.code, 0, r.out);
  await assertSameReport(q, local);

  // every run says where it computed; the counts per worker add up
  const results = JSON.parse(readFileSync(join(q, 'results.json'), 'utf8')) as StudyResults;
  const runs = results.experiments.flatMap((e) => e.runs);
  const pids = new Set(ws.map((w) => w.proc.pid));
  for (const run of runs) {
    assert.ok(run.worker && pids.has(run.worker.pid), `${run.experiment}/${run.id}: ${JSON.stringify(run.worker)}`);
    assert.match(run.worker.normkit, /^\d+\.\d+\.\d+/);
    assert.equal(run.worker.backend, 'default');
  }
  const meta = JSON.parse(readFileSync(join(q, 'study.json'), 'utf8')) as StudyMeta;
  assert.equal(meta.queue, url);
  assert.equal(meta.workers!.reduce((a, w) => a + w.runs, 0), runs.length);
  assert.deepEqual([meta.workers!.length, meta.jobs], [2, 2], 'two workers of one thread each');
  assert.ok(meta.workers!.every((w) => w.threads === 1 && w.cpus >= 1));
  // the report says who computed what: results.json, report.md and index.html list the workers
  const queued = JSON.parse(readFileSync(join(q, 'results.json'), 'utf8')) as StudyResults;
  assert.deepEqual(queued.study.workers!.map((w) => w.runs).reduce((a, b) => a + b, 0), runs.length);
  for (const f of ['report.md', 'index.html']) {
    const text = readFileSync(join(q, f), 'utf8');
    assert.match(text, /Computed through the job queue by 2 worker\(s\)/, f);
    for (const w of meta.workers!) assert.ok(text.includes(w.id) && text.includes(w.host) && text.includes(w.backend), `${f} names worker ${w.id}`);
  }
  assert.match(r.out, /runs stored per worker: \S+:\d+ \d+/);
  assert.equal(storedLines(r.out, '\\S+').length, runs.length, 'one progress line per stored run');
});

test('a coordinator stopped midway (SIGINT, then SIGKILL) and restarted resumes: nothing runs twice, nothing is written twice', { skip }, async () => {
  const url = fixture.redis.url(2);
  const log = join(tmp('queue-restart-log'), 'exec.log');
  const env = { NORMKIT_EXTRA_EXPERIMENTS: SLOW, NORMKIT_QUEUE_TOY_MS: '300', NORMKIT_QUEUE_EXEC_LOG: log };
  await worker(url, ['--jobs', '1'], env);
  await worker(url, ['--jobs', '1'], env);
  const out = tmp('queue-restart');
  const args = ['run', 'queue-slow', '--profile', 'smoke', '--seeds', '4', '--out', out, '--queue', url];
  const outputs: string[] = [];

  // 1. Ctrl-C after 2 stored runs: exit 130, the queued runs stay with the workers
  const c1 = startNormkit(args, env);
  await until(() => runFiles(out, 'queue-slow').length >= 2, 20_000, () => c1.out());
  c1.proc.kill('SIGINT');
  const r1 = await c1.done;
  assert.equal(r1.code, 130, r1.out);
  assert.match(r1.out, /interrupted; \d+ of 12 runs are stored .*workers go on/);
  outputs.push(r1.out);

  // 2. killed outright (no clean-up at all) a little later
  const before2 = runFiles(out, 'queue-slow').length;
  const c2 = startNormkit(args, env);
  await until(() => runFiles(out, 'queue-slow').length >= before2 + 2, 20_000, () => c2.out());
  c2.proc.kill('SIGKILL');
  outputs.push((await c2.done).out);
  assert.match(outputs[1]!, /\d+ already done/);
  const kept = new Map(runFiles(out, 'queue-slow').map((f) => [f, statSync(join(out, 'runs', 'queue-slow', f)).mtimeMs]));

  // 3. the same command finishes the study
  const r3 = await startNormkit(args, env).done;
  assert.equal(r3.code, 0, r3.out);
  outputs.push(r3.out);
  assert.equal(runFiles(out, 'queue-slow').length, 12);
  for (const [f, mtime] of kept) assert.equal(statSync(join(out, 'runs', 'queue-slow', f)).mtimeMs, mtime, `${f} was written again`);

  const exec = execLog(log);
  assert.equal(exec.size, 12);
  for (const [id, e] of exec) assert.ok(e.starts.length === 1 && e.ends.length === 1, `${id} ran ${e.starts.length} times: ${JSON.stringify(e)}`);
  // every run file was written by exactly one coordinator line over the three invocations
  const lines = outputs.flatMap((o) => storedLines(o, 'queue-slow')).sort();
  assert.deepEqual(lines, [...exec.keys()].sort());
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
  assert.equal(results.experiments[0]!.verdict, 'reproduced');
  assert.equal(results.experiments[0]!.runCounts.ok, 12);
});

test('a job for an experiment the workers do not know becomes an error result naming it; the worker goes on', { skip }, async () => {
  const url = fixture.redis.url(3);
  // the coordinator knows queue-slow, the worker does not
  const w = await worker(url, ['--jobs', '1'], { NORMKIT_EXTRA_EXPERIMENTS: undefined });
  const out = tmp('queue-unknown');
  const r = await startNormkit(['run', 'queue-slow', '--profile', 'smoke', '--seeds', '1', '--out', out, '--queue', url], { NORMKIT_EXTRA_EXPERIMENTS: SLOW }).done;
  assert.equal(r.code, 0, r.out);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
  const e = results.experiments[0]!;
  assert.equal(e.verdict, 'inconclusive');
  assert.equal(e.runCounts.error, 3);
  assert.match(e.explanation, /unknown experiment "queue-slow" on \S+ \(known here: classic-mlp,.*NORMKIT_EXTRA_EXPERIMENTS/);
  assert.match(w.out(), /job "queue-slow\/k1-s1\/[0-9a-f]{8}" failed/);
  assert.equal(w.proc.exitCode, null, 'the worker is still running');
});

test('one study per queue: a second coordinator writing elsewhere is refused, naming the first', { skip }, async () => {
  const url = fixture.redis.url(6);
  const env = { NORMKIT_EXTRA_EXPERIMENTS: SLOW };
  const first = tmp('queue-first');
  // no worker: the first coordinator waits, holding the queue
  const a = startNormkit(['run', 'queue-slow', '--profile', 'smoke', '--out', first, '--queue', url], env);
  await until(() => /worker\(s\) connected/.test(a.out()), 15_000, () => a.out());
  const second = tmp('queue-second');
  const b = await startNormkit(['run', 'queue-slow', '--profile', 'smoke', '--out', second, '--queue', url], env).done;
  assert.equal(b.code, 1, b.out);
  assert.ok(b.out.includes(`the queue ${url} is in use by another study: coordinator`) && b.out.includes(`writing to ${first}`), b.out);
  assert.match(b.out, /redis:\/\/HOST:PORT\/1/);
  assert.ok(!existsSync(join(second, 'study.json')), 'the refused study wrote nothing');
  a.proc.kill('SIGINT');
  assert.equal((await a.done).code, 130);
});

test('Redis stopped mid-study: the coordinator names the URL it lost and every finished run is on disk', { skip }, async () => {
  const own = await startRedis();
  try {
    const url = own.url(5);
    const log = join(tmp('queue-stop-log'), 'exec.log');
    const env = { NORMKIT_EXTRA_EXPERIMENTS: SLOW, NORMKIT_QUEUE_TOY_MS: '300', NORMKIT_QUEUE_EXEC_LOG: log, NORMKIT_QUEUE_RECONNECT_MS: '1500' };
    const ws = [await worker(url, ['--jobs', '1'], env), await worker(url, ['--jobs', '1'], env)];
    const out = tmp('queue-stop');
    const c = startNormkit(['run', 'queue-slow', '--profile', 'smoke', '--seeds', '4', '--out', out, '--queue', url], env);
    await until(() => runFiles(out, 'queue-slow').length >= 3, 20_000, () => c.out());
    const t0 = Date.now();
    await own.stop();
    const r = await c.done;
    assert.equal(r.code, 1, r.out);
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms to give up`);
    assert.match(r.out, new RegExp(`lost the connection to Redis at redis://127\\.0\\.0\\.1:${own.port}/5 .*could not reconnect within 1\\.5 s; \\d+ of 12 runs are stored in ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    // what the coordinator said it stored is exactly what is on disk, complete
    const files = runFiles(out, 'queue-slow');
    assert.ok(files.every((f) => f.endsWith('.json')), `temporary files left: ${files}`);
    assert.deepEqual(files.map((f) => f.slice(0, -5)).sort(), storedLines(r.out, 'queue-slow').sort());
    for (const f of files) {
      const run = JSON.parse(readFileSync(join(out, 'runs', 'queue-slow', f), 'utf8')) as StoredRun;
      assert.equal(run.status, 'ok');
    }
    // the workers give up too, naming the URL
    for (const w of ws) {
      const d = await w.done;
      assert.equal(d.code, 1, d.out);
      assert.match(d.out, new RegExp(`lost the connection to Redis at redis://127\\.0\\.0\\.1:${own.port}/5`));
    }
  } finally {
    await own.stop();
  }
});
