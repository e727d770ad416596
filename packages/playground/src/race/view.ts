/**
 * The race view: the settings form, start/pause/step/reset, the scoreboard
 * table (the numbers the browser test reads) and the charts (loss, test
 * accuracy, per-layer gradient norms, pre-activation histograms over time).
 * Redraws at most every 120 ms while racers report.
 */
import {
  BATCH_SIZES, DEFAULT_CONFIG, LEARNING_RATES, MODEL_LABELS, NORM_LABELS, NORMS, STEP_COUNTS, TASK_LABELS, TASKS,
  depthRange, modelsFor, normalizeConfig, normsFor, type NormName, type RaceConfig,
} from './config.js';
import { Race, type RacerView } from './runner.js';
import { legend, lineChart, PALETTE, esc } from '../charts/svg.js';
import { drawHistogramHeatmap } from '../charts/heatmap.js';

export interface RaceViewHost {
  config: RaceConfig;
  useWorkers: boolean;
  /** Called when the settings change (to update the URL). */
  onConfig(cfg: RaceConfig): void;
  /** Loads digits.bin (cached). */
  loadDigits(): Promise<ArrayBuffer>;
}

const colorOf = (norm: NormName): string => PALETTE[NORMS.indexOf(norm) % PALETTE.length]!;

/** Loss with enough digits to compare with Node (6 significant). */
export const fmtLoss = (v: number | undefined): string => (v === undefined ? '–' : Number.isFinite(v) ? v.toPrecision(6) : String(v));
const pct = (v: number | undefined): string => (v === undefined ? '–' : `${(100 * v).toFixed(1)}%`);

/** Mean of the last `k` values (a smoothed curve point). */
function smooth(xs: number[], k: number): [number, number][] {
  const out: [number, number][] = [];
  const stride = Math.max(1, Math.floor(xs.length / 400));
  let s = 0;
  for (let i = 0; i < xs.length; i++) {
    s += xs[i]!;
    if (i >= k) s -= xs[i - k]!;
    if (i % stride === 0 || i === xs.length - 1) out.push([i + 1, s / Math.min(i + 1, k)]);
  }
  return out;
}

