/**
 * Messages between the page and a race worker (one worker per racer).
 *
 * page -> worker: `init` (config, norm, digits bytes), `run` (train until
 * paused or done), `pause`, `step` (n steps, then pause).
 * worker -> page: `ready` (racer info, kernel threads), `records` (steps
 * since the last message, sent at most every ~60 ms), `state`
 * ('running' | 'paused' | 'done' | 'diverged'), `error`.
 */
import type { NormName, RaceConfig } from '../race/config.js';
import type { RacerInfo, StepRecord } from '../race/trainer.js';

export type ToWorker =
  | { type: 'init'; cfg: RaceConfig; norm: NormName; digits: ArrayBuffer | null; threads: number }
  | { type: 'run' }
  | { type: 'pause' }
  | { type: 'step'; n: number };

export type RacerState = 'loading' | 'ready' | 'running' | 'paused' | 'done' | 'diverged' | 'error';

export type FromWorker =
  | { type: 'ready'; info: RacerInfo; threads: number; backend: string }
  | { type: 'records'; records: StepRecord[]; ms: number }
  | { type: 'state'; state: RacerState; ms?: number }
  | { type: 'error'; message: string };
