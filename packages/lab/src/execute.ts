/**
 * Execute one run of an experiment and turn whatever happens into a storable
 * result. Used identically by the worker threads and by the in-process path,
 * so both give the same numbers: the global RNG is re-seeded with the run's
 * seed before the run (a run's numbers never depend on which runs the same
 * thread executed before it), and the output goes through a JSON round trip
 * (non-finite numbers become null, as on disk).
 */
// Importing the library loads its default backend (WebAssembly where it loads),
// whichever experiment modules happen to be loaded.
import { manualSeed, type BackendName, getBackend, setBackend, wasmInfo } from 'normkit';
import { Diverged, type Experiment, type Profile, type RunOutput, type RunResult, type RunSpec } from './experiment.js';
import type { StoredRun } from './store.js';

/** The kernel backends a run can be asked to compute on. */
export const BACKENDS: readonly BackendName[] = ['js', 'wasm'];

/**
 * Select the kernel backend of this thread. The choice travels with each run
 * (the run message of a worker thread, the job of a queue worker) rather than
 * through the environment, so one process can serve runs of different
 * studies. `undefined` keeps the current backend (the library's default:
 * WebAssembly where it loads). Throws on an unknown name, quoting it.
 */
export function applyBackend(backend: BackendName | undefined): void {
  if (backend === undefined) return;
  if (!BACKENDS.includes(backend)) throw new Error(`backend must be 'js' or 'wasm', got ${JSON.stringify(backend)}`);
  if (getBackend() !== backend) setBackend(backend);
}

/**
 * Run `spec` of `exp` on `backend` (undefined: the current one); never throws
 * (a throw becomes an `error` result, `Diverged` a `diverged` one).
 */
export async function executeRun(exp: Experiment, spec: RunSpec, profile: Profile, progress: (f: number) => void, backend?: BackendName): Promise<StoredRun> {
  const t0 = performance.now();
  let out: RunOutput;
  try {
    applyBackend(backend);
    manualSeed(spec.seed);
    out = await exp.run(spec, { profile, progress });
    if (!out || typeof out !== 'object' || (out.status !== 'ok' && out.status !== 'diverged') || typeof out.metrics !== 'object') {
      throw new Error(`run() returned ${JSON.stringify(out)?.slice(0, 200)}; expected { status: 'ok' | 'diverged', metrics: {...} }`);
    }
  } catch (e) {
    const wallMs = performance.now() - t0;
    if (e instanceof Diverged) {
      out = { ...e.partial, status: 'diverged', divergedAt: e.step };
    } else {
      const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      return { id: spec.id, seed: spec.seed, config: spec.config, experiment: exp.name, status: 'error', error: msg, metrics: {}, wallMs };
    }
  }
  const wallMs = performance.now() - t0;
  const kernels = getBackend();
  const result: RunResult = {
    id: spec.id, seed: spec.seed, config: spec.config, experiment: exp.name, ...out, wallMs, backend: kernels,
    ...(kernels === 'wasm' ? { relaxedSimd: wasmInfo().relaxedSimd } : {}),
  };
  return JSON.parse(JSON.stringify(result)) as RunResult;
}
