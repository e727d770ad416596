import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsv, parseCsv, formatCsv, CsvError, type CsvRow } from '../../src/io/csv.js';
import { readIdx, writeIdx, IdxError } from '../../src/io/idx.js';
import { loadCsvClassification, loadCsvTensor, loadIdxClassification, loadIdxTensor } from '../../src/io/datasets.js';

async function collect(src: Parameters<typeof readCsv>[0], opts = {}): Promise<CsvRow[]> {
  const out: CsvRow[] = [];
  for await (const r of readCsv(src, opts)) out.push(r);
  return out;
}

async function rejects(src: string, opts: object, line: number, reason: RegExp): Promise<void> {
  await assert.rejects(collect(src, opts), (e: unknown) => {
    assert.ok(e instanceof CsvError, `expected CsvError, got ${e}`);
    assert.equal(e.line, line);
    assert.match(e.message, reason);
    return true;
  });
}

test('readCsv streams rows with line numbers across arbitrary chunk boundaries', async () => {
  const text = 'a,b,c\r\n1,2,3\n\n# note\n-1.5e-3, "4" ,.5\n7,8,9';
  const bytes = new TextEncoder().encode(text);
  for (const cut of [1, 2, 3, 5, 7, 100]) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += cut) chunks.push(bytes.subarray(i, i + cut));
    let header: string[] = [];
    const rows = await collect(chunks, { comment: '#', onHeader: (h: string[]) => (header = h) });
    assert.deepEqual(header, ['a', 'b', 'c']);
    assert.deepEqual(rows, [
      { line: 2, values: [1, 2, 3] },
      { line: 5, values: [-1.5e-3, 4, 0.5] },
      { line: 6, values: [7, 8, 9] },
    ]);
  }
});

test('readCsv header modes: auto detects numeric first row as data; true forces a header', async () => {
  assert.deepEqual((await collect('1,2\n3,4\n')).map((r) => r.values), [[1, 2], [3, 4]]);
  assert.deepEqual((await collect('1,2\n3,4\n', { header: true })).map((r) => r.line), [2]);
  const { header, rows } = parseCsv('x;y\n1;2\n', { delimiter: ';' });
  assert.deepEqual(header, ['x', 'y']);
  assert.deepEqual(rows[0]!.values, [1, 2]);
});

test('readCsv rejects malformed rows with line, column and reason', async () => {
  await rejects('a,b\n1,2\n3,abc\n', {}, 3, /column 2.*"abc" is not a number/);
  await rejects('1,2\n3\n', {}, 2, /expected 2 fields, got 1/);
  await rejects('1,2\n3,,\n', {}, 2, /expected 2 fields, got 3/);
  await rejects('1,2\n3,\n', {}, 2, /column 2: empty field/);
  await rejects('1,2\n"3,4\n', {}, 2, /unterminated quoted field/);
  await rejects('1,2\n3,nan\n', {}, 2, /non-finite value "nan"/);
  await rejects('1,2\n0x10,1\n', {}, 2, /"0x10" is not a number/);
  await rejects('1,2,3\n', { columns: 2 }, 1, /expected 2 fields, got 3/);
  // rows before the bad one are still yielded
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const r of readCsv('1\n2\nx\n')) seen.push(r.values[0]!);
  }, CsvError);
  assert.deepEqual(seen, [1, 2]);
});

test('readCsv options: missing -> NaN, allowNonFinite', async () => {
  const rows = await collect('1,\n-inf,nan\n', { missing: 'nan', allowNonFinite: true });
  assert.ok(Number.isNaN(rows[0]!.values[1]));
  assert.equal(rows[1]!.values[0], -Infinity);
  assert.throws(() => parseCsv('1', { delimiter: '::' }), /one character/);
});

test('formatCsv and parseCsv round-trip', () => {
  const data = [[1, -2.5, 3e-9], [0.1, 1e20, -0]];
  const { header, rows } = parseCsv(formatCsv(data, ['p', 'q', 'r']));
  assert.deepEqual(header, ['p', 'q', 'r']);
  assert.deepEqual(rows.map((r) => r.values), data);
});

