import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli, TOY, tmp } from '../lab/helpers.js';
import { loadExperiments } from '../../src/registry.js';

test('normkit --help lists the commands', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0, r.stderr);
  for (const c of ['why', 'run', 'list', 'report']) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
  // subcommands of other modules are registered when their module is built
  for (const c of ['adapt', 'export']) {
    if (existsSync(join(ROOT, 'dist', 'src', 'cli', `${c}.js`))) assert.match(r.stdout, new RegExp(`\\b${c}\\b`), `${c} is built but not registered`);
  }
});

test('normkit --version prints the package version', async () => {
  const { readFileSync } = await import('node:fs');
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const r = await runCli(['--version']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), version);
});

test('normkit list prints every registered experiment', async () => {
  const r = await runCli(['list']);
  assert.equal(r.code, 0, r.stderr);
  for (const e of await loadExperiments()) assert.ok(r.stdout.includes(e.name), `list misses ${e.name}`);
  assert.ok(r.stdout.includes('invariances') && r.stdout.includes('numerics'));
});

test('an unknown experiment is named and the valid ones are listed', async () => {
  const r = await runCli(['run', 'no-such-thing', '--out', tmp('cli')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unknown experiment "no-such-thing"/);
  assert.match(r.stderr, /valid: .*invariances/);
  const o = await runCli(['why', '--only', 'numerics,bogus', '--out', tmp('cli')]);
  assert.notEqual(o.code, 0);
  assert.match(o.stderr, /"bogus"/);
});

test('bad option values are quoted in the error', async () => {
  const p = await runCli(['why', '--profile', 'huge']);
  assert.notEqual(p.code, 0);
  assert.match(p.stderr, /huge/);
  assert.match(p.stderr, /smoke, quick, full/);
  const j = await runCli(['why', '--jobs', 'two']);
  assert.notEqual(j.code, 0);
  assert.match(j.stderr, /positive integer for --jobs, got "two"/);
  const s = await runCli(['run', 'numerics', '--seeds', '0']);
  assert.notEqual(s.code, 0);
  assert.match(s.stderr, /--seeds, got "0"/);
});

test('normkit report on a directory without a study names it', async () => {
  const d = tmp('cli-empty');
  const r = await runCli(['report', d]);
  assert.notEqual(r.code, 0);
  assert.ok(r.stderr.includes(d), r.stderr);
});

test('normkit report rebuilds and merges result directories', async () => {
  const env = { NORMKIT_EXTRA_EXPERIMENTS: TOY };
  const a = tmp('cli-a');
  const b = tmp('cli-b');
  assert.equal((await runCli(['run', 'toy-descent', '--profile', 'smoke', '--out', a, '--no-progress'], env)).code, 0);
  assert.equal((await runCli(['run', 'numerics', '--profile', 'smoke', '--out', b, '--no-progress'], env)).code, 0);
  const out = tmp('cli-merged');
  const r = await runCli(['report', a, b, '--out', out], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /toy-descent\s+reproduced/);
  assert.match(r.stdout, /numerics\s+reproduced/);
  // the merged directory holds the runs, so it can be rebuilt on its own
  const again = await runCli(['report', out], env);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /toy-descent\s+reproduced/);
  assert.match(again.stdout, /numerics\s+reproduced/);
});

test('--backend chooses the kernel backend of every run, in workers too, and is recorded per run', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const backendsOf = (dir: string) =>
    readdirSync(join(dir, 'runs', 'numerics')).map((f) => (JSON.parse(readFileSync(join(dir, 'runs', 'numerics', f), 'utf8')) as { backend?: string }).backend);
  const js = tmp('cli-js');
  const r = await runCli(['run', 'numerics', '--profile', 'smoke', '--out', js, '--no-progress', '--backend', 'js']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(backendsOf(js).length > 0 && backendsOf(js).every((b) => b === 'js'), JSON.stringify(backendsOf(js)));
  const def = tmp('cli-wasm');
  assert.equal((await runCli(['run', 'numerics', '--profile', 'smoke', '--out', def, '--no-progress'])).code, 0);
  assert.ok(backendsOf(def).every((b) => b === 'wasm'), `default backend should be wasm in Node: ${JSON.stringify(backendsOf(def))}`);
  const bad = await runCli(['run', 'numerics', '--backend', 'gpu']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /'gpu' is invalid/);
});

test('the normkit command runs the relaxed-SIMD build (Node 20: through the V8 flag), records it per run and in the report; NORMKIT_RELAXED_SIMD=0 keeps the SIMD-only build', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const runsOf = (dir: string) =>
    readdirSync(join(dir, 'runs', 'numerics')).map((f) => JSON.parse(readFileSync(join(dir, 'runs', 'numerics', f), 'utf8')) as { backend?: string; relaxedSimd?: boolean });
  const on = tmp('cli-relaxed');
  const r = await runCli(['run', 'numerics', '--profile', 'smoke', '--out', on, '--no-progress']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(runsOf(on).length > 0 && runsOf(on).every((x) => x.backend === 'wasm' && x.relaxedSimd === true), JSON.stringify(runsOf(on)));
  const n = runsOf(on).length;
  assert.ok(readFileSync(join(on, 'report.md'), 'utf8').includes(`kernels: WebAssembly with relaxed SIMD (${n} run${n === 1 ? '' : 's'})`));
  const off = tmp('cli-simd-only');
  const r2 = await runCli(['run', 'numerics', '--profile', 'smoke', '--out', off, '--no-progress'], { NORMKIT_RELAXED_SIMD: '0' });
  assert.equal(r2.code, 0, r2.stderr);
  assert.ok(runsOf(off).every((x) => x.backend === 'wasm' && x.relaxedSimd === false), JSON.stringify(runsOf(off)));
  assert.match(readFileSync(join(off, 'report.md'), 'utf8'), /kernels: WebAssembly, SIMD only/);
});
