import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barChart, lineChart, meanStd, metricRows, scatter, seriesRows } from '../../src/report/charts.js';
import { renderSvg } from '../../src/report/svg.js';
import type { RunResult } from '../../src/experiment.js';

const run = (id: string, seed: number, norm: string, loss: (number | null)[], acc: number | null): RunResult => ({
  id, seed, config: { norm }, experiment: 'x', status: 'ok', metrics: { acc }, series: { loss }, wallMs: 1,
});
const runs = [run('a1', 1, 'ln', [4, 2, 1], 0.9), run('a2', 2, 'ln', [2, null, 3], 0.7), run('b1', 1, 'bn', [1, 0.5], null)];

test('seriesRows averages a series over seeds per label, skipping non-finite values', () => {
  const rows = seriesRows(runs, 'loss', (r) => String(r.config.norm), { stepEvery: 10 });
  assert.deepEqual(rows.filter((r) => r.series === 'ln'), [
    { step: 0, value: 3, series: 'ln' },
    { step: 10, value: 2, series: 'ln' },
    { step: 20, value: 2, series: 'ln' },
  ]);
  assert.equal(seriesRows(runs, 'loss', () => 'all', { meanOverSeeds: false }).length, 8);
});

test('metricRows and meanStd: mean and sample std over seeds, missing values counted', () => {
  const rows = metricRows(runs, 'acc', (r) => String(r.config.norm));
  const ln = rows.find((r) => r.group === 'ln')!;
  assert.ok(Math.abs((ln.mean as number) - 0.8) < 1e-12);
  assert.ok(Math.abs((ln.std as number) - Math.sqrt(0.02)) < 1e-12);
  assert.deepEqual(rows.find((r) => r.group === 'bn'), { group: 'bn', mean: null, std: null, n: 0, missing: 1 });
  assert.deepEqual(meanStd([5]), { mean: 5, std: 0 });
});

test('log axes drop rows they cannot draw (null, NaN, <= 0)', () => {
  const data = [{ x: 1, y: 1 }, { x: 2, y: 0 }, { x: 3, y: null }, { x: 4, y: Number.NaN }, { x: 5, y: 2 }];
  const spec = lineChart({ title: 't', data, x: 'x', y: 'y', logY: true });
  assert.deepEqual((spec.data as { values: unknown[] }).values, [{ x: 1, y: 1 }, { x: 5, y: 2 }]);
  const lin = lineChart({ title: 't', data, x: 'x', y: 'y' });
  assert.equal((lin.data as { values: unknown[] }).values.length, 3);
});

test('every chart builder renders to a standalone SVG with its title and legend', async () => {
  const rows = seriesRows(runs, 'loss', (r) => String(r.config.norm));
  const specs = [
    lineChart({ title: 'Loss curves', data: rows, x: 'step', y: 'value', color: 'series', logY: true, rules: [{ y: 1, label: 'target' }] }),
    barChart({ title: 'Accuracy bars', data: [{ g: 'ln', v: 0.8, e: 0.1, k: 'a' }, { g: 'bn', v: 0.6, e: 0.05, k: 'b' }], x: 'g', y: 'v', group: 'k', error: 'e' }),
    barChart({ title: 'Log bars', data: [{ g: 'a', v: 1e-12 }, { g: 'b', v: 3 }], x: 'g', y: 'v', logY: true, xLabelWrap: true }),
    scatter({ title: 'Scatter plot', data: rows, x: 'step', y: 'value', color: 'series', column: 'series' }),
  ];
  for (const s of specs) {
    const svg = await renderSvg(s);
    const title = (s.title as { text: string }).text;
    assert.match(svg, /^<svg/);
    assert.ok(!svg.includes('could not be rendered'), `${title}: ${svg.slice(0, 300)}`);
    assert.ok(svg.includes(title), `${title} missing from its SVG`);
  }
  // a broken spec yields an SVG that says so instead of throwing
  const bad = await renderSvg({ title: 'Broken', mark: 'nonsense-mark', data: { values: [] } });
  assert.match(bad, /Chart "Broken" could not be rendered/);
});
