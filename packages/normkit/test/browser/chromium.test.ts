/**
 * The library core runs in a real browser: Debian's Chromium loads
 * dist/src/index.js as an ES module from a local http server and runs the
 * workload of ./scenario.ts (norm layers forward/backward, weightNorm and
 * spectralNorm, an MLP step with Adam, Keras Normalization.adapt, a
 * safetensors round trip, ONNX export, the JS and WebAssembly backends, and
 * the Web Worker thread pool on a cross-origin isolated page). Every number
 * must match the same run in Node within 1e-6 relative (bytes exactly); the
 * page must log no console error, raise no uncaught exception and have no
 * failed request.
 *
 * Skipped, with the reason, when /usr/bin/chromium (or $NORMKIT_CHROMIUM) or
 * playwright-core is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
// before normkit: Node runs the build Chromium runs (relaxed SIMD)
import '../relaxed-simd-on.js';
import * as nk from '../../src/index.js';
import { CHROMIUM, LAUNCH_ARGS, playwright, runModulePage, skipReason, startServer } from './harness.js';
import { runScenario, type ScenarioResult, type ScenarioInfo } from './scenario.js';

/** What the page sends back for one run. */
interface PageRun {
  env: { crossOriginIsolated: boolean; sharedArrayBuffer: boolean; userAgent: string };
  backendBeforeInit: string;
  wasmLoaded: boolean;
  backendAfterInit: string;
  wasmShared: boolean | null;
  wasmRelaxedSimd: boolean;
  residentBytesDuringBig: number;
  js: { result: ScenarioResult; info: ScenarioInfo };
  wasm: { result: ScenarioResult; info: ScenarioInfo } | null;
  threads: { result: ScenarioResult; info: ScenarioInfo } | null;
  threadsError: string | null;
  /** Milliseconds: module graph loaded (since navigation start), and each scenario run. */
  ms: Record<string, number>;
}

