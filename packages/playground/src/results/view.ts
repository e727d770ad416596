/**
 * The results viewer: open a `results.json` of `normkit why` (file picker,
 * drag and drop, or `?results=URL` on the same origin), see the verdict
 * table, and open each experiment for its claim, rule, explanation, tables
 * and one chart per recorded series (drawn from the runs, seeds averaged).
 */
import { parseResults, seriesCharts, type Results } from './parse.js';
import { esc, legend, lineChart, PALETTE } from '../charts/svg.js';

const VERDICT_CLASS: Record<string, string> = { reproduced: 'ok', 'not reproduced': 'bad', inconclusive: 'meh' };

export function mountResults(root: HTMLElement): { load(text: string, name: string): void; current(): Results | null } {
  let current: Results | null = null;
  root.innerHTML = `
  <div class="panel results-open">
    <h2>Results viewer</h2>
    <p class="lead">Open a <code>results.json</code> written by <code>normkit why</code> (for example <code>normkit why --profile smoke --out results</code>). The file stays in this page.</p>
    <div class="drop" id="drop" tabindex="-1">
      <label for="results-file" class="button">Choose results.json…</label>
      <input type="file" id="results-file" accept=".json,application/json" class="visually-hidden">
      <span>or drop it here</span>
    </div>
    <p id="results-status" class="status" role="status" aria-live="polite"></p>
  </div>
  <div id="results-body"></div>`;
  const input = root.querySelector<HTMLInputElement>('#results-file')!;
  const drop = root.querySelector<HTMLElement>('#drop')!;
  const status = root.querySelector<HTMLElement>('#results-status')!;
  const body = root.querySelector<HTMLElement>('#results-body')!;

  const readFile = (f: File) => void f.text().then((t) => load(t, f.name), (e: Error) => { status.textContent = `Could not read ${f.name}: ${e.message}`; });
  input.addEventListener('change', () => { if (input.files?.[0]) readFile(input.files[0]); });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f) readFile(f);
  });

  function load(text: string, name: string): void {
    try {
      current = parseResults(text);
    } catch (e) {
      current = null;
      status.textContent = `${name} is not a normkit results.json: ${(e as Error).message}`;
      body.innerHTML = '';
      root.dataset.loaded = 'error';
      return;
    }
    const r = current;
    const count = (v: string) => r.experiments.filter((e) => e.verdict === v).length;
    status.textContent = `${name}: ${r.experiments.length} experiments (${count('reproduced')} reproduced, ${count('not reproduced')} not reproduced, ${count('inconclusive')} inconclusive).`;
    const st = r.study;
    body.innerHTML = `
    <div class="panel">
      <h3>Study</h3>
      <p>normkit ${esc(r.version)}, profile <strong>${esc(String(st.profile ?? '?'))}</strong>, ${esc(String(st.date ?? ''))}, Node ${esc(String(st.node ?? '?'))} on ${esc(String(st.platform ?? '?'))}, ${esc(String(st.cpus ?? '?'))} CPUs${typeof st.wallMs === 'number' ? `, ${(st.wallMs / 1000).toFixed(0)} s` : ''}.</p>
      <table class="verdicts" id="verdicts">
        <caption>Verdict per experiment</caption>
        <thead><tr><th scope="col">Experiment</th><th scope="col">Verdict</th><th scope="col">Claim</th></tr></thead>
        <tbody>${r.experiments.map((e) => `<tr data-experiment="${esc(e.name)}"><th scope="row"><a href="#exp-${esc(e.name)}">${esc(e.name)}</a></th><td><span class="verdict ${VERDICT_CLASS[e.verdict] ?? ''}">${esc(e.verdict)}</span></td><td>${esc(e.claim)}</td></tr>`).join('')}</tbody>
      </table>
    </div>
    ${r.experiments.map((e, i) => `
    <details class="panel experiment" id="exp-${esc(e.name)}" data-experiment="${esc(e.name)}"${i === 0 ? ' open' : ''}>
      <summary><span class="verdict ${VERDICT_CLASS[e.verdict] ?? ''}">${esc(e.verdict)}</span> ${esc(e.title)}</summary>
      <p><strong>Claim.</strong> ${esc(e.claim)}</p>
      ${e.paper?.citation ? `<p><strong>Paper.</strong> ${esc(e.paper.citation)}</p>` : ''}
      ${e.setup ? `<p><strong>Here.</strong> ${esc(e.setup)}</p>` : ''}
      <p><strong>Rule.</strong> ${esc(e.rule)}</p>
      <p><strong>Result.</strong> ${esc(e.explanation)}</p>
      ${e.tables.map((t) => `<div class="table-wrap"><table class="data"><caption>${esc(t.title)}</caption><thead><tr>${t.columns.map((c) => `<th scope="col">${esc(String(c))}</th>`).join('')}</tr></thead><tbody>${t.rows.map((row) => `<tr>${row.map((v) => `<td>${esc(typeof v === 'number' ? String(Number(v.toPrecision(4))) : String(v ?? ''))}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`).join('')}
      <div class="charts-grid" data-charts="${esc(e.name)}"></div>
      <p class="help">${e.runs.length} runs${e.wallMs ? `, ${(e.wallMs / 1000).toFixed(1)} s` : ''}.</p>
    </details>`).join('')}`;
    // charts are drawn when an experiment is opened (the first one now)
    const drawCharts = (d: HTMLDetailsElement) => {
      const e = r.experiments.find((x) => x.name === d.dataset.experiment);
      const box = d.querySelector<HTMLElement>('[data-charts]');
      if (!e || !box || box.dataset.drawn) return;
      box.dataset.drawn = '1';
      const charts = seriesCharts(e);
      box.innerHTML = charts.length ? charts.map((c) => {
        const items = c.lines.map((l, k) => ({ name: l.label, color: PALETTE[k % PALETTE.length]! }));
        const pos = c.lines.every((l) => l.points.every(([, y]) => !Number.isFinite(y) || y > 0));
        const spread = pos ? Math.max(...c.lines.flatMap((l) => l.points.map(([, y]) => y).filter(Number.isFinite))) / Math.max(1e-300, Math.min(...c.lines.flatMap((l) => l.points.map(([, y]) => y).filter(Number.isFinite)))) : 1;
        return `<figure class="panel">${lineChart({
          title: `${e.name}: ${c.series}`, xLabel: 'step / epoch / index', yLabel: c.series, logY: pos && spread > 50,
          description: `${c.series} per configuration, mean over seeds: ${c.lines.map((l) => l.label).join(', ')}.`,
          series: c.lines.map((l, k) => ({ name: l.label, color: PALETTE[k % PALETTE.length]!, points: l.points })),
        })}${legend(items)}</figure>`;
      }).join('') : '<p class="help">No series recorded for this experiment (its numbers are in the tables above).</p>';
    };
    body.querySelectorAll<HTMLAnchorElement>('#verdicts a').forEach((a) => a.addEventListener('click', () => {
      const d = body.querySelector<HTMLDetailsElement>(`details[data-experiment="${a.closest('tr')!.dataset.experiment}"]`);
      if (d) d.open = true;
    }));
    body.querySelectorAll<HTMLDetailsElement>('details.experiment').forEach((d) => {
      d.addEventListener('toggle', () => { if (d.open) drawCharts(d); });
      if (d.open) drawCharts(d);
    });
    root.dataset.loaded = 'ok';
  }

  return { load, current: () => current };
}
