/**
 * `normkit adapt` on a 1,000,000-row CSV runs in bounded memory: the child
 * process gets a 48 MiB JavaScript heap (the file is ~38 MB, ~76 MB as a JS
 * string, so reading it whole or keeping the rows would crash), its peak RSS
 * is measured against the same CLI's start-up RSS, and its statistics are
 * checked against sums the test keeps while writing the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, writeSync, closeSync, readFileSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ROWS = 1_000_000;

test('normkit adapt streams a 1M-row CSV under a 48 MiB heap and reports peak RSS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'normkit-adapt-1m-'));
  try {
    const file = join(dir, 'million.csv');
    const fd = openSync(file, 'w');
    writeSync(fd, 'x,y,z,x2,y2,z2\n');
    // Exact sums in float64 of values with few digits: x = i mod 1000 / 8, y = 1e6 + (i mod 7), z = -(i mod 13) / 4.
    let sx = 0, sy = 0, sz = 0;
    let chunk: string[] = [];
    for (let i = 0; i < ROWS; i++) {
      const x = (i % 1000) / 8, y = 1e6 + (i % 7), z = -(i % 13) / 4;
      sx += x; sy += y - 1e6; sz += z;
      chunk.push(`${x},${y},${z},${x},${y},${z}`);
      if (chunk.length === 50_000) {
        writeSync(fd, chunk.join('\n') + '\n');
        chunk = [];
      }
    }
    if (chunk.length) writeSync(fd, chunk.join('\n') + '\n');
    closeSync(fd);
    const bytes = statSync(file).size;
    const out = join(dir, 'stats.json');
    const report = 'data:text/javascript,process.on("exit",()=>process.stderr.write("maxRSS_KB="+process.resourceUsage().maxRSS+"\\n"))';
    const node = (args: string[]) => spawnSync(process.execPath, ['--max-old-space-size=48', '--import', report, join(ROOT, 'bin', 'normkit.js'), ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
    const rssOf = (stderr: string) => Number(/maxRSS_KB=(\d+)/.exec(stderr)?.[1]);
    const baseKb = rssOf(node(['--help']).stderr); // the CLI's own start-up (node, commander, wasm memory)
    const t0 = Date.now();
    const r = node(['adapt', file, '--out', out, '--no-progress']);
    const ms = Date.now() - t0;
    assert.equal(r.status, 0, r.stderr);
    const rssKb = rssOf(r.stderr);
    assert.ok(rssKb > 0 && baseKb > 0, r.stderr);
    // Bounded: the work adds far less than the file itself on top of start-up.
    const addedMiB = (rssKb - baseKb) / 1024;
    assert.ok(addedMiB < 40 && addedMiB * 1048576 < bytes, `adapt added ${addedMiB.toFixed(1)} MiB of RSS for a ${(bytes / 1e6).toFixed(1)} MB file`);
    const stats = JSON.parse(readFileSync(out, 'utf8')) as { rows: number; columns: { name: string; count: number; mean: number; min: number; max: number }[] };
    assert.equal(stats.rows, ROWS);
    assert.equal(stats.columns.length, 6);
    const [cx, cy, cz, cx2] = stats.columns;
    assert.deepEqual(cx2, { ...cx!, name: 'x2' });
    assert.equal(cx!.count, ROWS);
    assert.ok(Math.abs(cx!.mean - sx / ROWS) < 1e-9, `x mean ${cx!.mean} vs ${sx / ROWS}`);
    assert.ok(Math.abs(cy!.mean - (1e6 + sy / ROWS)) < 1e-6, `y mean ${cy!.mean}`);
    assert.ok(Math.abs(cz!.mean - sz / ROWS) < 1e-9, `z mean ${cz!.mean}`);
    assert.equal(cx!.min, 0);
    assert.equal(cx!.max, 999 / 8);
    assert.equal(cy!.max, 1e6 + 6);
    console.log(`normkit adapt: ${ROWS} rows, ${(bytes / 1e6).toFixed(1)} MB, ${ms} ms, peak RSS ${(rssKb / 1024).toFixed(1)} MiB (start-up alone ${(baseKb / 1024).toFixed(1)} MiB; heap capped at 48 MiB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
