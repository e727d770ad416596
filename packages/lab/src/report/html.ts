/**
 * index.html: the self-contained study report. Inline CSS and inline SVG
 * charts only (no script, no external request), so it opens anywhere,
 * offline, and prints well. Layout: study metadata and a summary verdict
 * table on top, then one section per experiment: claim, the paper's set-up and
 * numbers beside ours, our set-up, the verdict (colored badge) with its rule
 * and explanation, metrics, tables, charts, and wall time.
 */
import type { ReportTable, Verdict } from '../experiment.js';
import type { BuiltReport, ExperimentReport } from './build.js';
import { fmtNum, fmtRunCounts, fmtWall } from './format.js';

/** Escape text for HTML content and attribute values. */
export function esc(s: string | number | null | undefined): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `
:root { --ok: #1a7f37; --bad: #c62828; --meh: #b26a00; --ink: #1f2328; --mute: #59636e; --line: #d0d7de; --bg2: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); margin: 0; background: #fff; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 60px; }
h1 { font-size: 28px; margin: 8px 0 4px; }
h2 { font-size: 21px; margin: 0 0 6px; }
h3 { font-size: 15px; margin: 18px 0 6px; color: var(--mute); text-transform: uppercase; letter-spacing: .04em; }
.meta { color: var(--mute); font-size: 13px; margin-bottom: 20px; }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 4px 9px; text-align: left; vertical-align: top; }
th { background: var(--bg2); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.badge { display: inline-block; padding: 1px 10px; border-radius: 12px; color: #fff; font-weight: 600; font-size: 13px; white-space: nowrap; }
.badge.reproduced { background: var(--ok); } .badge.not-reproduced { background: var(--bad); } .badge.inconclusive { background: var(--meh); }
section.exp { border-top: 3px solid var(--line); padding-top: 18px; margin-top: 34px; }
.claim { font-size: 16px; border-left: 4px solid #8250df; padding: 4px 12px; background: #fbf8ff; margin: 8px 0 14px; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; background: #fff; }
.card h3 { margin-top: 2px; }
.verdict { border-radius: 6px; padding: 10px 14px; margin: 14px 0; }
.verdict.reproduced { background: #e9f6ec; border: 1px solid #9dd3ab; } .verdict.not-reproduced { background: #fdecec; border: 1px solid #f1a9a9; } .verdict.inconclusive { background: #fff5e0; border: 1px solid #f0c97a; }
.rule { color: var(--mute); font-size: 13.5px; margin-top: 4px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; margin-top: 8px; }
.chart { border: 1px solid var(--line); border-radius: 6px; padding: 8px; background: #fff; max-width: 100%; overflow-x: auto; }
.chart svg { display: block; max-width: 100%; height: auto; }
.small { font-size: 13px; color: var(--mute); }
a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
@media (max-width: 800px) { .cols { grid-template-columns: 1fr; } }
`;

function badge(v: Verdict): string {
  return `<span class="badge ${v.replace(' ', '-')}">${esc(v)}</span>`;
}

function table(t: ReportTable): string {
  const head = t.columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const rows = t.rows
    .map((r) => `<tr>${r.map((c) => (typeof c === 'number' ? `<td class="num">${esc(fmtNum(c))}</td>` : `<td>${esc(fmtNum(c))}</td>`)).join('')}</tr>`)
    .join('\n');
  return `<div class="small"><b>${esc(t.title)}</b></div><table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

/** Make the ids inside one inline SVG unique in the page (clip paths, gradients), so charts never share a definition. */
function scopeIds(svg: string, prefix: string): string {
  return svg.replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`).replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`).replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

function section(e: ExperimentReport, i: number, charts: { svg: string }[]): string {
  const v = e.verdict.replace(' ', '-');
  const metrics = Object.entries(e.metrics);
  const diverged = e.runs.filter((r) => r.status === 'diverged');
  const failed = e.runs.filter((r) => r.status === 'error');
  return `
