/**
 * The cube view: pick a normalization (and GroupNorm's groups), pick a cell;
 * the cells that share its mean and variance light up, on the cube of the
 * Group Norm paper's Figure 2 and on an exploded grid showing every cell,
 * with the formula and the statistics of a real seeded batch beside them.
 */
import * as nk from 'normkit';
import {
  CUBE, CUBE_GROUPS, CUBE_LABELS, CUBE_NORMS, CUBE_S, cellIndex, cellStats, cubeBatch, describeSet, sharedCells,
  type CubeNorm, type CubeState,
} from './cube.js';
import { esc } from '../charts/svg.js';

export interface CubeViewHost {
  state: CubeState;
  onState(s: CubeState): void;
}

/** The formula of each norm (HTML) and what it normalizes over. */
const FORMULAS: Record<CubeNorm, { formula: string; paper: string }> = {
  batchnorm: { formula: 'y = (x − μ<sub>c</sub>) / √(σ²<sub>c</sub> + ε), &nbsp; μ<sub>c</sub>, σ²<sub>c</sub> over (N, H, W)', paper: 'Ioffe &amp; Szegedy 2015' },
  layernorm: { formula: 'y = (x − μ<sub>n</sub>) / √(σ²<sub>n</sub> + ε), &nbsp; μ<sub>n</sub>, σ²<sub>n</sub> over (C, H, W)', paper: 'Ba, Kiros &amp; Hinton 2016' },
  instancenorm: { formula: 'y = (x − μ<sub>n,c</sub>) / √(σ²<sub>n,c</sub> + ε), &nbsp; over (H, W)', paper: 'Ulyanov, Vedaldi &amp; Lempitsky 2016' },
  groupnorm: { formula: 'y = (x − μ<sub>n,g</sub>) / √(σ²<sub>n,g</sub> + ε), &nbsp; over (C/G channels of group g, H, W)', paper: 'Wu &amp; He 2018' },
  rmsnorm: { formula: 'y = x / √(mean<sub>C,H,W</sub>(x²) + ε), &nbsp; no mean subtracted', paper: 'Zhang &amp; Sennrich 2019' },
};

const LIT = '#1d4ed8', LIT_TOP = '#3b6fe0', LIT_SIDE = '#1e40af', OFF = '#e5e7eb', OFF_TOP = '#f3f4f6', OFF_SIDE = '#d1d5db';

