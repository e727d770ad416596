/**
 * Render a benchmark JSON (written by `npm run bench -- --json FILE`) as the
 * Markdown tables of docs/BENCHMARKS.md, so the recorded table is exactly
 * the run's numbers: `node dist/bench/table.js bench/results-2cpu.json`.
 */
import { readFileSync } from 'node:fs';
import type { Row } from './run.js';


const f = (v: number | null | undefined, d: number) => (v === null || v === undefined ? '-' : v.toFixed(d));
const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node dist/bench/table.js RESULTS.json\n');
  process.exit(2);
}
const run = JSON.parse(readFileSync(file, 'utf8')) as { node: string; cpus: number; cpu: string; quick: boolean; reps: number; rows: Row[] };
const out: string[] = [];
out.push(`Node ${run.node}, ${run.cpus} CPUs (${run.cpu}), ${run.quick ? 'quick' : 'full'} run, median of ${run.reps}.`, '');
out.push('| op | shape | method | median ms | ns/element | GB/s | x copy |', '|---|---|---|---|---|---|---|');
for (const r of run.rows.filter((r) => !r.op.startsWith('matmul') && !r.op.startsWith('crossover'))) {
  out.push(`| ${r.op} | ${r.shape} | ${r.method} | ${f(r.ms, 3)} | ${f(r.nsPerElement, 2)} | ${f(r.gbPerS, 2)} | ${r.op.includes('API') ? '-' : f(r.ratioToCopy, 2)} |`);
}
out.push('', '| matmul [M,K]x[K,N] | method | median ms | GFLOP/s |', '|---|---|---|---|');
for (const r of run.rows.filter((r) => r.op === 'matmul')) {
  const [M, K, N] = r.shape.split('x');
  out.push(`| [${M},${K}]x[${K},${N}] | ${r.method} | ${f(r.ms, 3)} | ${f(r.gbPerS, 1)} |`);
}
const cross = run.rows.filter((r) => r.op.startsWith('crossover'));
if (cross.length) {
  out.push('', 'Thread crossover (LayerNorm on rows x 1024, split forced with crossover 0):', '');
  out.push('| rows | fwd 1T ms | fwd 2T ms | speedup | bwd 1T ms | bwd 2T ms | speedup |', '|---|---|---|---|---|---|---|');
  for (const shape of [...new Set(cross.map((r) => r.shape))]) {
    const fw = cross.find((r) => r.shape === shape && r.op.endsWith('fwd'));
    const bw = cross.find((r) => r.shape === shape && r.op.endsWith('bwd'));
    out.push(`| ${shape.split('x')[0]} | ${f(fw?.ms, 3)} | ${f(fw?.nsPerElement, 3)} | ${f(fw?.ratioToCopy, 2)} | ${f(bw?.ms, 3)} | ${f(bw?.nsPerElement, 3)} | ${f(bw?.ratioToCopy, 2)} |`);
  }
}
process.stdout.write(out.join('\n') + '\n');
