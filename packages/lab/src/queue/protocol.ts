/**
 * What the coordinator and the workers agree on: the data of a run job, its
 * id, the versions both sides must share, and the claim a coordinator holds on
 * the queue while its study runs.
 *
 * Job id: `EXPERIMENT/RUN-ID/HASH`, where HASH is a short hash of the
 * profile, seed, configuration and versions. The experiment and run id make
 * re-enqueueing idempotent (BullMQ ignores an `add` whose id exists, in any
 * state); the hash keeps a job of another profile, `--seeds` or release that
 * reuses a run id from being mistaken for this study's.
 */
import { readFileSync } from 'node:fs';
import type { Profile, RunSpec } from '../experiment.js';
import { canonical } from '../store.js';

/** The data of one job: everything a worker needs to execute the run. */
export interface RunJob {
  experiment: string;
  spec: RunSpec;
  profile: Profile;
  /** Versions of the coordinator; a worker of other versions refuses the job. */
  normkit: string;
  lab: string;
}

/** The claim a coordinator keeps (with a time-to-live it renews) on the queue it uses. */
export interface StudyClaim {
  normkit: string;
  lab: string;
  host: string;
  pid: number;
  /** The study's result directory, absolute. */
  out: string;
  profile: Profile;
  /** ISO date the claim was first taken. */
  since: string;
}

/** The versions of the library (whose kernels compute) and of the lab (whose experiments define the runs). */
export interface Versions {
  normkit: string;
  lab: string;
}

let cached: Versions | null = null;

/** This installation's versions (read from the two package.json files once). */
export function versions(): Versions {
  if (cached) return cached;
  const read = (url: URL) => (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  cached = {
    normkit: read(new URL(import.meta.resolve('normkit/package.json'))),
    // dist/src/queue/ -> the lab package's root
    lab: read(new URL('../../../package.json', import.meta.url)),
  };
  return cached;
}

/** `normkit 0.1.0 (lab 0.1.0)`. */
export function fmtVersions(v: Versions): string {
  return `normkit ${v.normkit} (lab ${v.lab})`;
}

/** FNV-1a, 32 bits, as 8 hex digits: short, stable, dependency-free. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The job id of a run (see the module comment). Never contains ':' (BullMQ forbids it). */
export function jobId(experiment: string, spec: RunSpec, profile: Profile, v: Versions): string {
  return `${experiment}/${spec.id}/${fnv1a(canonical({ profile, seed: spec.seed, config: spec.config, normkit: v.normkit, lab: v.lab }))}`;
}

/** Check that a job's data has the shape of a `RunJob`; returns a description of what is wrong, or null. */
export function badRunJob(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) return `expected an object, got ${JSON.stringify(data)}`;
  const d = data as Partial<RunJob>;
  if (typeof d.experiment !== 'string') return 'no experiment name';
  if (typeof d.spec !== 'object' || d.spec === null || typeof d.spec.id !== 'string' || typeof d.spec.seed !== 'number' || typeof d.spec.config !== 'object') return 'no run spec {id, seed, config}';
  if (d.profile !== 'smoke' && d.profile !== 'quick' && d.profile !== 'full') return `unknown profile ${JSON.stringify(d.profile)}`;
  if (typeof d.normkit !== 'string' || typeof d.lab !== 'string') return 'no normkit/lab versions';
  return null;
}
