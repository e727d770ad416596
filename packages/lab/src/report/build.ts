/**
 * Build the study report from the runs stored on disk (Node only): judge each
 * experiment with its own rule, render its charts, and write
 * `OUT/results.json` (machine-readable), `OUT/report.md` and `OUT/index.html`
 * (self-contained, inline SVG charts). Used at the end of `normkit why|run`
 * and by `normkit report DIR...`, which can merge several result directories.
 *
 * An experiment whose runs are not all on disk (interrupted study) or whose
 * runs failed with an error is `inconclusive`, and the explanation says why:
 * a verdict is only ever computed by the experiment's rule from complete data.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ChartSpec, Experiment, Judgement, Profile, ReportTable, RunResult, Verdict } from '../experiment.js';
import { canonical, readAllRuns, readStudy, runPath, storedExperiments, writeAtomic, writeStudy, type StoredRun, type StudyMeta } from '../store.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { renderSvg } from './svg.js';

/** The report of one experiment, as in results.json. */
export interface ExperimentReport {
  name: string;
  title: string;
  claim: string;
  paper: Experiment['paper'];
  setup: string;
  verdict: Verdict;
  rule: string;
  explanation: string;
  metrics: { [k: string]: number | null };
  runCounts: { expected: number; stored: number; ok: number; diverged: number; error: number };
  /** Sum of the runs' wall times (ms): the compute the experiment took. */
  wallMs: number;
  tables: ReportTable[];
  runs: StoredRun[];
}

/** results.json. */
export interface StudyResults {
  normkit: { version: string };
  study: {
    profile: Profile;
    seeds: number | null;
    date: string;
    started: string;
    node: string;
    platform: string;
    cpus: number;
    jobs: number;
    /** Total wall time of the study's invocations (ms). */
    wallMs: number;
    /** Result directories merged into this report. */
    sources: string[];
    /** Queue studies: the workers that computed the runs (host, backend, versions, runs each); absent for local studies. */
    workers?: NonNullable<StudyMeta['workers']>;
    /** The kernel builds the stored runs computed on, with run counts, e.g. "WebAssembly with relaxed SIMD (237 runs)". */
    kernels: string;
  };
  experiments: ExperimentReport[];
}

/**
 * The kernel builds of `runs`, most used first: "WebAssembly with relaxed
 * SIMD (230 runs), TypeScript (7 runs)". Builds differ at float32 rounding
 * (relaxed SIMD fuses the matmul's multiply-adds), so a report says which
 * produced its numbers. Runs stored before the builds were recorded count as
 * "WebAssembly, build not recorded".
 */
