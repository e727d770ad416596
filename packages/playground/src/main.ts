/**
 * The playground's entry point: three views behind accessible tabs (Race,
 * The cube, Results), the state kept in the URL (./url-state.ts), and a
 * small hook on `window.__playground` that the browser test reads.
 */
import './style.css';
import * as nk from 'normkit';
import { parseState, serializeState, type AppState, type View, VIEWS } from './url-state.js';
import { mountRace } from './race/view.js';
import { mountCube } from './cube/view.js';
import { mountResults } from './results/view.js';

const state: AppState = parseState(location.search);

function syncUrl(): void {
  const q = serializeState(state);
  if (q !== location.search) history.replaceState(null, '', `${location.pathname}${q}${location.hash}`);
}

// tabs (WAI-ARIA tabs pattern: arrow keys move between tabs, Tab enters the panel)
const tabs = VIEWS.map((v) => document.getElementById(`tab-${v}`) as HTMLButtonElement);
const mounted = new Set<View>();
let cube: ReturnType<typeof mountCube> | null = null;
let results: ReturnType<typeof mountResults> | null = null;

function show(view: View, focus = false): void {
  state.view = view;
  VIEWS.forEach((v, i) => {
    const on = v === view;
    tabs[i]!.setAttribute('aria-selected', String(on));
    tabs[i]!.tabIndex = on ? 0 : -1;
    document.getElementById(`view-${v}`)!.hidden = !on;
  });
  if (focus) tabs[VIEWS.indexOf(view)]!.focus();
  if (!mounted.has(view)) {
    mounted.add(view);
    if (view === 'cube') cube = mountCube(document.getElementById('view-cube')!, { state: state.cube, onState: (s) => { state.cube = s; syncUrl(); } });
    if (view === 'results') {
      results = mountResults(document.getElementById('view-results')!);
      const src = new URLSearchParams(location.search).get('results');
      if (src) void fetch(src).then((r) => r.text()).then((t) => results!.load(t, src)).catch(() => undefined);
    }
  }
  syncUrl();
}

tabs.forEach((t, i) => {
  t.addEventListener('click', () => show(VIEWS[i]!));
  t.addEventListener('keydown', (e) => {
    const k = e.key;
    const next = k === 'ArrowRight' ? i + 1 : k === 'ArrowLeft' ? i - 1 : k === 'Home' ? 0 : k === 'End' ? VIEWS.length - 1 : null;
    if (next === null) return;
    e.preventDefault();
    show(VIEWS[(next + VIEWS.length) % VIEWS.length]!, true);
  });
});

let digits: Promise<ArrayBuffer> | null = null;
const race = mountRace(document.getElementById('view-race')!, {
  config: state.race,
  useWorkers: state.useWorkers,
  onConfig: (cfg) => { state.race = cfg; syncUrl(); },
  loadDigits: () => (digits ??= fetch(new URL('digits.bin', document.baseURI)).then((r) => {
    if (!r.ok) throw new Error(`digits.bin: HTTP ${r.status}`);
    return r.arrayBuffer();
  })),
});
mounted.add('race');
show(state.view);

const env = document.getElementById('env')!;
env.textContent = `${globalThis.crossOriginIsolated ? 'Cross-origin isolated: shared memory, kernel threads available.' : 'Not cross-origin isolated: one kernel thread per worker.'} ${navigator.hardwareConcurrency ?? '?'} logical cores.`;
if (state.fixed.length) env.textContent += ` Link fixed: ${state.fixed.join('; ')}.`;

/** For tests and the curious: the live state. */
(globalThis as unknown as { __playground: unknown }).__playground = {
  ready: true,
  loadedMs: performance.now(),
  nk,
  state: () => state,
  race: () => {
    const r = race.race();
    return r ? r.racers.map((x) => ({ norm: x.norm, state: x.state, losses: x.losses, testAcc: x.snapshots.map((s) => s.testAcc), trainMs: x.trainMs, threads: x.threads, backend: x.backend, error: x.error, info: x.info })) : null;
  },
  raceMode: () => race.race()?.mode ?? null,
  cube: () => cube?.result() ?? null,
  results: () => results?.current() ?? null,
};
