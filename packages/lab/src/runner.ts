/**
 * The lab runner (Node only): expands each selected experiment into its runs
 * (`experiment.runs(profile, seeds)`), skips the runs already stored in
 * `OUT/runs/` (resume: same id, seed and configuration), executes the rest in
 * a pool of worker threads (src/threads.ts; `jobs`, default: the number of CPU
 * cores), and writes each finished run atomically as soon as it arrives. The
 * kernel backend travels in each run's message (`backend`). For many machines,
 * see src/queue/ (`normkit why --queue`).
 *
 * - A run that throws is stored as an `error` result (and retried next time);
 *   a diverged run (`status: 'diverged'` or a thrown `Diverged`) is a result.
 * - SIGINT: no new run is started, the workers are terminated at once (their
 *   unfinished runs are dropped, every finished one is already on disk), and
 *   the study returns `interrupted: true`; a second SIGINT exits immediately.
 *   Running the same command again finishes the rest without recomputing.
 * - Progress: a cli-progress bar on a TTY (runs done / total, ETA, current
 *   experiment), one plain line per finished run otherwise (CI logs).
 * - Determinism: the runner adds no randomness; workers and the in-process
 *   path share `executeRun`, which re-seeds the global RNG per run.
 */
import { availableParallelism } from 'node:os';
import cliProgress from 'cli-progress';
import type { BackendName } from 'normkit';
import type { Experiment, Profile, RunSpec } from './experiment.js';
import { executeRun } from './execute.js';
import { loadExperiments } from './registry.js';
import { checkRunId, isDone, removeStaleTemps, readRun, readStudy, writeRun, writeStudy, type StoredRun } from './store.js';
import { ThreadPool } from './threads.js';
import { Interrupt } from './interrupt.js';

export interface StudyOptions {
  profile: Profile;
  /** Output directory (created if needed). */
  out: string;
  /** Seeds per configuration (undefined: each experiment's profile default). */
  seeds?: number;
  /** The experiments to run (already selected). */
  experiments: Experiment[];
  /** Worker threads (default: number of CPU cores). */
  jobs?: number;
  /** Run in the main thread instead of workers (debugging; same numbers). */
  inProcess?: boolean;
  /** Kernel backend of every run, sent with each run to its thread (default: the library's, WebAssembly where it loads). */
  backend?: BackendName;
  /**
   * Every registered experiment (what `loadExperiments()` returned to the
   * caller), to check that worker threads can find the selected ones by name
   * without loading the registry a second time; default: `loadExperiments()`.
   */
  registered?: Experiment[];
  /** Progress display: 'auto' (bar on a TTY, lines otherwise), 'bar', 'lines' or 'none'. */
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  /** Where progress lines go (default: stderr). */
  log?: (line: string) => void;
  /** Handle SIGINT (default true; tests driving the runner in-process may turn it off). */
  handleSigint?: boolean;
}

export interface StudyOutcome {
  interrupted: boolean;
  total: number;
  /** Runs found on disk and not recomputed. */
  skipped: number;
  /** Runs executed by this invocation (ok, diverged or error). */
  executed: number;
  failed: number;
  wallMs: number;
}

/** One run of the plan: the experiment and its spec. */
export interface Task {
  exp: Experiment;
  spec: RunSpec;
}

/** Default number of worker threads: the number of CPU cores. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/** List every run of the selected experiments, checking ids are unique and file-name safe. */
export function planRuns(experiments: Experiment[], profile: Profile, seeds?: number): Task[] {
  const tasks: Task[] = [];
  for (const exp of experiments) {
    const specs = exp.runs(profile, seeds);
    const ids = new Set<string>();
    for (const spec of specs) {
      checkRunId(exp.name, spec.id);
      if (ids.has(spec.id)) throw new Error(`experiment "${exp.name}": run id "${spec.id}" is used twice`);
      ids.add(spec.id);
      tasks.push({ exp, spec });
    }
  }
  return tasks;
}