export function mountCube(root: HTMLElement, host: CubeViewHost): { result(): { cells: number[]; state: CubeState } } {
  let state = host.state;
  const x = cubeBatch(1);
  let lit = new Set<number>();
  let last: { cells: number[]; y: Float32Array } = { cells: [], y: new Float32Array(0) };

  root.innerHTML = `
  <div class="cube-layout">
    <div class="panel cube-controls">
      <h2>The cube: which cells share one mean and variance?</h2>
      <p class="lead">A batch of feature maps <code>[N, C, H, W]</code> = [${CUBE.N}, ${CUBE.C}, ${CUBE.H}, ${CUBE.W}], drawn as in Wu &amp; He's Figure 2. Pick a normalization and a cell: the highlighted cells are normalized with the same statistics. The highlight is computed by the library (the outputs that change when the selected input changes).</p>
      <fieldset class="radios" id="cube-norms"><legend>Normalization</legend>
        ${CUBE_NORMS.map((n) => `<div class="check"><input type="radio" name="cnorm" id="c-${n}" value="${n}"><label for="c-${n}">${CUBE_LABELS[n]}</label></div>`).join('')}
      </fieldset>
      <div class="field" id="c-groups-field"><label for="c-groups">Groups G <output id="c-groups-out" for="c-groups"></output></label>
        <input type="range" id="c-groups" min="0" max="${CUBE_GROUPS.length - 1}" step="1" aria-describedby="c-groups-help"><small class="help" id="c-groups-help">G = 1 is LayerNorm over (C, H, W); G = C is InstanceNorm.</small></div>
    </div>
    <div class="panel cube-figure">
      <div id="cube-svg"></div>
      <p class="help">Axes: C to the right, H, W down, N into the page. Only the outside of the cube is visible; the grid below shows every cell.</p>
    </div>
    <div class="panel cube-stats" id="cube-stats" aria-live="polite"></div>
    <div class="panel cube-grid-panel">
      <h3 id="cube-grid-h">Every cell: one panel per sample n (columns: channels c, rows: positions h, w)</h3>
      <div class="cube-grid" id="cube-grid" tabindex="0" role="application" aria-labelledby="cube-grid-h" aria-describedby="cube-grid-keys"></div>
      <p class="help" id="cube-grid-keys">Click a cell, or focus the grid and use the arrow keys (channel, position) and Page Up / Page Down (sample).</p>
    </div>
  </div>`;

  const $ = <T extends HTMLElement>(id: string) => root.querySelector<T>(`#${id}`)!;
  const groups = $<HTMLInputElement>('c-groups');
  const grid = $('cube-grid');

  root.querySelector('#cube-norms')!.addEventListener('change', (e) => { set({ norm: (e.target as HTMLInputElement).value as CubeNorm }); });
  groups.addEventListener('input', () => set({ groups: CUBE_GROUPS[Number(groups.value)]! }));
  grid.addEventListener('click', (e) => {
    const el = (e.target as Element).closest('[data-cell]') as SVGElement | null;
    if (!el) return;
    set({ cell: [Number(el.dataset.n), Number(el.dataset.c), Number(el.dataset.s)] });
  });
  grid.addEventListener('keydown', (e) => {
    const [n, c, s] = state.cell;
    const moves: Record<string, [number, number, number]> = {
      ArrowLeft: [n, c - 1, s], ArrowRight: [n, c + 1, s], ArrowUp: [n, c, s - 1], ArrowDown: [n, c, s + 1], PageUp: [n - 1, c, s], PageDown: [n + 1, c, s],
    };
    const to = moves[e.key];
    if (!to) return;
    e.preventDefault();
    const cl = (v: number, k: number) => Math.min(k - 1, Math.max(0, v));
    set({ cell: [cl(to[0], CUBE.N), cl(to[1], CUBE.C), cl(to[2], CUBE_S)] });
  });

  function set(p: Partial<CubeState>): void {
    state = { ...state, ...p };
    host.onState(state);
    render();
  }

  function cubeSvg(): string {
    const u = 26, dx = 15, dy = -12;
    const { N, C } = CUBE;
    const x0 = 8, y0 = 8 - dy * N;
    const W = x0 + C * u + N * dx + 10, H = y0 + CUBE_S * u + 8;
    const out: string[] = [`<svg viewBox="0 0 ${W} ${H}" class="cube" role="img" aria-label="The cube N x C x (H, W) with ${lit.size} highlighted cells: ${esc(describeSet(state.norm, state.groups, state.cell))}">`];
    const poly = (pts: [number, number][], fill: string, i: number, sel: boolean) =>
      `<polygon data-face-cell="${i}" data-lit="${lit.has(i) ? 1 : 0}" points="${pts.map((p) => p.map((v) => v.toFixed(1)).join(',')).join(' ')}" fill="${fill}" stroke="${sel ? '#111827' : '#ffffff'}" stroke-width="${sel ? 2.5 : 1}"/>`;
    const sel = cellIndex(...state.cell);
    // top face (s = 0), back to front
    for (let n = N - 1; n >= 0; n--) for (let c = 0; c < C; c++) {
      const i = cellIndex(n, c, 0);
      const bx = x0 + c * u + n * dx, by = y0 + n * dy;
      out.push(poly([[bx, by], [bx + u, by], [bx + u + dx, by + dy], [bx + dx, by + dy]], lit.has(i) ? LIT_TOP : OFF_TOP, i, i === sel));
    }
    // right face (c = C - 1)
    for (let n = N - 1; n >= 0; n--) for (let s = 0; s < CUBE_S; s++) {
      const i = cellIndex(n, C - 1, s);
      const bx = x0 + C * u + n * dx, by = y0 + s * u + n * dy;
      out.push(poly([[bx, by], [bx + dx, by + dy], [bx + dx, by + dy + u], [bx, by + u]], lit.has(i) ? LIT_SIDE : OFF_SIDE, i, i === sel));
    }
    // front face (n = 0)
    for (let c = 0; c < C; c++) for (let s = 0; s < CUBE_S; s++) {
      const i = cellIndex(0, c, s);
      const bx = x0 + c * u, by = y0 + s * u;
      out.push(poly([[bx, by], [bx + u, by], [bx + u, by + u], [bx, by + u]], lit.has(i) ? LIT : OFF, i, i === sel));
    }
    out.push(`<text x="${x0 + (C * u) / 2}" y="${H - 0}" text-anchor="middle" class="axis-label">C →</text>`);
    out.push(`<text x="${x0 + C * u + N * dx + 2}" y="${y0 + N * dy + 4}" class="axis-label">N ↗</text>`);
    out.push('</svg>');
    return out.join('');
  }

  /** One SVG per sample n (they wrap on narrow screens); every cell a rect with its indices. */
  function gridSvg(): string {
    const u = 20;
    const W = CUBE.C * u, H = CUBE_S * u + 18;
    const sel = cellIndex(...state.cell);
    const out: string[] = [];
    for (let n = 0; n < CUBE.N; n++) {
      out.push(`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="Sample ${n + 1}: ${CUBE.C} channels x ${CUBE_S} positions, ${[...lit].filter((i) => Math.floor(i / (CUBE.C * CUBE_S)) === n).length} highlighted">`);
      out.push(`<text x="0" y="12" class="axis-label">n = ${n + 1}</text>`);
      for (let c = 0; c < CUBE.C; c++) for (let s = 0; s < CUBE_S; s++) {
        const i = cellIndex(n, c, s);
        const on = lit.has(i);
        out.push(`<rect data-cell="${i}" data-n="${n}" data-c="${c}" data-s="${s}" data-lit="${on ? 1 : 0}"${i === sel ? ' data-selected="1"' : ''} x="${c * u + 1}" y="${18 + s * u + 1}" width="${u - 2}" height="${u - 2}" rx="2" fill="${on ? LIT : OFF}" stroke="${i === sel ? '#111827' : 'none'}" stroke-width="2.5"><title>n=${n + 1}, c=${c + 1}, h=${Math.floor(s / CUBE.W) + 1}, w=${(s % CUBE.W) + 1}: x = ${x.data[i]!.toFixed(3)}, y = ${(last.y[i] ?? NaN).toFixed(3)}</title></rect>`);
      }
      out.push('</svg>');
    }
    return out.join('');
  }

  function render(): void {
    (root.querySelector(`#c-${state.norm}`) as HTMLInputElement).checked = true;
    groups.value = String(CUBE_GROUPS.indexOf(state.groups as (typeof CUBE_GROUPS)[number]));
    $('c-groups-out').textContent = String(state.groups);
    $('c-groups-field').hidden = state.norm !== 'groupnorm';
    last = sharedCells(x, state.norm, state.groups, state.cell);
    lit = new Set(last.cells);
    $('cube-svg').innerHTML = cubeSvg();
    grid.innerHTML = gridSvg();
    const st = cellStats(x.data, last.cells);
    const after = cellStats(last.y, last.cells);
    const sel = cellIndex(...state.cell);
    const [n, c, s] = state.cell;
    const f = FORMULAS[state.norm];
    const rms = state.norm === 'rmsnorm';
    $('cube-stats').innerHTML = `
      <h3>${CUBE_LABELS[state.norm]}${state.norm === 'groupnorm' ? `, G = ${state.groups}` : ''} <small>(${f.paper})</small></h3>
      <p class="formula">${f.formula}</p>
      <p>Selected cell: n = ${n + 1}, c = ${c + 1}, h = ${Math.floor(s / CUBE.W) + 1}, w = ${(s % CUBE.W) + 1}. It shares its statistics with <strong id="cube-count">${last.cells.length}</strong> cells: ${esc(describeSet(state.norm, state.groups, state.cell))}.</p>
      <dl class="stats">
        ${rms ? `<dt>RMS of x over the set</dt><dd>${st.rms.toFixed(4)}</dd><dt>mean of x (not subtracted)</dt><dd>${st.mean.toFixed(4)}</dd>` : `<dt>μ (mean of x over the set)</dt><dd>${st.mean.toFixed(4)}</dd><dt>σ² (variance, biased)</dt><dd>${st.variance.toFixed(4)}</dd>`}
        <dt>x at the cell → y</dt><dd>${x.data[sel]!.toFixed(4)} → ${last.y[sel]!.toFixed(4)}</dd>
        ${rms ? `<dt>RMS of y over the set</dt><dd>${after.rms.toFixed(4)}</dd>` : `<dt>mean, variance of y over the set</dt><dd>${after.mean.toFixed(4)}, ${after.variance.toFixed(4)}</dd>`}
      </dl>
      <p class="help">Batch: seeded <code>nk.randn([${CUBE.N}, ${CUBE.C}, ${CUBE.H}, ${CUBE.W}])</code> with a shift per sample and a scale per channel; y from <code>${state.norm === 'batchnorm' ? `nk.BatchNorm2d(${CUBE.C})` : state.norm === 'layernorm' ? `nk.LayerNorm([${CUBE.C}, ${CUBE.H}, ${CUBE.W}])` : state.norm === 'instancenorm' ? `nk.InstanceNorm2d(${CUBE.C})` : state.norm === 'groupnorm' ? `nk.GroupNorm(${state.groups}, ${CUBE.C})` : `nk.RMSNorm([${CUBE.C}, ${CUBE.H}, ${CUBE.W}])`}</code> (${nk.getBackend()} kernels).</p>`;
    root.dataset.litCount = String(last.cells.length);
  }

  render();
  return { result: () => ({ cells: [...last.cells], state }) };
}
