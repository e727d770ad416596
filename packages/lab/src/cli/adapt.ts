/**
 * `normkit adapt FILE.csv [--out stats.json]`: per-column statistics of a
 * numeric CSV of any size, streamed in constant memory (Node only).
 *
 * Rows are gathered in blocks of a few thousand; each block's mean and sum of
 * squared deviations are computed in two passes in float64 and merged into
 * the running totals with the parallel update of Chan, Golub & LeVeque
 * (1983), the same exact merge `nk.Normalization.adapt` uses, so the result
 * does not depend on the block size and never suffers the cancellation of
 * `E[x^2] - E[x]^2`. A malformed row stops the run with its line number and
 * reason, and no statistics file is written.
 */
import { createReadStream } from 'node:fs';
import { rename, stat, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CsvError, readCsv } from '../io/csv.js';
import { RunningMoments } from 'normkit/preprocessing';

/** Statistics of one column. */
export interface ColumnStats {
  name: string;
  /** Values counted (empty fields are skipped with `missing: 'nan'`). */
  count: number;
  mean: number;
  /** Population variance (divide by count), what `nk.Normalization` and Keras use. */
  variance: number;
  /** Sample variance (divide by count - 1); null with fewer than 2 values. */
  sampleVariance: number | null;
  /** Population standard deviation. */
  std: number;
  min: number;
  max: number;
}

/** What `normkit adapt` writes to `--out`. */
export interface AdaptStats {
  file: string;
  rows: number;
  columns: ColumnStats[];
}

/** Options of {@link adaptCsv}. */
export interface AdaptCsvOptions {
  delimiter?: string;
  /** `true`: first row is a header; `false`: none; `'auto'` (default): a header when a field of the first row is not a number. */
  header?: boolean | 'auto';
  /** Empty fields: `'error'` (default) or `'nan'` (skipped in the statistics). */
  missing?: 'error' | 'nan';
  /** Rows per block merged into the running statistics (default 4096). */
  blockRows?: number;
  /** Called as bytes are read. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** A CSV row the statistics cannot accept; `line` is 1-based. */
export class AdaptError extends Error {
  constructor(readonly file: string, readonly line: number, readonly reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'AdaptError';
  }
}

/**
 * Stream `file` and return per-column count, mean, population and sample
 * variance, std, min and max. Memory use is one block of rows, whatever the
 * file size. Throws {@link AdaptError} (file, line, reason) on a malformed row.
 */
export async function adaptCsv(file: string, opts: AdaptCsvOptions = {}): Promise<AdaptStats> {
  const total = (await stat(file)).size;
  const blockRows = opts.blockRows ?? 4096;
  let names: string[] | null = null;
  let moments: RunningMoments | null = null;
  let min: Float64Array | null = null;
  let max: Float64Array | null = null;
  let D = 0;
  let block = new Float64Array(0);
  let inBlock = 0;
  let rows = 0;
  let bytes = 0;
  const stream = createReadStream(file, { highWaterMark: 1 << 16 });
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      opts.onProgress?.(bytes, total);
      yield chunk;
    }
  }
  const flush = () => {
    if (inBlock > 0) moments!.updateRows(block.subarray(0, inBlock * D), inBlock, true);
    inBlock = 0;
  };
  try {
    for await (const { line, values } of readCsv(counted(), {
      delimiter: opts.delimiter ?? ',', header: opts.header ?? 'auto', missing: opts.missing ?? 'error',
      onHeader: (h) => (names = h),
    })) {
      if (!moments) {
        D = values.length;
        moments = new RunningMoments(D);
        min = new Float64Array(D).fill(Infinity);
        max = new Float64Array(D).fill(-Infinity);
        block = new Float64Array(blockRows * D);
      }
      if (values.length !== D) throw new AdaptError(file, line, `expected ${D} fields, got ${values.length}`);
      const o = inBlock * D;
      for (let j = 0; j < D; j++) {
        const v = values[j]!;
        block[o + j] = v;
        if (v < min![j]!) min![j] = v;
        if (v > max![j]!) max![j] = v;
      }
      rows++;
      if (++inBlock === blockRows) flush();
    }
  } catch (e) {
    if (e instanceof CsvError) throw new AdaptError(file, e.line, e.column !== null ? `column ${e.column}: ${e.reason}` : e.reason);
    throw e;
  } finally {
    stream.destroy();
  }
  if (!moments) throw new AdaptError(file, 1, 'no data rows');
  flush();
  const m = moments as RunningMoments;
  const hdr = names as string[] | null;
  const means = m.mean;
  const columns: ColumnStats[] = [];
  for (let j = 0; j < D; j++) {
    const n = m.count[j]!;
    const variance = n > 0 ? m.m2[j]! / n : NaN;
    columns.push({
      name: hdr?.[j] ?? `column_${j + 1}`,
      count: n,
      mean: n > 0 ? means[j]! : NaN,
      variance,
      sampleVariance: n > 1 ? m.m2[j]! / (n - 1) : null,
      std: Math.sqrt(variance),
      min: n > 0 ? min![j]! : NaN,
      max: n > 0 ? max![j]! : NaN,
    });
  }
  return { file, rows, columns };
}