test('IDX round trip for every element type', () => {
  const cases: [Parameters<typeof writeIdx>[2], number[]][] = [
    ['uint8', [0, 1, 255, 7, 8, 9]],
    ['int8', [-128, 127, 0, 1, -1, 5]],
    ['int16', [-32768, 32767, 0, 1, -1, 300]],
    ['int32', [-2147483648, 2147483647, 0, 1, -1, 70000]],
    ['float32', [0.5, -1.25, 3, 1e10, -0, 7]],
    ['float64', [Math.PI, -1e-300, 3, 1e300, 0, 7]],
  ];
  for (const [type, vals] of cases) {
    const bytes = writeIdx([2, 3], vals, type);
    assert.equal(bytes[2], { uint8: 8, int8: 9, int16: 11, int32: 12, float32: 13, float64: 14 }[type]);
    const a = readIdx(bytes);
    assert.equal(a.type, type);
    assert.deepEqual(a.shape, [2, 3]);
    assert.deepEqual(Array.from(a.data), vals);
  }
});

test('IDX rejects malformed input with the reason', () => {
  const good = writeIdx([2, 2], [1, 2, 3, 4], 'uint8');
  assert.throws(() => readIdx(good.subarray(0, good.length - 1)), (e: unknown) => e instanceof IdxError && /truncated/.test(e.message));
  assert.throws(() => readIdx(new Uint8Array([...good, 0])), /trailing bytes/);
  assert.throws(() => readIdx(new Uint8Array([0x1f, 0x8b, 8, 0])), /two zero bytes.*gzipped/);
  assert.throws(() => readIdx(new Uint8Array([0, 0, 0x42, 1, 0, 0, 0, 0])), /unknown element type 0x42/);
  assert.throws(() => readIdx(new Uint8Array([0, 0, 8, 2, 0, 0])), /header needs 12 bytes/);
  assert.throws(() => writeIdx([2], [1, 300], 'uint8'), /value 300 at index 1/);
  assert.throws(() => writeIdx([3], [1, 2], 'float32'), /needs 3 values, got 2/);
});

test('datasets: CSV and IDX files load into tensors and classification data', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nk-ds-'));
  const csv = join(dir, 'd.csv');
  writeFileSync(csv, 'f1,label,f2\n0.5,1,2\n1.5,0,3\n2.5,2,4\n');
  const t = await loadCsvTensor(csv);
  assert.deepEqual(t.x.shape, [3, 3]);
  assert.deepEqual(t.header, ['f1', 'label', 'f2']);
  const d = await loadCsvClassification(csv, { labelColumn: 'label' });
  assert.deepEqual(Array.from(d.x), [0.5, 2, 1.5, 3, 2.5, 4]);
  assert.deepEqual(Array.from(d.y), [1, 0, 2]);
  assert.equal(d.numClasses, 3);
  writeFileSync(join(dir, 'bad.csv'), '1,2\n3,0.5\n');
  await assert.rejects(loadCsvClassification(join(dir, 'bad.csv')), /row 2 has label 0.5/);
  writeFileSync(join(dir, 'bad2.csv'), '1,2\n3,x\n');
  await assert.rejects(loadCsvTensor(join(dir, 'bad2.csv')), /line 2, column 2/);

  writeFileSync(join(dir, 'img.idx'), writeIdx([3, 2, 2], [0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8], 'uint8'));
  writeFileSync(join(dir, 'lab.idx'), writeIdx([3], [2, 0, 1], 'uint8'));
  const im = await loadIdxClassification(join(dir, 'img.idx'), join(dir, 'lab.idx'));
  assert.deepEqual(im.featureShape, [1, 2, 2]);
  assert.ok(Math.abs(im.x[1]! - 1) < 1e-7 && Math.abs(im.x[2]! - 0.2) < 1e-7);
  assert.deepEqual(Array.from(im.y), [2, 0, 1]);
  assert.deepEqual((await loadIdxTensor(join(dir, 'img.idx'))).shape, [3, 2, 2]);
  writeFileSync(join(dir, 'lab2.idx'), writeIdx([2], [0, 1], 'uint8'));
  await assert.rejects(loadIdxClassification(join(dir, 'img.idx'), join(dir, 'lab2.idx')), /2 labels for 3 images/);
});