/** A duration for progress lines: `250 ms`, `12.3 s`, `4.5 min`. */
export function fmtMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60000).toFixed(1)} min`;
}

/** A run's outcome in a progress line: `ok`, `diverged at step N`, `ERROR message`. */
export function describe(r: StoredRun): string {
  if (r.status === 'error') return `ERROR ${r.error}`;
  if (r.status === 'diverged') return `diverged at step ${r.divergedAt ?? '?'}`;
  return 'ok';
}

/** Run a study; resolves when every run is stored, or early on SIGINT. */
export async function runStudy(opts: StudyOptions): Promise<StudyOutcome> {
  const t0 = performance.now();
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const jobs = opts.jobs ?? defaultJobs();
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`jobs must be a positive integer, got ${jobs}`);

  if (!opts.inProcess) {
    // Workers find experiments by name in the registry: an unregistered one would fail every run.
    const known = new Set((opts.registered ?? (await loadExperiments())).map((e) => e.name));
    const missing = opts.experiments.filter((e) => !known.has(e.name)).map((e) => `"${e.name}"`);
    if (missing.length > 0) {
      throw new Error(`experiment ${missing.join(', ')} is not registered (src/experiments/index.ts or NORMKIT_EXTRA_EXPERIMENTS), so worker threads cannot load it; register it or run in-process`);
    }
  }
  const tasks = planRuns(opts.experiments, opts.profile, opts.seeds);
  const pending = tasks.filter((t) => !isDone(readRun(opts.out, t.exp.name, t.spec.id), t.spec));
  const skipped = tasks.length - pending.length;

  // a previous invocation killed mid-write left a temporary file: clear it (the run is recomputed or collected again)
  removeStaleTemps(opts.out);
  const prev = readStudy(opts.out);
  const now = new Date().toISOString();
  const meta = {
    profile: opts.profile,
    ...(opts.seeds !== undefined ? { seeds: opts.seeds } : {}),
    started: prev?.started ?? now,
    updated: now,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: availableParallelism(),
    jobs: opts.inProcess ? 0 : jobs,
    wallMs: prev?.wallMs ?? 0,
    experiments: opts.experiments.map((e) => e.name),
  };
  writeStudy(opts.out, meta);

  // Progress display.
  const mode = opts.progress === 'auto' || opts.progress === undefined ? (process.stderr.isTTY ? 'bar' : 'lines') : opts.progress;
  let bar: cliProgress.SingleBar | null = null;
  let done = skipped;
  let failed = 0;
  let executed = 0;
  const inflight = new Map<number, { task: Task; fraction: number }>();
  const current = () => [...new Set([...inflight.values()].map((v) => v.task.exp.name))].join(', ') || '-';
  const refresh = () => {
    if (!bar) return;
    let frac = 0;
    for (const v of inflight.values()) frac += Math.min(Math.max(v.fraction, 0), 0.999);
    bar.update(done + frac, { done, current: current() });
  };
  if (mode === 'bar' && pending.length > 0) {
    bar = new cliProgress.SingleBar(
      {
        format: ' {bar} {percentage}% | {done}/{total} runs | ETA {eta_formatted} | {current}',
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
        clearOnComplete: false,
        // Before the first run finishes the rate is unknown: '?' rather than 'NFs'.
        formatTime: (t: number) => (Number.isFinite(t) && t >= 0 ? fmtMs(t * 1000) : '?'),
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(tasks.length, skipped, { done, current: '-' });
  } else if (mode !== 'none') {
    log(`normkit: ${tasks.length} runs (${skipped} already done in ${opts.out}), profile ${opts.profile}, ${opts.inProcess ? 'in-process' : `${Math.min(jobs, Math.max(pending.length, 1))} worker(s)`}`);
  }

  const finish = (slot: number, result: StoredRun) => {
    writeRun(opts.out, result);
    inflight.delete(slot);
    done++;
    executed++;
    if (result.status === 'error') failed++;
    if (bar) refresh();
    else if (mode === 'lines') log(`[${done}/${tasks.length}] ${result.experiment} ${result.id} ${describe(result)} (${fmtMs(result.wallMs)})`);
  };

  let stop: () => void = () => {};
  const interrupt = new Interrupt(opts.handleSigint ?? true, () => stop());

  try {
    if (opts.inProcess) {
      for (const task of pending) {
        if (interrupt.interrupted) break;
        inflight.set(0, { task, fraction: 0 });
        refresh();
        const result = await executeRun(
          task.exp,
          task.spec,
          opts.profile,
          (f) => {
            const v = inflight.get(0);
            if (v) v.fraction = f;
          },
          opts.backend,
        );
        finish(0, result);
        // Let a pending SIGINT be delivered between runs.
        await new Promise((r) => setImmediate(r));
      }
    } else if (pending.length > 0) {
      // Each thread takes the next pending run when it finishes one; SIGINT terminates them at once.
      const pool = new ThreadPool(Math.min(jobs, pending.length));
      stop = () => void pool.terminate();
      let slots = 0;
      try {
        await Promise.all(
          pending.map(async (task) => {
            const slot = slots++;
            const reply = await pool.run(
              { experiment: task.exp.name, spec: task.spec, profile: opts.profile, ...(opts.backend ? { backend: opts.backend } : {}) },
              {
                onStart: () => {
                  inflight.set(slot, { task, fraction: 0 });
                  refresh();
                },
                onProgress: (f) => {
                  const v = inflight.get(slot);
                  if (v) v.fraction = f;
                  refresh();
                },
              },
            );
            if (reply.type === 'done') finish(slot, reply.result);
            else if (reply.type === 'fatal') finish(slot, errorRun(task, reply.error));
            else inflight.delete(slot);
          }),
        );
      } finally {
        await pool.terminate();
      }
    }
  } finally {
    interrupt.dispose();
    if (bar) {
      refresh();
      bar.stop();
    }
  }
  const wallMs = performance.now() - t0;
  writeStudy(opts.out, { ...meta, wallMs: meta.wallMs + wallMs });
  if (interrupt.interrupted && mode !== 'none') log(`normkit: interrupted; ${done} of ${tasks.length} runs are stored in ${opts.out}. Run the same command again to finish the rest.`);
  return { interrupted: interrupt.interrupted, total: tasks.length, skipped, executed, failed, wallMs };
}

function errorRun(task: Task, error: string): StoredRun {
  return { id: task.spec.id, seed: task.spec.seed, config: task.spec.config, experiment: task.exp.name, status: 'error', error, metrics: {}, wallMs: 0 };
}