<section class="exp" id="${esc(e.name)}">
<h2>${i + 1}. ${esc(e.title)} <span class="small">(<code>${esc(e.name)}</code>)</span> ${badge(e.verdict)}</h2>
<div class="claim"><b>Claim.</b> ${esc(e.claim)}</div>
<div class="cols">
  <div class="card"><h3>The paper</h3>
    <div><i>${esc(e.paper.citation)}</i></div>
    <p><b>Set-up.</b> ${esc(e.paper.setup)}</p>
    <p><b>Numbers.</b> ${esc(e.paper.numbers)}</p>
    ${e.paper.table ? table(e.paper.table) : ''}
  </div>
  <div class="card"><h3>Ours</h3>
    <p><b>Set-up.</b> ${esc(e.setup)}</p>
    ${metrics.length > 0 ? table({ title: 'Measured', columns: ['metric', 'value'], rows: metrics.map(([k, val]) => [k, val]) }) : ''}
    <p class="small">${esc(fmtRunCounts(e.runCounts))}; wall time ${esc(fmtWall(e.wallMs))}.</p>
  </div>
</div>
<div class="verdict ${v}">${badge(e.verdict)} ${esc(e.explanation)}
  <div class="rule"><b>Rule</b> (fixed before the runs): ${esc(e.rule)}</div>
</div>
${e.tables.length > 0 ? `<h3>Tables</h3>${e.tables.map(table).join('\n')}` : ''}
${charts.length > 0 ? `<h3>Charts</h3><div class="charts">${charts.map((c, k) => `<figure class="chart" style="margin:0">${scopeIds(c.svg, `e${i}c${k}`)}</figure>`).join('\n')}</div>` : ''}
${diverged.length > 0 ? `<p class="small"><b>Diverged runs</b> (results, not crashes): ${diverged.map((r) => `${esc(r.id)} at step ${esc(r.status === 'diverged' ? (r.divergedAt ?? '?') : '')}`).join(', ')}.</p>` : ''}
${failed.length > 0 ? `<p class="small"><b>Failed runs:</b> ${failed.map((r) => `${esc(r.id)}: ${esc(r.status === 'error' ? r.error : '')}`).join('; ')}</p>` : ''}
</section>`;
}

/** Render the whole report as one HTML document. */
export function renderHtml(b: BuiltReport): string {
  const { study, experiments } = b.results;
  const count = (v: Verdict) => experiments.filter((e) => e.verdict === v).length;
  const summary = experiments
    .map(
      (e, i) =>
        `<tr><td class="num">${i + 1}</td><td><a href="#${esc(e.name)}">${esc(e.title)}</a><br><span class="small">${esc(e.name)}</span></td>` +
        `<td>${badge(e.verdict)}</td><td>${esc(e.explanation)}</td><td class="num">${esc(fmtWall(e.wallMs))}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>normkit lab: why is normalization useful?</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>Why is normalization useful? <span class="small">normkit lab report</span></h1>
<div class="meta">Profile <b>${esc(study.profile)}</b> · seeds ${esc(study.seeds ?? 'per-profile default')} · ${esc(study.date)} · Node ${esc(study.node)} on ${esc(study.platform)}
 (${esc(study.cpus)} CPUs, ${study.jobs === 0 ? 'in-process' : `${esc(study.jobs)} worker(s)`}) · total wall time ${esc(fmtWall(study.wallMs))} · normkit ${esc(b.results.normkit.version)} · kernels: ${esc(study.kernels)}</div>
${study.workers?.length ? `<details class="meta"><summary>Computed through the job queue by ${study.workers.length} worker(s)</summary><table><thead><tr><th>worker</th><th>host</th><th>backend</th><th>normkit</th><th>lab</th><th>threads</th><th>runs</th></tr></thead><tbody>${study.workers.map((w) => `<tr><td>${esc(w.id)}</td><td>${esc(w.host)}</td><td>${esc(w.backend)}</td><td>${esc(w.normkit)}</td><td>${esc(w.lab)}</td><td>${esc(w.threads)}</td><td>${esc(w.runs)}</td></tr>`).join('')}</tbody></table></details>` : ''}
<p>Each experiment tests one published claim at small scale on CPU, puts the paper's numbers beside ours, and computes its verdict with a rule fixed in code before any result was seen.
Small scale cannot reproduce absolute numbers; the question is whether the <i>direction and shape</i> of the effect hold.</p>
<h3>Summary: ${count('reproduced')} reproduced, ${count('not reproduced')} not reproduced, ${count('inconclusive')} inconclusive</h3>
<table>
<thead><tr><th>#</th><th>Experiment</th><th>Verdict</th><th>What the data shows</th><th>Wall time</th></tr></thead>
<tbody>
${summary}
</tbody>
</table>
${experiments.map((e, i) => section(e, i, b.charts.get(e.name) ?? [])).join('\n')}
</main>
</body>
</html>
`;
}
