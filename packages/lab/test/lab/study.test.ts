import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tmp } from './helpers.js';
import { loadExperiments } from '../../src/registry.js';
import type { StudyResults } from '../../src/report/build.js';

const CHROMIUM = '/usr/bin/chromium';
let smokeOut: string | null = null;

test('normkit why --profile smoke finishes in under 60 s with the three report files and a verdict for every registered experiment', { timeout: 120_000 }, async () => {
  const out = tmp('smoke');
  const r = await runCli(['why', '--profile', 'smoke', '--out', out]);
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-3000)}`);
  assert.ok(r.ms < 60_000, `smoke study took ${(r.ms / 1000).toFixed(1)} s (limit 60 s)`);
  for (const f of ['results.json', 'report.md', 'index.html']) assert.ok(existsSync(join(out, f)), `missing ${f}`);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
  assert.equal(results.study.profile, 'smoke');
  assert.equal(typeof results.study.wallMs, 'number');
  const names = (await loadExperiments()).map((e) => e.name);
  assert.deepEqual(results.experiments.map((e) => e.name), names);
  for (const e of results.experiments) {
    assert.ok(['reproduced', 'not reproduced', 'inconclusive'].includes(e.verdict), `${e.name}: verdict ${e.verdict}`);
    assert.ok(e.rule.length > 0 && e.claim.length > 0 && e.explanation.length > 0, `${e.name}: empty rule/claim/explanation`);
    assert.equal(e.runCounts.stored, e.runCounts.expected, `${e.name}: missing runs`);
    // the terminal ends with the verdict table
    assert.match(r.stdout, new RegExp(`${e.name}\\s+(reproduced|not reproduced|inconclusive)`));
  }
  // experiments 7 and 9 are exact checks: they must reproduce even at smoke size
  for (const n of ['invariances', 'numerics']) assert.equal(results.experiments.find((e) => e.name === n)?.verdict, 'reproduced', n);
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  assert.ok(!/<script/i.test(html), 'the HTML report must not need scripts');
  assert.ok(!/(src|href)="https?:/i.test(html), 'the HTML report must not load anything');
  assert.ok((html.match(/<svg/g) ?? []).length >= 2, 'charts are inline SVG');
  smokeOut = out;
});

test('the HTML report opens in headless Chromium with no console errors or failed requests', { timeout: 60_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run this check`);
    return;
  }
  assert.ok(smokeOut, 'the smoke study did not produce a report');
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto('file://' + join(smokeOut, 'index.html'), { waitUntil: 'load' });
    assert.deepEqual(problems, []);
    assert.deepEqual(requests.filter((u) => !u.startsWith('file://')), [], 'the report made network requests');
    // every experiment has a section with a verdict badge, and the charts have a size
    const sections = await page.locator('section.exp').count();
    const results = JSON.parse(readFileSync(join(smokeOut, 'results.json'), 'utf8')) as StudyResults;
    assert.equal(sections, results.experiments.length);
    const boxes = await page.locator('figure.chart svg').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
    assert.ok(boxes.length > 0 && boxes.every((w) => w > 100), `chart widths ${boxes.join(', ')}`);
    // Every chart draws data, not only axes: Vega's SVG puts data marks in groups of class "role-mark"
    // (axes, legends and titles have role-axis-*, role-legend-*, role-title); count their drawn, visible children.
    const charts = await page.locator('figure.chart svg').evaluateAll((els) => els.map((svg) => {
      const title = [...svg.querySelectorAll('.role-title-text')].map((t) => t.textContent).join(' / ') || '?';
      const drawn = [...svg.querySelectorAll('g.role-mark > path, g.role-mark > rect, g.role-mark > circle, g.role-mark > line, g.role-mark > g > path')]
        .filter((m) => { const b = (m as SVGGraphicsElement).getBBox(); return b.width > 0 || b.height > 0; }).length;
      return { title, drawn };
    }));
    const empty = charts.filter((c) => c.drawn === 0).map((c) => c.title);
    assert.ok(charts.length >= results.experiments.length, `only ${charts.length} charts`);
    assert.deepEqual(empty, [], `charts that draw axes but no data: ${empty.join(' | ')}`);
  } finally {
    await browser.close();
  }
});

test('the report names the kernel builds its runs computed on, most used first, errors left out', async () => {
  const { kernelSummary } = await import('../../src/report/build.js');
  const run = (backend: string | undefined, relaxedSimd: boolean | undefined, status: 'ok' | 'error' = 'ok') =>
    ({ id: 'r', seed: 1, config: {}, experiment: 'e', status, metrics: {}, wallMs: 1, ...(backend ? { backend } : {}), ...(relaxedSimd === undefined ? {} : { relaxedSimd }), ...(status === 'error' ? { error: 'x' } : {}) }) as Parameters<typeof kernelSummary>[0][number];
  assert.equal(kernelSummary([]), 'no runs');
  assert.equal(kernelSummary([run('wasm', true)]), 'WebAssembly with relaxed SIMD (1 run)');
  assert.equal(
    kernelSummary([run('wasm', false), run('wasm', true), run('wasm', true), run('js', undefined), run('wasm', true, 'error'), run(undefined, undefined), run('wasm', undefined)]),
    'WebAssembly with relaxed SIMD (2 runs), WebAssembly, SIMD only (1 run), TypeScript (1 run), not recorded (1 run), WebAssembly, build not recorded (1 run)',
  );
});