/** The page: imports the library as an ES module and exposes one runner. */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>normkit browser test</title></head>
<body>
<script type="module">
import * as nk from '/dist/src/index.js';
import { runScenario } from '/dist/test/browser/scenario.js';
import { wasmState, wasmMemoryUsage } from '/dist/src/kernels/wasm/loader.js';
const loadedAt = performance.now();
window.__run = async () => {
  const ms = { moduleLoad: loadedAt };
  let t = performance.now();
  const backendBeforeInit = nk.getBackend();
  const wasmLoaded = await nk.initWasm();
  const backendAfterInit = nk.getBackend();
  const js = await runScenario(nk, 'js');
  ms.js = performance.now() - t; t = performance.now();
  let wasm = null, threads = null, threadsError = null, residentBytesDuringBig = 0;
  if (wasmLoaded) {
    wasm = await runScenario(nk, 'wasm');
    ms.wasm = performance.now() - t; t = performance.now();
    const big = nk.randn([256, 128]);
    residentBytesDuringBig = wasmMemoryUsage().residentBytes;
    void big;
    try {
      await nk.setThreads(2);
      nk.setThreadCrossover(0);
      threads = await runScenario(nk, 'wasm');
      threads.info.threads = nk.getThreads();
      ms.threads = performance.now() - t;
    } catch (e) {
      threadsError = String(e && e.message || e);
    } finally {
      await nk.setThreads(1);
      nk.setThreadCrossover(150000);
    }
  }
  return {
    env: { crossOriginIsolated: self.crossOriginIsolated === true, sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined', userAgent: navigator.userAgent },
    backendBeforeInit, wasmLoaded, backendAfterInit, wasmShared: wasmState() ? wasmState().shared : null, wasmRelaxedSimd: nk.wasmInfo().relaxedSimd, residentBytesDuringBig,
    js, wasm, threads, threadsError, ms,
  };
};
window.__loaded = true;
</script>
</body></html>`;

/**
 * Every array of `node` is in `browser` with the same length and each value
 * within `rtol` relative (|a - b| <= rtol * max(|a|, |b|), exact zeros equal);
 * byte arrays must be identical. Returns the problems, worst first per key.
 */
function compareResults(where: string, browser: ScenarioResult, node: ScenarioResult, rtol = 1e-6): string[] {
  const problems: string[] = [];
  const keys = Object.keys(node).sort();
  const bkeys = Object.keys(browser).sort();
  if (keys.join() !== bkeys.join()) problems.push(`${where}: keys differ: node [${keys.join(', ')}] vs browser [${bkeys.join(', ')}]`);
  for (const k of keys) {
    const a = browser[k], b = node[k]!;
    if (!a) continue;
    if (a.length !== b.length) { problems.push(`${where}: ${k} has ${a.length} values in the browser, ${b.length} in Node`); continue; }
    if (b.length === 0) { problems.push(`${where}: ${k} is empty in Node (a gradient that was not computed?)`); continue; }
    const exact = k.endsWith('.bytes');
    for (let i = 0; i < b.length; i++) {
      const x = a[i]!, y = b[i]!;
      const ok = exact ? x === y : (Number.isNaN(x) && Number.isNaN(y)) || Math.abs(x - y) <= rtol * Math.max(Math.abs(x), Math.abs(y));
      if (!ok) { problems.push(`${where}: ${k}[${i}] browser ${x} vs node ${y}${exact ? ' (bytes must be identical)' : ''}`); break; }
    }
  }
  return problems;
}

test('Chromium runs the library core and matches Node number for number', { skip: skipReason, timeout: 60_000 }, async () => {
  const pw = playwright as typeof import('playwright-core');
  const t0 = Date.now();
  // the same workload in Node first (same seeds, same code)
  const nodeJs = await runScenario(nk, 'js');
  const nodeWasm = await runScenario(nk, 'wasm');
  // Two threads split the parameter-gradient row sums, which changes their rounding (~1e-7 relative):
  // the browser's threaded run is compared with Node's threaded run (same split, same order).
  await nk.setThreads(2);
  nk.setThreadCrossover(0);
  const nodeThreads = await runScenario(nk, 'wasm').finally(async () => {
    await nk.setThreads(1);
    nk.setThreadCrossover(150_000);
  });
  assert.deepEqual(nodeJs.info.cases, nodeWasm.info.cases);
  // streamed and whole-batch adapt agree (a check of the scenario itself)
  for (const s of ['Mean', 'Variance'] as const) {
    const whole = nodeJs.result[`normalization.${s.toLowerCase()}`]!, streamed = nodeJs.result[`normalization.streamed${s}`]!;
    whole.forEach((v, i) => assert.ok(Math.abs(v - streamed[i]!) <= 1e-9 * Math.abs(v) + 1e-9, `adapt ${s}[${i}]: ${v} vs streamed ${streamed[i]}`));
  }

  const failures: string[] = [];
  const { server, origin } = await startServer(PAGE, failures);
  const tNode = Date.now();
  const browser = await pw.chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  const tLaunch = Date.now();
  try {
    const runPage = (path: string): Promise<PageRun> => runModulePage<PageRun>(browser, origin, path, failures);

    const plain = await runPage('/plain.html');
    const tPlain = Date.now();
    const isolated = await runPage('/isolated.html');
    const tIsolated = Date.now();
    console.log(`timings: node ${tNode - t0} ms, chromium launch ${tLaunch - tNode} ms, plain page ${tPlain - tLaunch} ms ${JSON.stringify(plain.ms)}, isolated page ${tIsolated - tPlain} ms ${JSON.stringify(isolated.ms)}`);
    assert.deepEqual(failures, [], `the pages reported problems:\n${failures.join('\n')}`);

    const problems: string[] = [];
    for (const [name, run] of [['plain page', plain], ['cross-origin isolated page', isolated]] as const) {
      // whether wasm was already selected before `await initWasm()` depends on timing (the import starts an
      // asynchronous compile when the synchronous one is refused); after it, wasm must be selected by itself
      assert.equal(run.wasmLoaded, true, `${name}: initWasm() should load the WebAssembly kernels in Chromium`);
      assert.equal(run.backendAfterInit, 'wasm', `${name}: the wasm backend should be selected once loaded`);
      assert.equal(run.wasmRelaxedSimd, nk.wasmInfo().relaxedSimd, `${name}: Chromium and Node must run the same WebAssembly build to agree number for number`);
      assert.deepEqual(run.js.info.cases, nodeJs.info.cases, `${name}: cases that ran`);
      assert.equal(run.js.info.backend, 'js');
      problems.push(...compareResults(`${name} [js]`, run.js.result, nodeJs.result));
      assert.ok(run.wasm, `${name}: the wasm scenario did not run`);
      assert.equal(run.wasm.info.backend, 'wasm');
      problems.push(...compareResults(`${name} [wasm]`, run.wasm.result, nodeWasm.result));
    }
    // without cross-origin isolation: ordinary memory, no resident tensors, threads refused with a clear reason
    assert.equal(plain.env.crossOriginIsolated, false);
    assert.equal(plain.wasmShared, false, 'a non-isolated page must use an ordinary (unshared) wasm memory');
    assert.equal(plain.residentBytesDuringBig, 0);
    assert.equal(plain.threads, null);
    assert.match(plain.threadsError ?? '', /cross-origin isolated/, `plain page: setThreads(2) should explain cross-origin isolation, got ${plain.threadsError}`);
    // isolated: shared memory, resident tensors, and two threads through Web Workers giving the same numbers
    assert.equal(isolated.env.crossOriginIsolated, true, 'COOP/COEP headers should make the page cross-origin isolated');
    assert.equal(isolated.wasmShared, true);
    assert.ok(isolated.residentBytesDuringBig >= 256 * 128 * 4, `a [256,128] float32 tensor should live in wasm memory, resident bytes ${isolated.residentBytesDuringBig}`);
    assert.equal(isolated.threadsError, null, `isolated page: setThreads(2) failed: ${isolated.threadsError}`);
    assert.ok(isolated.threads);
    assert.equal(isolated.threads.info.threads, 2, 'two threads (the page and one Web Worker)');
    problems.push(...compareResults('isolated page [wasm, 2 threads]', isolated.threads.result, nodeThreads.result));
    assert.deepEqual(problems, [], `browser and Node disagree:\n${problems.join('\n')}`);
    // the comparisons covered something real
    assert.ok((plain.js.result['onnx.bytes'] ?? []).length > 100, 'ONNX export bytes');
    assert.ok((plain.js.result['safetensors.bytes'] ?? []).length > 100, 'safetensors bytes');
    console.log(`Chromium ${plain.env.userAgent.match(/Chrome\/[\d.]+/)?.[0]}: ${nodeJs.info.cases.length} cases x (js, wasm) on 2 pages + 2 threads, ${Object.keys(nodeJs.result).length} arrays each, in ${Date.now() - t0} ms`);
  } finally {
    await browser.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