export function kernelSummary(runs: StoredRun[]): string {
  const counts = new Map<string, number>();
  for (const r of runs) {
    if (r.status === 'error') continue;
    const label = r.backend === 'js' ? 'TypeScript' : r.backend === undefined ? 'not recorded'
      : r.relaxedSimd === true ? 'WebAssembly with relaxed SIMD' : r.relaxedSimd === false ? 'WebAssembly, SIMD only' : 'WebAssembly, build not recorded';
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  if (counts.size === 0) return 'no runs';
  return [...counts].sort((a, b) => b[1] - a[1]).map(([label, n]) => `${label} (${n} run${n === 1 ? '' : 's'})`).join(', ');
}

/** The workers of every merged directory, one entry per worker id with its runs added up (undefined when none). */
function mergeWorkers(metas: StudyMeta[]): NonNullable<StudyMeta['workers']> | undefined {
  const by = new Map<string, NonNullable<StudyMeta['workers']>[number]>();
  for (const m of metas) for (const w of m.workers ?? []) {
    const had = by.get(w.id);
    by.set(w.id, had ? { ...had, runs: had.runs + w.runs } : { ...w });
  }
  return by.size ? [...by.values()].sort((a, b) => a.id.localeCompare(b.id)) : undefined;
}

/** A report in memory: the results plus the rendered charts (SVG) per experiment. */
export interface BuiltReport {
  results: StudyResults;
  charts: Map<string, { spec: ChartSpec; svg: string }[]>;
}

function packageVersion(): string {
  try {
    // The library's version: the numbers come from its kernels (dist/src/report/ -> packages/lab -> normkit).
    const pkg = JSON.parse(readFileSync(new URL(import.meta.resolve('normkit/package.json')), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Judge one experiment from its stored runs; never throws. */
export function judgeExperiment(exp: Experiment, profile: Profile, seeds: number | undefined, stored: StoredRun[]): Omit<ExperimentReport, 'tables'> & { good: RunResult[] } {
  const expected = exp.runs(profile, seeds);
  const byId = new Map(stored.map((r) => [r.id, r]));
  const runs: StoredRun[] = [];
  for (const spec of expected) {
    const r = byId.get(spec.id);
    if (r && r.seed === spec.seed && canonical(r.config) === canonical(spec.config)) runs.push(r);
  }
  const good = runs.filter((r): r is RunResult => r.status !== 'error');
  const errors = runs.filter((r) => r.status === 'error');
  const counts = {
    expected: expected.length,
    stored: runs.length,
    ok: good.filter((r) => r.status === 'ok').length,
    diverged: good.filter((r) => r.status === 'diverged').length,
    error: errors.length,
  };
  let j: Judgement;
  if (runs.length < expected.length) {
    j = {
      verdict: 'inconclusive',
      metrics: {},
      explanation: `${expected.length - runs.length} of ${expected.length} runs have not finished (interrupted study?): run the same command again to complete them.`,
    };
  } else if (errors.length > 0) {
    const first = errors[0]!;
    j = {
      verdict: 'inconclusive',
      metrics: {},
      explanation: `${errors.length} of ${expected.length} runs failed with an error (first: ${first.id}: ${first.status === 'error' ? first.error : ''}).`,
    };
  } else {
    try {
      j = exp.judge(good, profile);
      if (!['reproduced', 'not reproduced', 'inconclusive'].includes(j.verdict)) throw new Error(`judge returned verdict ${JSON.stringify(j.verdict)}`);
    } catch (e) {
      j = { verdict: 'inconclusive', metrics: {}, explanation: `the verdict rule failed: ${(e as Error).message}` };
    }
  }
  const metrics: { [k: string]: number | null } = {};
  for (const [k, v] of Object.entries(j.metrics)) metrics[k] = typeof v === 'number' && Number.isFinite(v) ? v : null;
  return {
    name: exp.name,
    title: exp.title,
    claim: exp.claim,
    paper: exp.paper,
    setup: exp.setup(profile),
    verdict: j.verdict,
    rule: exp.rule,
    explanation: j.explanation,
    metrics,
    runCounts: counts,
    wallMs: runs.reduce((a, r) => a + (r.wallMs ?? 0), 0),
    runs,
    good,
  };
}

export interface BuildOptions {
  /** Result directories to read runs from (later ones win on the same run). */
  dirs: string[];
  /** Where to write the report (runs from other dirs are copied here, so it can be rebuilt). */
  out: string;
  /** All registered experiments. */
  experiments: Experiment[];
  /** Restrict to these experiment names (default: every registered experiment with runs on disk). */
  only?: string[];
  /** Warnings (unknown experiment directories...). */
  warn?: (msg: string) => void;
}

/** Build and write the report; returns it. */
export async function buildReport(opts: BuildOptions): Promise<BuiltReport> {
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`normkit: ${m}\n`));
  if (opts.dirs.length === 0) throw new Error('no result directory given');
  const metas: StudyMeta[] = [];
  for (const d of opts.dirs) {
    const m = readStudy(d);
    if (!m) throw new Error(`"${d}" is not a normkit result directory (no study.json); expected the --out directory of "normkit why"`);
    metas.push(m);
  }
  const meta = metas[0]!;
  for (let i = 1; i < metas.length; i++) {
    if (metas[i]!.profile !== meta.profile) warn(`"${opts.dirs[i]}" was run with profile ${metas[i]!.profile}, "${opts.dirs[0]}" with ${meta.profile}: judging with ${meta.profile}, runs of other configurations are ignored`);
  }
  // Merge runs: experiment -> id -> run (later dirs win), copying foreign runs into out.
  const outAbs = resolve(opts.out);
  const merged = new Map<string, Map<string, StoredRun>>();
  for (const d of opts.dirs) {
    for (const name of storedExperiments(d)) {
      if (!opts.experiments.some((e) => e.name === name)) {
        warn(`"${d}" has runs of "${name}", which is not a registered experiment: skipped`);
        continue;
      }
      if (!merged.has(name)) merged.set(name, new Map());
      for (const r of readAllRuns(d, name)) {
        merged.get(name)!.set(r.id, r);
        if (resolve(d) !== outAbs) {
          mkdirSync(join(opts.out, 'runs', name), { recursive: true });
          copyFileSync(runPath(d, name, r.id), runPath(opts.out, name, r.id));
        }
      }
    }
  }
  const seeds = meta.seeds;
  const reports: ExperimentReport[] = [];
  const reportedRuns: StoredRun[] = [];
  const charts = new Map<string, { spec: ChartSpec; svg: string }[]>();
  for (const exp of opts.experiments) {
    if (opts.only && !opts.only.includes(exp.name)) continue;
    const stored = [...(merged.get(exp.name)?.values() ?? [])];
    const j = judgeExperiment(exp, meta.profile, seeds, stored);
    if (j.runCounts.stored === 0) continue;
    reportedRuns.push(...stored);
    const { good, ...rep } = j;
    let tables: ReportTable[] = [];
    const complete = rep.runCounts.stored === rep.runCounts.expected && rep.runCounts.error === 0;
    const rendered: { spec: ChartSpec; svg: string }[] = [];
    if (complete) {
      try {
        tables = exp.tables ? exp.tables(good) : [];
      } catch (e) {
        tables = [{ title: 'Tables could not be computed', columns: ['error'], rows: [[(e as Error).message]] }];
      }
      let specs: ChartSpec[] = [];
      try {
        specs = exp.charts(good);
      } catch (e) {
        warn(`experiment "${exp.name}": charts() failed: ${(e as Error).message}`);
      }
      for (const spec of specs) rendered.push({ spec, svg: await renderSvg(spec) });
    }
    charts.set(exp.name, rendered);
    reports.push({ ...rep, tables });
  }
  const wallMs = metas.reduce((a, m) => a + m.wallMs, 0);
  const workers = mergeWorkers(metas);
  const results: StudyResults = {
    normkit: { version: packageVersion() },
    study: {
      profile: meta.profile,
      seeds: seeds ?? null,
      date: metas.map((m) => m.updated).sort().at(-1) ?? meta.updated,
      started: metas.map((m) => m.started).sort()[0] ?? meta.started,
      node: meta.node,
      platform: meta.platform,
      cpus: meta.cpus,
      jobs: meta.jobs,
      wallMs,
      sources: opts.dirs.map((d) => resolve(d)),
      ...(workers ? { workers } : {}),
      kernels: kernelSummary(reportedRuns),
    },
    experiments: reports,
  };
  mkdirSync(opts.out, { recursive: true });
  if (opts.dirs.some((d) => resolve(d) !== outAbs)) {
    writeStudy(opts.out, { ...meta, wallMs, updated: results.study.date, started: results.study.started, experiments: reports.map((r) => r.name) });
  }
  const built: BuiltReport = { results, charts };
  writeAtomic(join(opts.out, 'results.json'), JSON.stringify(results, null, 1) + '\n');
  writeAtomic(join(opts.out, 'report.md'), renderMarkdown(built));
  writeAtomic(join(opts.out, 'index.html'), renderHtml(built));
  return built;
}
