import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import * as nk from 'normkit';
import { adaptCsv, registerAdapt, AdaptError, type AdaptStats } from '../../src/cli/adapt.js';
import { assertClose } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'normkit-adapt-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Run `normkit adapt ...args` through commander, capturing stdout. */
async function cli(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  let out = '';
  registerAdapt(program, (s) => (out += s));
  await program.parseAsync(['node', 'normkit', 'adapt', ...args, '--no-progress']);
  return out;
}

test('adapt streams a multi-chunk CSV and matches a float64 two-pass reference and Normalization.adapt', async () => {
  // ~20k rows x 3 columns (> the 64 KiB read chunk and > one 4096-row block); column b has a 1e8 offset.
  const rng = new nk.Rng(7);
  const rows: number[][] = [];
  for (let i = 0; i < 20000; i++) rows.push([rng.normal(), 1e8 + rng.normal() * 0.5, i % 3 === 0 ? -2 : 5]);
  const file = join(dir, 'big.csv');
  writeFileSync(file, 'a,b,c\n' + rows.map((r) => r.join(',')).join('\n') + '\n');
  const seen: number[] = [];
  const s = await adaptCsv(file, { onProgress: (b) => seen.push(b) });
  assert.ok(seen.length > 1, 'progress reported per chunk');
  assert.equal(seen[seen.length - 1], readFileSync(file).length);
  assert.equal(s.rows, 20000);
  assert.deepEqual(s.columns.map((c) => c.name), ['a', 'b', 'c']);
  for (let j = 0; j < 3; j++) {
    const col = rows.map((r) => r[j]!);
    // reference: two passes over values shifted by the first one (exact differences near the offset)
    const K = col[0]!;
    const ms = col.reduce((a, v) => a + (v - K), 0) / col.length;
    const mean = K + ms;
    const variance = col.reduce((a, v) => a + (v - K - ms) ** 2, 0) / col.length;
    const c = s.columns[j]!;
    assert.equal(c.count, 20000);
    assertClose([c.mean, c.variance], [mean, variance], { rtol: 1e-12, atol: 0 });
    assert.equal(c.min, Math.min(...col));
    assert.equal(c.max, Math.max(...col));
    assertClose([c.sampleVariance!], [(variance * 20000) / 19999], { rtol: 1e-12 });
  }
  // block size does not change the result beyond rounding
  const small = await adaptCsv(file, { blockRows: 7 });
  for (let j = 0; j < 3; j++) assertClose([small.columns[j]!.variance], [s.columns[j]!.variance], { rtol: 1e-11 });
  // same as nk.Normalization.adapt on the whole matrix
  const norm = new nk.Normalization().adapt(nk.tensor(rows, null, { dtype: 'float64' }));
  assertClose(norm.mean!.data, s.columns.map((c) => c.mean), { rtol: 1e-14 });
  assertClose(norm.variance!.data, s.columns.map((c) => c.variance), { rtol: 1e-10 });
});

test('normkit adapt prints the table and writes --out JSON; --no-header, --delimiter, --missing nan', async () => {
  const file = join(dir, 'small.tsv');
  writeFileSync(file, '1\t10\n2\t20\n3\t\n4\t40\n');
  const out = join(dir, 'stats.json');
  const text = await cli([file, '--no-header', '--delimiter', 'tab', '--missing', 'nan', '--out', out]);
  assert.match(text, /4 rows, 2 columns/);
  assert.match(text, /column_1\s+4\s+2\.5000000\s+1\.2500000/);
  const stats = JSON.parse(readFileSync(out, 'utf8')) as AdaptStats;
  assert.deepEqual(stats.columns[0], { name: 'column_1', count: 4, mean: 2.5, variance: 1.25, sampleVariance: 5 / 3, std: Math.sqrt(1.25), min: 1, max: 4 });
  assert.equal(stats.columns[1]!.count, 3); // the empty field is skipped
  assertClose([stats.columns[1]!.mean], [70 / 3], { rtol: 1e-15 });
  // with --no-header the first row counts as data; the default detects a header only when it is not numeric
  const auto = await adaptCsv(file, { delimiter: '\t', missing: 'nan' });
  assert.equal(auto.rows, 4);
});

test('normkit adapt rejects a malformed row with its line number, exits non-zero and writes nothing', async () => {
  const file = join(dir, 'bad.csv');
  const lines = ['x,y'];
  for (let i = 0; i < 5000; i++) lines.push(`${i},${i * 2}`);
  lines[3001] = '3000,abc'; // physical line 3002
  writeFileSync(file, lines.join('\n') + '\n');
  const out = join(dir, 'bad.json');
  await assert.rejects(cli([file, '--out', out]), (e: Error) => {
    assert.ok(e instanceof AdaptError);
    assert.match(e.message, /bad\.csv:3002: column 2: "abc" is not a number/);
    return true;
  });
  assert.equal(existsSync(out), false, 'no statistics file after an error');
  const ragged = join(dir, 'ragged.csv');
  writeFileSync(ragged, '1,2\n3,4\n5\n');
  await assert.rejects(adaptCsv(ragged), /ragged\.csv:3: expected 2 fields, got 1/);
  const empty = join(dir, 'empty.csv');
  writeFileSync(empty, 'a,b\n');
  await assert.rejects(adaptCsv(empty), /no data rows/);
  const gap = join(dir, 'gap.csv');
  writeFileSync(gap, '1,2\n3,\n');
  await assert.rejects(adaptCsv(gap), /gap\.csv:2: column 2: empty field/);
});
