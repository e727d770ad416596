/**
 * Learning-rate schedules: each returns a multiplier function of the 1-based
 * step number t (the optimizer uses `lr * f(t)` at step t; `opt.schedule = f`).
 */

/** A learning-rate multiplier as a function of the 1-based step. */
export type Schedule = (step: number) => number;

import { checkOptions } from '../options.js';

function checkSteps(name: string, what: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name}: ${what} must be an integer >= ${min}, got ${v}`);
}

/** f(t) = 1. */
export function constant(): Schedule {
  return () => 1;
}

/**
 * Linear warm-up (Goyal et al. 2017; Xiong et al. 2020 use it for Post-LN):
 * f(t) = min(1, t / warmupSteps). `warmupSteps = 0` means no warm-up.
 */
export function linearWarmup(warmupSteps: number): Schedule {
  checkSteps('linearWarmup', 'warmupSteps', warmupSteps, 0);
  if (warmupSteps === 0) return () => 1;
  return (t) => Math.min(1, t / warmupSteps);
}

/**
 * The Transformer schedule (Vaswani et al. 2017), normalized to peak at 1:
 * f(t) = min(t / w, sqrt(w / t)), a linear warm-up over w steps, then decay
 * as 1/sqrt(t).
 */
export function inverseSqrt(warmupSteps: number): Schedule {
  checkSteps('inverseSqrt', 'warmupSteps', warmupSteps, 1);
  return (t) => Math.min(t / warmupSteps, Math.sqrt(warmupSteps / Math.max(t, 1)));
}

/** Options of `cosine`. */
export interface CosineOptions {
  /** Linear warm-up steps before the decay (default 0). */
  warmupSteps?: number;
  /** Floor of the multiplier at the end (default 0). */
  minFactor?: number;
}

/**
 * Cosine decay (Loshchilov & Hutter 2017, without restarts) after an optional
 * linear warm-up: f(t) = t / w for t <= w, then
 * f(t) = minFactor + (1 - minFactor) (1 + cos(pi p)) / 2 with
 * p = (t - w) / (totalSteps - w) clamped to [0, 1].
 */
export function cosine(totalSteps: number, opts: CosineOptions = {}): Schedule {
  checkOptions('cosine', opts, ['warmupSteps', 'minFactor']);
  checkSteps('cosine', 'totalSteps', totalSteps, 1);
  const w = opts.warmupSteps ?? 0;
  checkSteps('cosine', 'warmupSteps', w, 0);
  if (w >= totalSteps) throw new RangeError(`cosine: warmupSteps (${w}) must be smaller than totalSteps (${totalSteps})`);
  const lo = opts.minFactor ?? 0;
  if (!(lo >= 0 && lo <= 1)) throw new RangeError(`cosine: minFactor must be in [0, 1], got ${lo}`);
  return (t) => {
    if (w > 0 && t <= w) return t / w;
    const p = Math.min(1, Math.max(0, (t - w) / (totalSteps - w)));
    return lo + (1 - lo) * 0.5 * (1 + Math.cos(Math.PI * p));
  };
}
