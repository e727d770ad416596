/**
 * The playground in real Chromium (Debian's /usr/bin/chromium through
 * playwright-core, never a downloaded browser), served by the real
 * `normkit playground` command on a free port:
 *
 * - the page loads in under 2 s and starts with no console error;
 * - a race of two normalizations on the spiral trains in Web Workers, both
 *   loss curves fall, the page stays responsive, and every loss the page
 *   holds (and the one it shows) equals what the library computes in Node
 *   for the same seed (src/race/trainer.ts runs in both);
 * - the same race on the page's own thread (`?workers=0`) without
 *   cross-origin isolation gives the same numbers;
 * - the cube lights exactly the cells that share statistics, for each norm;
 * - a results.json of the smoke study opens in the results viewer;
 * - screenshots of each view (laptop and phone width) go to docs/playground/.
 *
 * Skipped, with the reason, when /usr/bin/chromium ($NORMKIT_CHROMIUM) or the
 * built page is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
// before normkit: Node runs the WebAssembly build Chromium runs (relaxed SIMD)
import './relaxed-simd-on.js';
import * as nk from 'normkit';
import { normalizeConfig, type RaceConfig } from '../src/race/config.js';
import { raceLosses } from '../src/race/trainer.js';
import { decodeDigits } from '../src/race/digits.js';
import { CUBE, CUBE_GROUPS, CUBE_NORMS, CUBE_S, cellIndex, type CubeNorm } from '../src/cube/cube.js';

// dist/test/ -> packages/playground -> the repository
const PKG = fileURLToPath(new URL('../../', import.meta.url));
const REPO = join(PKG, '..', '..');
const WEB = join(PKG, 'dist', 'web');
const CLI = join(REPO, 'packages', 'lab', 'bin', 'normkit.js');
const SHOTS = join(REPO, 'docs', 'playground');
const FIXTURE = join(PKG, 'test', 'fixtures', 'smoke-results.json');
const CHROMIUM = process.env.NORMKIT_CHROMIUM ?? '/usr/bin/chromium';
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const skipReason = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is missing (install Debian's chromium package to run the browser tests)`
  : !existsSync(join(WEB, 'index.html')) ? `${WEB}/index.html is missing (run npm run build)` : false;

type Pw = typeof import('playwright-core');
type Page = import('playwright-core').Page;
type Browser = import('playwright-core').Browser;

/** `normkit playground --port 0 [--no-isolation]`: the process and the URL it prints. */
async function startCli(extra: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'playground', '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`normkit playground printed no URL in 15 s: ${out}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (m) { clearTimeout(timer); ok(m[0]); }
    });
    child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('exit', (code) => { clearTimeout(timer); fail(new Error(`normkit playground exited (${code}): ${out}`)); });
  });
  return { child, url };
}

/** A page that records console errors, uncaught exceptions and failed requests. */
async function openPage(browser: Browser, width: number, height: number, failures: string[]): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error') failures.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => failures.push(`uncaught: ${e.stack ?? e.message}`));
  page.on('requestfailed', (r) => failures.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => { if (r.status() >= 400) failures.push(`HTTP ${r.status()} ${r.url()}`); });
  return page;
}

interface PageRacer { norm: string; state: string; losses: number[]; testAcc: number[]; trainMs: number; threads: number; backend: string; error: string | null }
const racers = (page: Page) => page.evaluate(() => (globalThis as unknown as { __playground: { race(): PageRacer[] | null } }).__playground.race());

/** Relative difference, exact zeros equal. */
const rel = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));

/** The textbook set of cells sharing statistics with (n, c, s) (Wu & He 2018, Figure 2). */
function expectedCells(norm: CubeNorm, groups: number, [n0, c0]: [number, number, number]): number[] {
  const out: number[] = [];
  const per = CUBE.C / groups;
  for (let n = 0; n < CUBE.N; n++) for (let c = 0; c < CUBE.C; c++) for (let s = 0; s < CUBE_S; s++) {
    const inSet = norm === 'batchnorm' ? c === c0
      : norm === 'layernorm' || norm === 'rmsnorm' ? n === n0
      : norm === 'instancenorm' ? n === n0 && c === c0
      : n === n0 && Math.floor(c / per) === Math.floor(c0 / per);
    if (inSet) out.push(cellIndex(n, c, s));
  }
  return out;
}

