/**
 * The on-disk layout of a study directory (Node only):
 *
 * ```
 * OUT/study.json                   profile, seeds, dates, wall time (for `normkit report`)
 * OUT/runs/<experiment>/<id>.json  one finished run (StoredRun), written atomically
 * OUT/results.json, report.md, index.html   the report
 * ```
 *
 * Runs are written as a temporary file in the same directory and renamed over
 * the target: rename is atomic on POSIX file systems, so an interrupted study
 * never leaves a half-written run, and a run on disk is always complete.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Json, Profile, RunResult, RunSpec } from './experiment.js';

/** A run that threw: recorded so the report can say so, and retried on the next invocation. */
export interface ErrorRun extends RunSpec {
  experiment: string;
  status: 'error';
  error: string;
  metrics: { [k: string]: number | null };
  wallMs: number;
}

/**
 * Where a run computed, recorded by the queue worker that executed it
 * (`normkit worker`); local studies leave it out (study.json says where they ran).
 */
export interface RunOrigin {
  /** The worker's name: `host:pid`. */
  id: string;
  host: string;
  pid: number;
  /** Kernel backend the worker was started with (`default`: the library's own choice). */
  backend: string;
  /** The worker's threads (`--jobs`) and its machine's CPU count. */
  threads: number;
  cpus: number;
  /** Versions of the library and of the lab the worker ran. */
  normkit: string;
  lab: string;
}

/** What a run file holds. */
export type StoredRun = (RunResult | ErrorRun) & { worker?: RunOrigin };

/** Study metadata kept beside the runs. */
export interface StudyMeta {
  profile: Profile;
  /** Seeds requested on the command line (undefined: each experiment's profile default). */
  seeds?: number;
  /** ISO date of the first and latest invocation. */
  started: string;
  updated: string;
  node: string;
  platform: string;
  /** CPUs of the machine (queue studies: summed over the workers' machines). */
  cpus: number;
  /** Worker threads (0: in-process; queue studies: summed over the workers). */
  jobs: number;
  /** Wall time summed over invocations (ms). */
  wallMs: number;
  /** Experiments selected by the latest invocation. */
  experiments: string[];
  /** A study run through a job queue (`--queue`): the queue's URL (password hidden). */
  queue?: string;
  /** Queue studies: the workers whose runs are stored, with how many each computed (all invocations). */
  workers?: { id: string; host: string; backend: string; normkit: string; lab: string; threads: number; cpus: number; runs: number }[];
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._+=-]*$/;

/** Ids become file names: letters, digits and `._+=-` only. */
export function checkRunId(experiment: string, id: string): void {
  if (!SAFE_ID.test(id)) throw new Error(`experiment "${experiment}": run id "${id}" is not file-name safe (expected letters, digits and ._+=- only)`);
}

/** Write a file atomically (temporary file in the same directory + rename). */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Whether process `pid` on this machine is alive (signal 0 checks without signalling; EPERM: alive, not ours). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the temporary files of `writeAtomic` that a killed process left in
 * OUT (study.json's and each run's, `NAME.tmp-PID-RANDOM`), when process PID
 * is no longer alive; a live writer's are left alone. A SIGKILL between the
 * write and the rename leaves one behind: harmless (only `*.json` files are
 * read), but litter in the result directory. Returns the paths removed.
 */
export function removeStaleTemps(out: string): string[] {
  const removed: string[] = [];
  const sweep = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir)) {
      const m = /\.tmp-(\d+)-[0-9a-z]*$/.exec(f);
      if (m && !alive(Number(m[1]))) {
        rmSync(join(dir, f), { force: true });
        removed.push(join(dir, f));
      }
    }
  };
  sweep(out);
  for (const e of storedExperiments(out)) sweep(join(out, 'runs', e));
  return removed;
}

export function runPath(out: string, experiment: string, id: string): string {
  return join(out, 'runs', experiment, `${id}.json`);
}

/** Store one finished run. */
export function writeRun(out: string, run: StoredRun): void {
  mkdirSync(join(out, 'runs', run.experiment), { recursive: true });
  writeAtomic(runPath(out, run.experiment, run.id), JSON.stringify(run) + '\n');
}

/** Read a stored run, or null when absent or unreadable (then it is simply recomputed). */
export function readRun(out: string, experiment: string, id: string): StoredRun | null {
  const p = runPath(out, experiment, id);
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as StoredRun;
  } catch {
    return null;
  }
}

/** Canonical JSON (sorted keys) to compare configurations. */
export function canonical(x: Json | undefined): string {
  if (x === undefined) return 'undefined';
  if (x === null || typeof x !== 'object') return JSON.stringify(x);
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  return `{${Object.keys(x).sort().map((k) => `${JSON.stringify(k)}:${canonical(x[k])}`).join(',')}}`;
}

/** A stored run counts as done for `spec` when it finished (ok or diverged) with the same seed and configuration. */
export function isDone(stored: StoredRun | null, spec: RunSpec): boolean {
  return stored !== null && stored.status !== 'error' && stored.seed === spec.seed && canonical(stored.config) === canonical(spec.config);
}

/** All runs stored for one experiment (any id). */
export function readAllRuns(out: string, experiment: string): StoredRun[] {
  const dir = join(out, 'runs', experiment);
  if (!existsSync(dir)) return [];
  const runs: StoredRun[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.json')) continue;
    const r = readRun(out, experiment, f.slice(0, -5));
    if (r) runs.push(r);
  }
  return runs;
}

/** Experiments that have a runs directory. */
export function storedExperiments(out: string): string[] {
  const dir = join(out, 'runs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

export function readStudy(out: string): StudyMeta | null {
  const p = join(out, 'study.json');
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as StudyMeta;
  } catch {
    return null;
  }
}

export function writeStudy(out: string, meta: StudyMeta): void {
  mkdirSync(out, { recursive: true });
  writeAtomic(join(out, 'study.json'), JSON.stringify(meta, null, 2) + '\n');
}
