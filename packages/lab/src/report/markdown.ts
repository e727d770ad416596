/**
 * report.md: the study in Markdown (verdict table on top, then per
 * experiment the claim, the paper, our set-up, the verdict with its rule,
 * metrics and tables). Charts are in index.html.
 */
import type { ReportTable } from '../experiment.js';
import type { BuiltReport } from './build.js';
import { fmtNum, fmtRunCounts, fmtWall } from './format.js';

const mdCell = (v: string | number | null) => fmtNum(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function mdTable(t: ReportTable): string {
  const head = `| ${t.columns.map(mdCell).join(' | ')} |\n| ${t.columns.map(() => '---').join(' | ')} |\n`;
  return `**${t.title}**\n\n${head}${t.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`).join('\n')}\n`;
}

const BADGE = { reproduced: '✅ reproduced', 'not reproduced': '❌ not reproduced', inconclusive: '⚠️ inconclusive' } as const;

export function renderMarkdown(b: BuiltReport): string {
  const { study, experiments } = b.results;
  const out: string[] = [];
  out.push(`# normkit lab: why is normalization useful?\n`);
  out.push(
    `Profile **${study.profile}**, seeds ${study.seeds ?? 'per-profile default'}, ${study.date}, Node ${study.node} on ${study.platform} ` +
      `(${study.cpus} CPUs, ${study.jobs === 0 ? 'in-process' : `${study.jobs} worker(s)`}), total wall time ${fmtWall(study.wallMs)}, normkit ${b.results.normkit.version}, kernels: ${study.kernels}. ` +
      `Charts: see index.html.\n`,
  );
  if (study.workers?.length) {
    out.push(`Computed through the job queue by ${study.workers.length} worker(s):\n`);
    out.push('| worker | host | backend | normkit | lab | threads | runs |\n| --- | --- | --- | --- | --- | --- | --- |');
    for (const w of study.workers) out.push(`| ${w.id} | ${w.host} | ${w.backend} | ${w.normkit} | ${w.lab} | ${w.threads} | ${w.runs} |`);
    out.push('');
  }
  out.push(`## Verdicts\n`);
  out.push(`| # | Experiment | Verdict | Runs | Wall time |\n| --- | --- | --- | --- | --- |`);
  experiments.forEach((e, i) => out.push(`| ${i + 1} | [${e.title}](#${e.name}) (\`${e.name}\`) | ${BADGE[e.verdict]} | ${fmtRunCounts(e.runCounts)} | ${fmtWall(e.wallMs)} |`));
  out.push('');
  for (const e of experiments) {
    out.push(`<a id="${e.name}"></a>\n## ${e.title} (\`${e.name}\`)\n`);
    out.push(`**Claim.** ${e.claim}\n`);
    out.push(`**Paper.** ${e.paper.citation}\n\n- Set-up: ${e.paper.setup}\n- Numbers: ${e.paper.numbers}\n`);
    if (e.paper.table) out.push(mdTable(e.paper.table));
    out.push(`**Our set-up.** ${e.setup}\n`);
    out.push(`**Verdict: ${BADGE[e.verdict]}.** ${e.explanation}\n\n*Rule:* ${e.rule}\n`);
    const m = Object.entries(e.metrics);
    if (m.length > 0) out.push(mdTable({ title: 'Metrics', columns: ['metric', 'value'], rows: m.map(([k, v]) => [k, v]) }));
    for (const t of e.tables) out.push(mdTable(t));
    const div = e.runs.filter((r) => r.status === 'diverged');
    if (div.length > 0) out.push(`Diverged runs: ${div.map((r) => `${r.id} at step ${r.status === 'diverged' ? (r.divergedAt ?? '?') : ''}`).join(', ')}.\n`);
    const err = e.runs.filter((r) => r.status === 'error');
    if (err.length > 0) out.push(`Failed runs: ${err.map((r) => `${r.id} (${r.status === 'error' ? r.error : ''})`).join('; ')}.\n`);
    out.push(`Runs: ${fmtRunCounts(e.runCounts)}; wall time ${fmtWall(e.wallMs)}.\n`);
  }
  return out.join('\n') + '\n';
}