test('the playground in Chromium: load, race on the spiral (= Node), cube, results viewer, screenshots', { skip: skipReason, timeout: 120_000 }, async (t) => {
  const pw: Pw = await import('playwright-core');
  const t0 = Date.now();
  mkdirSync(SHOTS, { recursive: true });
  const { child, url } = await startCli();
  const plainCli = await startCli(['--no-isolation']);
  const browser = await pw.chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  const failures: string[] = [];
  const timings: Record<string, number> = { serverAndBrowserMs: Date.now() - t0 };
  try {
    // --- the race: two normalizations on the spiral, seeded -------------------------------------
    const query = (steps: number) => `?seed=7&norms=none,batchnorm&steps=${steps}&lr=0.01`;
    const cfg: RaceConfig = normalizeConfig({ task: 'spiral', model: 'mlp', depth: 4, seed: 7, norms: ['none', 'batchnorm'], steps: 300, lr: 0.01 }).config;
    const page = await openPage(browser, 1280, 900, failures);
    const resp = await page.goto(url + query(300), { waitUntil: 'load' });
    assert.equal(resp?.status(), 200);
    await page.waitForFunction(() => (globalThis as { __playground?: { ready: boolean } }).__playground?.ready === true, null, { timeout: 10_000 });
    const nav = await page.evaluate(() => {
      const e = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return { load: e.loadEventEnd, domContentLoaded: e.domContentLoadedEventEnd, isolated: globalThis.crossOriginIsolated };
    });
    timings.pageLoadMs = nav.load;
    assert.ok(nav.load > 0 && nav.load < 2000, `the page should load in under 2 s from the local server, took ${nav.load.toFixed(0)} ms`);
    assert.equal(nav.isolated, true, 'normkit playground serves cross-origin isolated pages by default');
    // the URL's settings reached the form
    assert.equal(await page.inputValue('#f-seed'), '7');
    assert.equal(await page.isChecked('#f-norm-batchnorm'), true);
    assert.equal(await page.isChecked('#f-norm-layernorm'), false);

    // the page keeps painting while workers train: count animation frames and the longest gap
    await page.evaluate(() => {
      const g = globalThis as unknown as { __frames: { n: number; maxGap: number; last: number; on: boolean } };
      g.__frames = { n: 0, maxGap: 0, last: performance.now(), on: true };
      const tick = () => {
        const now = performance.now();
        g.__frames.maxGap = Math.max(g.__frames.maxGap, now - g.__frames.last);
        g.__frames.last = now;
        g.__frames.n++;
        if (g.__frames.on) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const tRace = Date.now();
    await page.click('#b-run');
    await page.waitForFunction(() => document.getElementById('view-race')!.dataset.state === 'finished', null, { timeout: 60_000 });
    timings.raceMs = Date.now() - tRace;
    const frames = await page.evaluate(() => { const g = globalThis as unknown as { __frames: { n: number; maxGap: number; on: boolean } }; g.__frames.on = false; return g.__frames; });
    const got = await racers(page);
    assert.ok(got && got.length === 2, 'two racers');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __playground: { raceMode(): string } }).__playground.raceMode()), 'workers');
    // Node: the same racers through the same module, and the same WebAssembly build
    await nk.initWasm();
    const pageRelaxed = await page.evaluate(() => (globalThis as unknown as { __playground: { nk: { wasmInfo(): { relaxedSimd: boolean } } } }).__playground.nk.wasmInfo().relaxedSimd);
    assert.equal(pageRelaxed, nk.wasmInfo().relaxedSimd, 'Chromium and Node must run the same WebAssembly build to agree number for number');
    const problems: string[] = [];
    for (const r of got) {
      assert.equal(r.error, null, `${r.norm}: ${r.error}`);
      assert.equal(r.state, 'done');
      assert.equal(r.losses.length, 300, `${r.norm}: steps`);
      const first = r.losses.slice(0, 20).reduce((a, b) => a + b) / 20, last = r.losses.slice(-20).reduce((a, b) => a + b) / 20;
      assert.ok(last < 0.5 * first, `${r.norm}: the loss should fall over 300 steps, mean of the first 20 ${first.toFixed(4)}, of the last 20 ${last.toFixed(4)}`);
      const node = raceLosses(cfg, r.norm as RaceConfig['norms'][number], 300);
      let worst = 0, at = -1;
      node.forEach((v, i) => { const d = rel(v, r.losses[i]!); if (d > worst) { worst = d; at = i; } });
      if (worst > 1e-5) problems.push(`${r.norm}: step ${at + 1} loss ${r.losses[at]} in Chromium vs ${node[at]} in Node (relative ${worst.toExponential(2)})`);
      const shown = await page.textContent(`#scoreboard tr[data-norm="${r.norm}"] .loss`);
      if (shown !== node[299]!.toPrecision(6)) problems.push(`${r.norm}: the page shows loss ${shown}, Node computes ${node[299]!.toPrecision(6)}`);
      timings[`${r.norm}MsPerStep`] = r.trainMs / r.losses.length;
      timings[`${r.norm}WorstRelDiff`] = worst;
    }
    assert.deepEqual(problems, [], `Chromium and Node disagree:\n${problems.join('\n')}`);
    assert.ok(frames.n > 5, `the page should keep painting during the race (${frames.n} frames)`);
    assert.ok(frames.maxGap < 500, `the page froze for ${frames.maxGap.toFixed(0)} ms during the race`);
    timings.maxFrameGapMs = frames.maxGap;
    // the charts drew something
    const paths = await page.$$eval('#ch-loss path.line', (ps) => ps.map((p) => (p.getAttribute('d') ?? '').length));
    assert.ok(paths.length === 2 && paths.every((n) => n > 100), `loss chart lines: ${paths}`);
    await page.screenshot({ path: join(SHOTS, 'race.png'), fullPage: true });

    // --- the real digits with the CNN, and the copy task's Transformer: short races, = Node -------
    const digitSet = decodeDigits(readFileSync(join(WEB, 'digits.bin')));
    for (const [q, steps] of [['?task=digits&model=cnn&norms=batchnorm,groupnorm&batch=32&seed=2', 12], ['?task=copy&model=transformer&depth=1&place=post&norms=layernorm,dyt&lr=0.003&batch=16&seed=2', 8]] as const) {
      const other = await openPage(browser, 1280, 900, failures);
      other.on('request', (r) => { if (!r.url().startsWith(url) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) failures.push(`request outside the local server: ${r.url()}`); });
      await other.goto(`${url}${q}&steps=${steps}`, { waitUntil: 'load' });
      await other.waitForFunction(() => (globalThis as { __playground?: { ready: boolean } }).__playground?.ready === true);
      const oc = await other.evaluate(() => (globalThis as unknown as { __playground: { state(): { race: RaceConfig } } }).__playground.state().race);
      await other.click('#b-run');
      await other.waitForFunction(() => document.getElementById('view-race')!.dataset.state === 'finished', null, { timeout: 60_000 });
      for (const r of (await racers(other))!) {
        assert.equal(r.error, null, `${q} ${r.norm}: ${r.error}`);
        const node = raceLosses(oc, r.norm as RaceConfig['norms'][number], steps, digitSet);
        node.forEach((v, i) => assert.ok(rel(v, r.losses[i]!) <= 1e-5, `${q} ${r.norm}, step ${i + 1}: ${r.losses[i]} in Chromium vs ${v} in Node`));
        timings[`${oc.task}-${oc.model}-${r.norm}MsPerStep`] = r.trainMs / r.losses.length;
      }
      await other.context().close();
    }

    // --- the cube --------------------------------------------------------------------------------
    await page.click('#tab-cube');
    await page.waitForSelector('#cube-grid [data-cell]');
    const cells: [number, number, number][] = [[0, 0, 0], [2, 5, 3], [3, 3, 1]];
    const cubeProblems: string[] = [];
    for (const norm of CUBE_NORMS) {
      await page.check(`#c-${norm}`);
      for (const groups of norm === 'groupnorm' ? CUBE_GROUPS : [0]) {
        if (norm === 'groupnorm') await page.fill('#c-groups', String(CUBE_GROUPS.indexOf(groups as (typeof CUBE_GROUPS)[number])));
        for (const cell of cells) {
          await page.click(`#cube-grid [data-cell="${cellIndex(...cell)}"]`);
          const lit = await page.$$eval('#cube-grid [data-cell][data-lit="1"]', (es) => es.map((e) => Number((e as SVGElement).dataset.cell)).sort((a, b) => a - b));
          const want = expectedCells(norm, groups || 1, cell);
          if (lit.join() !== want.join()) cubeProblems.push(`${norm}${groups ? ` G=${groups}` : ''} at ${cell}: lit [${lit}] expected [${want}]`);
          // the cube's faces agree with the grid
          const faces = await page.$$eval('svg.cube [data-face-cell]', (es) => es.map((e) => [Number((e as SVGElement).dataset.faceCell), (e as SVGElement).dataset.lit === '1'] as [number, boolean]));
          for (const [i, on] of faces) if (on !== want.includes(i)) { cubeProblems.push(`${norm} at ${cell}: cube face cell ${i} lit=${on}`); break; }
          const count = await page.textContent('#cube-count');
          if (count !== String(want.length)) cubeProblems.push(`${norm} at ${cell}: caption says ${count} cells, expected ${want.length}`);
        }
      }
    }
    assert.deepEqual(cubeProblems, [], cubeProblems.join('\n'));
    // keyboard: arrows move the selected cell
    await page.check('#c-groupnorm');
    await page.fill('#c-groups', '0'); // G = 1 (the slider steps through 1, 2, 4, 8)
    await page.click(`#cube-grid [data-cell="${cellIndex(1, 2, 0)}"]`);
    await page.focus('#cube-grid');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    const selected = await page.getAttribute('#cube-grid [data-selected="1"]', 'data-cell');
    assert.equal(Number(selected), cellIndex(1, 3, 1), 'arrow keys move the selected cell');
    assert.match(page.url(), /view=cube/);
    assert.match(page.url(), /groups=1(&|$)/, 'GroupNorm is the default cube norm; its groups are in the URL');
    await page.screenshot({ path: join(SHOTS, 'cube.png'), fullPage: true });

    // --- the results viewer ----------------------------------------------------------------------
    await page.click('#tab-results');
    await page.setInputFiles('#results-file', FIXTURE);
    await page.waitForFunction(() => document.getElementById('view-results')!.dataset.loaded !== undefined, null, { timeout: 10_000 });
    assert.equal(await page.getAttribute('#view-results', 'data-loaded'), 'ok', await page.textContent('#results-status') ?? '');
    const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { experiments: { name: string; verdict: string }[] };
    const rows = await page.$$eval('#verdicts tbody tr', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.experiment, tr.querySelector('.verdict')!.textContent]));
    assert.deepEqual(rows, fixture.experiments.map((e) => [e.name, e.verdict]));
    const chartLines = await page.$$eval('details[open] svg.chart path.line', (ps) => ps.length);
    assert.ok(chartLines > 0, 'the first experiment shows its charts');
    await page.screenshot({ path: join(SHOTS, 'results.png'), fullPage: false });

    // --- a phone's width -------------------------------------------------------------------------
    const phone = await openPage(browser, 390, 844, failures);
    await phone.goto(url + query(100), { waitUntil: 'load' });
    await phone.waitForFunction(() => (globalThis as { __playground?: { ready: boolean } }).__playground?.ready === true);
    await phone.click('#b-run');
    await phone.waitForFunction(() => document.getElementById('view-race')!.dataset.state === 'finished', null, { timeout: 30_000 });
    for (const view of ['race', 'cube'] as const) {
      if (view === 'cube') await phone.click('#tab-cube');
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(overflow <= 392, `${view} at 390 px: the page is ${overflow} px wide (horizontal scrolling)`);
      await phone.screenshot({ path: join(SHOTS, `${view}-phone.png`), fullPage: true });
    }
    await phone.context().close();

    // --- no cross-origin isolation, no workers: the same numbers on the page's thread ------------
    const plain = await openPage(browser, 1024, 768, failures);
    await plain.goto(plainCli.url + query(60) + '&workers=0', { waitUntil: 'load' });
    await plain.waitForFunction(() => (globalThis as { __playground?: { ready: boolean } }).__playground?.ready === true);
    assert.equal(await plain.evaluate(() => globalThis.crossOriginIsolated), false);
    await plain.click('#b-run');
    await plain.waitForFunction(() => document.getElementById('view-race')!.dataset.state === 'finished', null, { timeout: 30_000 });
    assert.equal(await plain.evaluate(() => (globalThis as unknown as { __playground: { raceMode(): string } }).__playground.raceMode()), 'main thread');
    const inline = await racers(plain);
    const cfg60 = { ...cfg, steps: 60 };
    for (const r of inline!) {
      assert.equal(r.threads, 1);
      const node = raceLosses(cfg60, r.norm as RaceConfig['norms'][number], 60);
      node.forEach((v, i) => assert.ok(rel(v, r.losses[i]!) <= 1e-5, `${r.norm} on the page's thread, step ${i + 1}: ${r.losses[i]} vs Node ${v}`));
    }
    await plain.context().close();

    assert.deepEqual(failures, [], `the pages reported problems:\n${failures.join('\n')}`);
    t.diagnostic(`timings: ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, /Rel/.test(k) ? v : Math.round(v * 100) / 100])))}`);
    console.log(`playground timings (ms): ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, /Rel/.test(k) ? v : Math.round(v * 100) / 100])))}, total ${Date.now() - t0} ms`);
  } finally {
    await browser.close();
    child.kill('SIGTERM');
    plainCli.child.kill('SIGTERM');
  }
});
