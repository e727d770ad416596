/**
 * Reading a `results.json` written by `normkit why` / `normkit run`
 * (packages/lab/src/report/build.ts): `{ normkit, study, experiments: [{
 * name, title, claim, verdict, rule, explanation, metrics, tables, runs:
 * [{ id, seed, config, status, metrics, series }] }] }`. Checks the shape
 * with messages that say what was found, and derives chart data from the
 * runs' series: per series name, one line per configuration (seeds
 * averaged), x = the run's matching `*Step` series when there is one of
 * the same length, else the index.
 */

export interface ResultsRun {
  id: string;
  seed: number;
  config: Record<string, unknown>;
  status: string;
  metrics?: Record<string, number>;
  series?: Record<string, number[]>;
}

export interface ResultsTable {
  title: string;
  columns: string[];
  rows: unknown[][];
}

export interface ResultsExperiment {
  name: string;
  title: string;
  claim: string;
  verdict: string;
  rule: string;
  explanation: string;
  setup?: string;
  paper?: { citation?: string; setup?: string; numbers?: string };
  metrics: Record<string, unknown>;
  tables: ResultsTable[];
  runs: ResultsRun[];
  runCounts?: Record<string, number>;
  wallMs?: number;
}

export interface Results {
  version: string;
  study: Record<string, unknown>;
  experiments: ResultsExperiment[];
}

/** Parse and check; throws an Error saying what is wrong. */
export function parseResults(text: string): Results {
  let d: unknown;
  try {
    d = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
  const o = d as { normkit?: { version?: string }; study?: Record<string, unknown>; experiments?: unknown };
  if (!o || typeof o !== 'object' || !Array.isArray(o.experiments)) {
    throw new Error(`expected a normkit results.json with an "experiments" array, got ${o && typeof o === 'object' ? `keys ${Object.keys(o).slice(0, 6).join(', ') || '(none)'}` : typeof o}`);
  }
  const experiments = (o.experiments as Record<string, unknown>[]).map((e, i) => {
    if (!e || typeof e.name !== 'string') throw new Error(`experiments[${i}] has no name`);
    const str = (k: string) => (typeof e[k] === 'string' ? (e[k] as string) : '');
    return {
      name: e.name, title: str('title') || e.name, claim: str('claim'), verdict: str('verdict') || 'unknown', rule: str('rule'),
      explanation: str('explanation'), setup: str('setup'), paper: (e.paper ?? undefined) as ResultsExperiment['paper'],
      metrics: (e.metrics ?? {}) as Record<string, unknown>,
      tables: Array.isArray(e.tables) ? (e.tables as ResultsTable[]).filter((t) => t && Array.isArray(t.columns) && Array.isArray(t.rows)) : [],
      runs: Array.isArray(e.runs) ? (e.runs as ResultsRun[]) : [],
      runCounts: e.runCounts as Record<string, number> | undefined,
      wallMs: typeof e.wallMs === 'number' ? e.wallMs : undefined,
    } satisfies ResultsExperiment;
  });
  return { version: o.normkit?.version ?? '?', study: o.study ?? {}, experiments };
}

/** A configuration's label: its values, except the seed (e.g. "adam · batchnorm"). */
export function configLabel(config: Record<string, unknown>): string {
  return Object.entries(config).filter(([k]) => k !== 'seed').map(([, v]) => String(v)).join(' · ') || '(default)';
}

export interface SeriesChart {
  series: string;
  lines: { label: string; points: [number, number][] }[];
}

/** Chart data per series name (at most `maxCharts` series, `maxLines` configurations each). */
export function seriesCharts(e: ResultsExperiment, maxCharts = 4, maxLines = 10): SeriesChart[] {
  const names: string[] = [];
  for (const r of e.runs) for (const k of Object.keys(r.series ?? {})) if (!names.includes(k) && !/Step$/.test(k)) names.push(k);
  return names.slice(0, maxCharts).map((name) => {
    const groups = new Map<string, { sum: number[]; cnt: number[]; x: number[] | null }>();
    for (const r of e.runs) {
      const ys = r.series?.[name];
      if (!Array.isArray(ys) || ys.length === 0 || r.status !== 'ok') continue;
      const label = configLabel(r.config ?? {});
      const xs = Object.entries(r.series ?? {}).find(([k, v]) => /Step$/.test(k) && Array.isArray(v) && v.length === ys.length)?.[1] ?? null;
      const g = groups.get(label) ?? { sum: [], cnt: [], x: xs };
      ys.forEach((v, i) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) return;
        g.sum[i] = (g.sum[i] ?? 0) + v;
        g.cnt[i] = (g.cnt[i] ?? 0) + 1;
      });
      groups.set(label, g);
    }
    const lines = [...groups.entries()].slice(0, maxLines).map(([label, g]) => ({
      label,
      points: g.sum.map((s, i) => [g.x?.[i] ?? i, g.cnt[i] ? s / g.cnt[i]! : NaN] as [number, number]),
    }));
    return { series: name, lines };
  }).filter((c) => c.lines.length > 0);
}