/** A fixed-width text table of the statistics. */
export function formatStats(s: AdaptStats): string {
  const head = ['column', 'count', 'mean', 'variance', 'std', 'min', 'max'];
  const fmt = (v: number) => (Number.isInteger(v) && Math.abs(v) < 1e15 ? String(v) : v.toPrecision(8));
  const body = s.columns.map((c) => [c.name, String(c.count), fmt(c.mean), fmt(c.variance), fmt(c.std), fmt(c.min), fmt(c.max)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [`${s.file}: ${s.rows} rows, ${s.columns.length} columns (population variance)`, line(head), ...body.map(line)].join('\n');
}

/** Progress on stderr: a cli-progress bar on a TTY, a plain line per 10% otherwise. */
async function progressReporter(enabled: boolean): Promise<{ update: (b: number, t: number) => void; stop: () => void }> {
  if (!enabled) return { update: () => {}, stop: () => {} };
  if (process.stderr.isTTY) {
    const { SingleBar, Presets } = (await import('cli-progress')).default;
    const bar = new SingleBar({ format: 'adapt [{bar}] {percentage}% | {valueMB}/{totalMB} MB', stream: process.stderr, hideCursor: true }, Presets.shades_classic);
    let started = false;
    const mb = (b: number) => (b / 1e6).toFixed(1);
    return {
      update: (b, t) => {
        if (!started) {
          bar.start(t, 0, { valueMB: mb(0), totalMB: mb(t) });
          started = true;
        }
        bar.update(b, { valueMB: mb(b), totalMB: mb(t) });
      },
      stop: () => started && bar.stop(),
    };
  }
  let nextPct = 10;
  return {
    update: (b, t) => {
      const pct = t > 0 ? (100 * b) / t : 100;
      if (pct < nextPct) return;
      // one line per chunk, at the last 10% step it passed
      const step = Math.min(100, Math.floor(pct / 10) * 10);
      process.stderr.write(`adapt: ${step}% (${b} of ${t} bytes)\n`);
      nextPct = step + 10;
    },
    stop: () => {},
  };
}

function parseDelimiter(d: string): string {
  const named: Record<string, string> = { tab: '\t', '\\t': '\t', comma: ',', semicolon: ';', space: ' ', pipe: '|' };
  return named[d] ?? d;
}

/** Register `normkit adapt` on a commander program (`write` receives the stdout text; tests pass their own). */
export function registerAdapt(program: Command, write: (text: string) => void = (t) => void process.stdout.write(t)): Command {
  return program
    .command('adapt')
    .description('per-column count, mean, variance, std, min and max of a numeric CSV, streamed in constant memory (the statistics nk.Normalization.adapt computes)')
    .argument('<file>', 'CSV file of numbers (one row per sample)')
    .option('--out <file>', 'also write the statistics as JSON to this file')
    .option('--header', 'the first row is a header (default: detected: a header when a field of the first row is not a number)')
    .option('--no-header', 'the first row is data')
    .option('--delimiter <char>', "field separator: one character, or 'tab', 'semicolon', 'space', 'pipe'", ',')
    .option('--missing <mode>', "empty fields: 'error' or 'nan' (skipped in that column's statistics)", 'error')
    .option('--no-progress', 'no progress bar or progress lines')
    .addHelpText('after', `
Statistics use an exact streaming merge (two-pass blocks in float64, Chan et al. 1983);
the variance is the population variance, as Keras' Normalization.adapt. A malformed row
(a non-number, a wrong field count, an empty field) stops the run with its line number
and a non-zero exit status; no JSON is written then.

Example:
  normkit adapt data.csv --out stats.json
  # then: new nk.Normalization({ mean: stats.columns.map(c => c.mean), variance: stats.columns.map(c => c.variance) })
`)
    .action(async (file: string, o: { out?: string; header?: boolean; delimiter: string; missing: string; progress: boolean }) => {
      if (o.missing !== 'error' && o.missing !== 'nan') throw new Error(`--missing must be 'error' or 'nan', got '${o.missing}'`);
      const progress = await progressReporter(o.progress !== false);
      let stats: AdaptStats;
      try {
        stats = await adaptCsv(file, {
          delimiter: parseDelimiter(o.delimiter), header: o.header === undefined ? 'auto' : o.header, missing: o.missing,
          onProgress: progress.update,
        });
      } finally {
        progress.stop();
      }
      write(formatStats(stats) + '\n');
      if (o.out) {
        // write then rename, so a reader never sees a half-written file
        const tmp = `${o.out}.tmp-${process.pid}`;
        await writeFile(tmp, JSON.stringify(stats, null, 2) + '\n');
        await rename(tmp, o.out);
        write(`wrote ${o.out}\n`);
      }
    });
}
