/**
 * DataParallel in a real browser: Debian's Chromium loads dist/src/index.js
 * on a cross-origin isolated page (COOP/COEP headers, as
 * test/browser/chromium.test.ts serves it), trains the test replica (an MLP
 * with SyncBatchNorm) for a few steps with 2 module Web Workers, and every
 * loss, parameter and running statistic must match the same run in Node
 * (worker threads) within 1e-6 relative. On a page without cross-origin
 * isolation DataParallel must refuse with the clear error naming the headers.
 *
 * Skipped, with the reason, when /usr/bin/chromium (or $NORMKIT_CHROMIUM) or
 * playwright-core is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
// before normkit: Node runs the build Chromium runs (relaxed SIMD)
import '../relaxed-simd-on.js';
import * as nk from '../../src/index.js';
import { CHROMIUM, LAUNCH_ARGS, playwright, runModulePage, skipReason, startServer } from '../browser/harness.js';
import { runDataParallelScenario, type DpScenarioResult } from './fixtures/dp-scenario.js';

type PageOutcome =
  | { ok: true; result: DpScenarioResult; again: DpScenarioResult; started: number; idle: number; isolated: boolean }
  | { ok: false; message: string; isolated: boolean };

/** The page: the library as an ES module, and one runner for the scenario. */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>normkit DataParallel test</title></head>
<body>
<script type="module">
import * as nk from '/dist/src/index.js';
import { runDataParallelScenario } from '/dist/test/parallel/fixtures/dp-scenario.js';
window.__run = async () => {
  const isolated = self.crossOriginIsolated === true;
  await nk.initWasm();
  try {
    // twice in one WorkerPool: the second run's replicas are built in the first one's workers
    const pool = new nk.parallel.WorkerPool();
    const result = await runDataParallelScenario(nk, 2, 3, pool);
    const again = await runDataParallelScenario(nk, 2, 3, pool);
    const started = pool.startedWorkers, idle = pool.idleWorkers;
    await pool.close();
    return { ok: true, result, again, started, idle, isolated };
  } catch (e) {
    return { ok: false, message: String(e && e.message || e), isolated };
  }
};
window.__loaded = true;
</script>
</body></html>`;

/** Each value of `browser` within rtol of Node's (|a - b| <= rtol * max(|a|, |b|)); the problems, first per array. */
function compare(browser: number[][], node: number[][], what: string, rtol = 1e-6): string[] {
  const out: string[] = [];
  if (browser.length !== node.length) return [`${what}: ${browser.length} arrays in the browser, ${node.length} in Node`];
  node.forEach((b, k) => {
    const a = browser[k]!;
    if (a.length !== b.length) { out.push(`${what} ${k}: ${a.length} values in the browser, ${b.length} in Node`); return; }
    const i = b.findIndex((y, j) => !(Math.abs(a[j]! - y) <= rtol * Math.max(Math.abs(a[j]!), Math.abs(y))));
    if (i >= 0) out.push(`${what} ${k}[${i}]: browser ${a[i]} vs node ${b[i]}`);
  });
  return out;
}

test('Chromium: DataParallel with 2 module Web Workers on a cross-origin isolated page trains as in Node, twice in one WorkerPool; a plain page gets the clear error', { skip: skipReason, timeout: 90_000 }, async () => {
  const pw = playwright as typeof import('playwright-core');
  const node = await runDataParallelScenario(nk, 2);
  assert.equal(node.losses.length, 3);
  const failures: string[] = [];
  const { server, origin } = await startServer(PAGE, failures, { isolateFiles: true });
  const browser = await pw.chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  try {
    const runPage = (path: string): Promise<PageOutcome> => runModulePage<PageOutcome>(browser, origin, path, failures);

    const isolated = await runPage('/isolated.html');
    const plain = await runPage('/plain.html');
    assert.deepEqual(failures, [], `the pages reported problems:\n${failures.join('\n')}`);

    assert.equal(isolated.isolated, true, 'COOP/COEP headers should make the page cross-origin isolated');
    if (!isolated.ok) assert.fail(`isolated page: DataParallel failed: ${isolated.message}`);
    assert.equal(isolated.result.workers, 2);
    assert.deepEqual(isolated.again, isolated.result, 'a second DataParallel in the same WorkerPool trains bit for bit as the first');
    assert.equal(isolated.started, 2, 'the second DataParallel reused the pool\'s two Web Workers');
    assert.equal(isolated.idle, 2);
    assert.equal(isolated.result.backend, node.backend, 'the same kernel backend on both sides');
    assert.equal(isolated.result.relaxedSimd, node.relaxedSimd, 'the same WebAssembly build on both sides');
    const problems = [
      ...compare([isolated.result.losses], [node.losses], 'losses'),
      ...compare(isolated.result.params, node.params, 'parameter'),
      ...compare(isolated.result.buffers, node.buffers, 'buffer'),
    ];
    assert.deepEqual(problems, [], `browser and Node disagree:\n${problems.join('\n')}`);
    const all = (r: DpScenarioResult) => [r.losses, ...r.params, ...r.buffers].flat();
    const nb = all(node);
    const worst = all(isolated.result).reduce((m, v, i) => Math.max(m, Math.abs(v - nb[i]!) / Math.max(1e-30, Math.abs(nb[i]!))), 0);
    console.log(`Chromium DataParallel (2 Web Workers, ${node.backend}): losses ${isolated.result.losses.map((l) => l.toFixed(6)).join(', ')}; ${nb.length} numbers, largest relative difference from Node ${worst.toExponential(2)}`);
    // the run trained something: the parameters moved and the running statistics left their initial values
    assert.ok(node.losses.every(Number.isFinite));
    assert.ok(node.buffers.some((b) => b.some((v) => v !== 0 && v !== 1)), 'running statistics were updated');

    assert.equal(plain.isolated, false);
    assert.ok(!plain.ok, 'a page without cross-origin isolation must be refused');
    assert.match(plain.message, /DataParallel needs shared memory \(SharedArrayBuffer\).*cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
  } finally {
    await browser.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