export function mountRace(root: HTMLElement, host: RaceViewHost): { race(): Race | null } {
  let cfg = host.config;
  let race: Race | null = null;
  let drawPending = false;
  let lastDraw = 0;

  root.innerHTML = `
  <div class="race-layout">
    <form class="panel settings" id="race-form" aria-labelledby="race-settings-h">
      <h2 id="race-settings-h">Race settings</h2>
      <div class="field"><label for="f-task">Task</label><select id="f-task" name="task">${TASKS.map((t) => `<option value="${t}">${TASK_LABELS[t]}</option>`).join('')}</select></div>
      <div class="field"><label for="f-model">Model</label><select id="f-model" name="model"></select></div>
      <div class="field"><label for="f-depth">Depth <output id="f-depth-out" for="f-depth"></output></label><input id="f-depth" name="depth" type="range" min="2" max="20" step="1" aria-describedby="f-depth-help"><small id="f-depth-help" class="help"></small></div>
      <div class="field" id="f-place-field"><label for="f-place">Norm placement</label><select id="f-place" name="placement"><option value="pre">Pre-LN: x + f(norm(x))</option><option value="post">Post-LN: norm(x + f(x))</option></select></div>
      <div class="field"><label for="f-lr">Learning rate</label><select id="f-lr" name="lr">${LEARNING_RATES.map((v) => `<option value="${v}">${v}</option>`).join('')}</select></div>
      <div class="field"><label for="f-batch">Batch size</label><select id="f-batch" name="batch">${BATCH_SIZES.map((v) => `<option value="${v}">${v}</option>`).join('')}</select></div>
      <div class="field"><label for="f-steps">Steps</label><select id="f-steps" name="steps">${STEP_COUNTS.map((v) => `<option value="${v}">${v}</option>`).join('')}</select></div>
      <div class="field"><label for="f-opt">Optimizer</label><select id="f-opt" name="optimizer"><option value="adam">Adam</option><option value="sgd">SGD, momentum 0.9</option></select></div>
      <div class="field check"><input id="f-warmup" name="warmup" type="checkbox"><label for="f-warmup">Warm-up (linear, first 10% of steps)</label></div>
      <div class="field"><label for="f-seed">Seed</label><input id="f-seed" name="seed" type="number" min="0" max="2147483647" step="1" inputmode="numeric"></div>
      <fieldset class="norms"><legend>Normalizations</legend>
        ${NORMS.map((n) => `<div class="check"><input type="checkbox" id="f-norm-${n}" name="norm" value="${n}"><label for="f-norm-${n}"><span class="sw" style="--c:${colorOf(n)}"></span>${NORM_LABELS[n]}</label></div>`).join('')}
        <small class="help" id="f-norms-help"></small>
      </fieldset>
    </form>
    <div class="panel controls" role="group" aria-label="Race controls">
        <button type="button" id="b-run" class="primary">Start</button>
        <button type="button" id="b-step" title="Train one step (each racer)">Step</button>
        <button type="button" id="b-reset" title="New weights from the seed, step 0">Reset</button>
        <p id="race-status" class="status" role="status" aria-live="polite"></p>
    </div>
    <div class="race-main">
      <div class="panel">
        <table class="scoreboard" id="scoreboard">
          <caption>Scoreboard: loss of the latest step, smoothed loss (last 20 steps), accuracy of the latest batch and of the fixed test set</caption>
          <thead><tr><th scope="col">Normalization</th><th scope="col">Step</th><th scope="col">Loss</th><th scope="col">Loss (avg 20)</th><th scope="col">Batch acc.</th><th scope="col">Test acc.</th><th scope="col">ms / step</th><th scope="col">State</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>
      <div class="charts-grid">
        <figure class="panel" id="ch-loss"></figure>
        <figure class="panel" id="ch-acc"></figure>
        <figure class="panel" id="ch-grad"></figure>
        <figure class="panel hist-panel"><figcaption id="hist-cap">Pre-activations over time</figcaption><div id="hists" class="hists"></div></figure>
      </div>
    </div>
  </div>`;

  const $ = <T extends HTMLElement>(id: string) => root.querySelector<T>(`#${id}`)!;
  const form = $<HTMLFormElement>('race-form');
  const f = {
    task: $<HTMLSelectElement>('f-task'), model: $<HTMLSelectElement>('f-model'), depth: $<HTMLInputElement>('f-depth'),
    depthOut: $<HTMLOutputElement>('f-depth-out'), depthHelp: $('f-depth-help'), placeField: $('f-place-field'), place: $<HTMLSelectElement>('f-place'),
    lr: $<HTMLSelectElement>('f-lr'), batch: $<HTMLSelectElement>('f-batch'), steps: $<HTMLSelectElement>('f-steps'), opt: $<HTMLSelectElement>('f-opt'),
    warmup: $<HTMLInputElement>('f-warmup'), seed: $<HTMLInputElement>('f-seed'), normsHelp: $('f-norms-help'),
  };
  const normBox = (n: NormName) => $<HTMLInputElement>(`f-norm-${n}`);
  const bRun = $<HTMLButtonElement>('b-run'), bStep = $<HTMLButtonElement>('b-step'), bReset = $<HTMLButtonElement>('b-reset');
  const status = $('race-status');
  const tbody = root.querySelector('#scoreboard tbody')!;

  /** Put `cfg` into the form (options that do not apply are disabled, with the reason). */
  function fillForm(): void {
    f.task.value = cfg.task;
    f.model.innerHTML = modelsFor(cfg.task).map((m) => `<option value="${m}">${MODEL_LABELS[m]}</option>`).join('');
    f.model.value = cfg.model;
    const [lo, hi] = depthRange(cfg.model);
    f.depth.min = String(lo);
    f.depth.max = String(hi);
    f.depth.value = String(cfg.depth);
    f.depth.disabled = lo === hi;
    f.depthOut.textContent = String(cfg.depth);
    f.depthHelp.textContent = cfg.model === 'mlp' ? `hidden layers, ${lo}-${hi}` : cfg.model === 'transformer' ? `blocks, ${lo}-${hi}` : 'two conv layers (fixed)';
    f.placeField.hidden = cfg.model !== 'transformer';
    f.place.value = cfg.placement;
    if (![...f.lr.options].some((o) => Number(o.value) === cfg.lr)) f.lr.add(new Option(String(cfg.lr), String(cfg.lr)));
    f.lr.value = [...f.lr.options].find((o) => Number(o.value) === cfg.lr)!.value;
    if (![...f.batch.options].some((o) => Number(o.value) === cfg.batch)) f.batch.add(new Option(String(cfg.batch), String(cfg.batch)));
    f.batch.value = String(cfg.batch);
    if (![...f.steps.options].some((o) => Number(o.value) === cfg.steps)) f.steps.add(new Option(String(cfg.steps), String(cfg.steps)));
    f.steps.value = String(cfg.steps);
    f.opt.value = cfg.optimizer;
    f.warmup.checked = cfg.warmup;
    f.seed.value = String(cfg.seed);
    const ok = normsFor(cfg.model);
    for (const n of NORMS) {
      const box = normBox(n);
      box.checked = cfg.norms.includes(n);
      box.disabled = !ok.includes(n);
      box.parentElement!.classList.toggle('disabled', box.disabled);
      box.title = box.disabled ? `not available for the ${MODEL_LABELS[cfg.model]}` : '';
    }
    const missing = NORMS.filter((n) => !ok.includes(n));
    f.normsHelp.textContent = missing.length ? `Not available for the ${MODEL_LABELS[cfg.model]}: ${missing.map((n) => NORM_LABELS[n]).join(', ')}.` : '';
  }

  /** Read the form into a (normalized) config; a new config resets the race. */
  function readForm(changed: string): void {
    const task = f.task.value as RaceConfig['task'];
    let model = f.model.value as RaceConfig['model'];
    if (changed === 'task') model = modelsFor(task)[0]!;
    const next: Partial<RaceConfig> = {
      task, model, depth: Number(f.depth.value), placement: f.place.value as RaceConfig['placement'], lr: Number(f.lr.value),
      batch: Number(f.batch.value), steps: Number(f.steps.value), optimizer: f.opt.value as RaceConfig['optimizer'],
      warmup: f.warmup.checked, seed: Math.max(0, Math.floor(Number(f.seed.value) || 0)), backend: cfg.backend,
      norms: NORMS.filter((n) => normBox(n).checked),
    };
    if (changed === 'task' || changed === 'model') {
      // keep the racing norms the new model supports; a new model starts at its default depth
      if (changed === 'task' || model !== cfg.model) next.depth = model === 'transformer' ? 2 : model === 'mlp' ? DEFAULT_CONFIG.depth : 2;
      const keep = (next.norms ?? []).filter((n) => normsFor(model).includes(n));
      next.norms = keep.length ? keep : model === 'transformer' ? ['none', 'layernorm'] : ['none', 'batchnorm'];
      if (task === 'copy') { next.lr = 3e-3; next.batch = 32; }
    }
    if (next.norms!.length === 0) next.norms = [cfg.norms[0] ?? 'none'];
    cfg = normalizeConfig(next).config;
    fillForm();
    host.onConfig(cfg);
    reset();
  }

  form.addEventListener('change', (e) => readForm((e.target as HTMLInputElement).name));
  form.addEventListener('submit', (e) => e.preventDefault());
  f.depth.addEventListener('input', () => { f.depthOut.textContent = f.depth.value; });

  function reset(): void {
    race?.dispose();
    race = null;
    scheduleDraw(true);
  }

  async function ensureRace(): Promise<Race> {
    if (race) return race;
    status.textContent = cfg.task === 'digits' ? 'Loading the digits…' : 'Starting…';
    let digits: ArrayBuffer | null = null;
    if (cfg.task === 'digits') digits = await host.loadDigits();
    race = new Race({ cfg, digits, useWorkers: host.useWorkers, onUpdate: () => scheduleDraw() });
    return race;
  }

  bRun.addEventListener('click', () => void (async () => {
    const r = await ensureRace();
    if (r.running) r.pause();
    else r.run();
    scheduleDraw(true);
  })());
  bStep.addEventListener('click', () => void (async () => {
    const r = await ensureRace();
    r.step(1);
  })());
  bReset.addEventListener('click', reset);

  function scheduleDraw(now = false): void {
    if (drawPending) return;
    drawPending = true;
    const wait = now ? 0 : Math.max(0, 120 - (performance.now() - lastDraw));
    setTimeout(() => requestAnimationFrame(() => { drawPending = false; lastDraw = performance.now(); draw(); }), wait);
  }

  function draw(): void {
    const racers: RacerView[] = race?.racers ?? cfg.norms.map((norm) => ({ norm, info: null, state: 'ready', error: null, losses: [], batchAcc: [], snapshots: [], trainMs: 0, threads: 1, backend: '' }));
    const running = race?.running ?? false;
    bRun.textContent = running ? 'Pause' : race && race.racers.some((r) => r.losses.length) ? (race.finished ? 'Finished' : 'Resume') : 'Start';
    bRun.disabled = !!race?.finished;
    bRun.setAttribute('aria-pressed', String(running));
    bStep.disabled = running || !!race?.finished;
    // status line
    const steps = racers.map((r) => r.losses.length);
    const mode = race ? `${race.mode === 'workers' ? `${racers.length} Web Worker${racers.length > 1 ? 's' : ''}` : 'the page\'s thread (no workers)'}, ${racers[0]?.threads ?? 1} kernel thread${(racers[0]?.threads ?? 1) > 1 ? 's' : ''} each, ${racers[0]?.backend || cfg.backend} kernels` : '';
    const errors = racers.filter((r) => r.error).map((r) => `${NORM_LABELS[r.norm]}: ${r.error}`);
    status.textContent = errors.length ? `Error: ${errors.join('; ')}` : race
      ? `${running ? 'Training' : race.finished ? 'Finished' : 'Paused'}: step ${Math.min(...steps) === Math.max(...steps) ? Math.min(...steps) : `${Math.min(...steps)}–${Math.max(...steps)}`} of ${cfg.steps} on ${mode}.`
      : `Ready: ${racers.length} normalization${racers.length > 1 ? 's' : ''}, ${cfg.steps} steps, seed ${cfg.seed}. Press Start.`;
    root.dataset.state = race ? (race.finished ? 'finished' : running ? 'running' : 'paused') : 'idle';
    // scoreboard
    tbody.innerHTML = racers.map((r) => {
      const n = r.losses.length;
      const last = r.losses[n - 1];
      const avg = n ? r.losses.slice(-20).reduce((a, b) => a + b, 0) / Math.min(20, n) : undefined;
      const snap = r.snapshots[r.snapshots.length - 1];
      const ms = n ? (r.trainMs / n).toFixed(2) : '–';
      return `<tr data-norm="${r.norm}" data-steps="${n}" data-state="${r.state}">
        <th scope="row"><span class="sw" style="--c:${colorOf(r.norm)}"></span>${NORM_LABELS[r.norm]}</th>
        <td class="num step">${n}</td><td class="num loss">${fmtLoss(last)}</td><td class="num">${fmtLoss(avg)}</td>
        <td class="num">${pct(r.batchAcc[n - 1])}</td><td class="num test-acc">${pct(snap?.testAcc)}</td><td class="num">${ms}</td>
        <td class="state">${r.state}${r.state === 'diverged' ? ` at ${n}` : ''}</td></tr>`;
    }).join('');
    // charts
    const items = racers.map((r) => ({ name: NORM_LABELS[r.norm], color: colorOf(r.norm) }));
    const latest = (r: RacerView) => r.losses[r.losses.length - 1];
    $('ch-loss').innerHTML = lineChart({
      title: 'Training loss (mean of the last 10 steps)', xLabel: 'step', yLabel: 'cross-entropy', logY: true,
      description: `Loss per step for ${racers.map((r) => `${NORM_LABELS[r.norm]} (${fmtLoss(latest(r))} at step ${r.losses.length})`).join(', ')}.`,
      series: racers.map((r) => ({ name: r.norm, color: colorOf(r.norm), points: smooth(r.losses, 10) })),
    }) + legend(items);
    $('ch-acc').innerHTML = lineChart({
      title: 'Test accuracy', xLabel: 'step', yLabel: 'accuracy', yDomain: [0, 1],
      description: `Accuracy on the fixed test set: ${racers.map((r) => `${NORM_LABELS[r.norm]} ${pct(r.snapshots[r.snapshots.length - 1]?.testAcc)}`).join(', ')}.`,
      series: racers.map((r) => ({ name: r.norm, color: colorOf(r.norm), points: r.snapshots.map((s) => [s.step, s.testAcc] as [number, number]) })),
    }) + legend(items);
    const layers = racers.find((r) => r.info)?.info?.layers ?? [];
    $('ch-grad').innerHTML = lineChart({
      title: 'Gradient norm per layer (latest snapshot)', xLabel: `layer (1 = ${layers[0] ?? 'input side'}, ${layers.length} = ${layers[layers.length - 1] ?? 'head'})`, yLabel: '‖∇W‖', logY: true, integerX: true,
      description: `Per-layer gradient norms: ${racers.map((r) => { const s = r.snapshots[r.snapshots.length - 1]; return `${NORM_LABELS[r.norm]} ${s ? s.gradNorms.map((g) => g.toExponential(1)).join(', ') : 'none yet'}`; }).join('; ')}.`,
      series: racers.map((r) => ({ name: r.norm, color: colorOf(r.norm), points: (r.snapshots[r.snapshots.length - 1]?.gradNorms ?? []).map((g, i) => [i + 1, g] as [number, number]) })),
    }) + legend(items);
    // histograms
    const watched = racers.find((r) => r.info)?.info?.watched ?? 'the last hidden layer';
    $('hist-cap').innerHTML = `Distribution of ${esc(watched)} over training: darker = more values; lines = 15th, 50th, 85th percentiles (Ioffe &amp; Szegedy 2015, Figure 1). Range ±4.`;
    const hists = $('hists');
    if (hists.children.length !== racers.length || [...hists.children].some((c, i) => (c as HTMLElement).dataset.norm !== racers[i]!.norm)) {
      hists.innerHTML = racers.map((r) => `<div class="hist" data-norm="${r.norm}"><div class="hist-title"><span class="sw" style="--c:${colorOf(r.norm)}"></span>${NORM_LABELS[r.norm]}</div><canvas role="img" aria-label="Histogram over time of ${esc(watched)} with ${NORM_LABELS[r.norm]}"></canvas><p class="hist-stats"></p></div>`).join('');
    }
    racers.forEach((r, i) => {
      const box = hists.children[i] as HTMLElement;
      drawHistogramHeatmap(box.querySelector('canvas')!, r.snapshots.map((s) => ({ step: s.step, hist: s.hist })), colorOf(r.norm));
      const s = r.snapshots[r.snapshots.length - 1];
      box.querySelector('.hist-stats')!.textContent = s ? `step ${s.step}: mean ${s.hist.mean.toFixed(2)}, std ${s.hist.std.toFixed(2)}, percentiles ${s.hist.p15.toFixed(2)} / ${s.hist.p50.toFixed(2)} / ${s.hist.p85.toFixed(2)}` : 'no snapshot yet';
    });
  }

  fillForm();
  draw();
  return { race: () => race };
}
