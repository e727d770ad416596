/**
 * Loads the experiments: the built-in registry (src/experiments/index.ts)
 * plus extra experiment modules named by the environment variable
 * `NORMKIT_EXTRA_EXPERIMENTS` (file paths or URLs separated by the platform's
 * path delimiter, ':' on POSIX). Each extra module may export `default` (an
 * Experiment), `experiments` (an array), or Experiments as named exports.
 * This is how tests add cheap test-only experiments without touching the
 * registry; worker threads see the same variable, so they load the same list.
 * Experiments are ordered as LAB.md numbers them; unknown names follow in
 * registration order.
 */
import { delimiter, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Experiment } from './experiment.js';
import { experiments as builtin } from './experiments/index.js';

/** The study order of LAB.md (experiments 1..12; qk-norm, round two's, beside the Transformer one). */
export const LAB_ORDER = [
  'classic-mlp',
  'signal-propagation',
  'learning-rate',
  'batch-size',
  'transformer-placement',
  'qk-norm',
  'recurrent',
  'invariances',
  'cost',
  'numerics',
  'landscape',
  'gradient-through-statistics',
  'weight-and-spectral',
];

function isExperiment(x: unknown): x is Experiment {
  if (typeof x !== 'object' || x === null) return false;
  const e = x as Partial<Experiment>;
  return typeof e.name === 'string' && typeof e.runs === 'function' && typeof e.run === 'function' && typeof e.judge === 'function';
}

let cache: Promise<Experiment[]> | null = null;

/** All registered experiments (built-in + NORMKIT_EXTRA_EXPERIMENTS), in study order, names unique. */
export function loadExperiments(): Promise<Experiment[]> {
  cache ??= load();
  return cache;
}

async function load(): Promise<Experiment[]> {
  const all: Experiment[] = [...builtin];
  const extra = process.env.NORMKIT_EXTRA_EXPERIMENTS;
  if (extra) {
    for (const p of extra.split(delimiter).filter((s) => s.length > 0)) {
      const url = /^[a-z]+:\/\//i.test(p) ? p : pathToFileURL(resolve(p)).href;
      let mod: Record<string, unknown>;
      try {
        mod = (await import(url)) as Record<string, unknown>;
      } catch (e) {
        throw new Error(`NORMKIT_EXTRA_EXPERIMENTS: cannot import "${p}": ${(e as Error).message}`);
      }
      const found: Experiment[] = [];
      for (const v of Object.values(mod)) {
        if (isExperiment(v)) found.push(v);
        else if (Array.isArray(v)) found.push(...v.filter(isExperiment));
      }
      if (found.length === 0) throw new Error(`NORMKIT_EXTRA_EXPERIMENTS: module "${p}" exports no Experiment (expected default, experiments[] or named Experiment exports)`);
      all.push(...new Set(found));
    }
  }
  const seen = new Set<string>();
  for (const e of all) {
    if (seen.has(e.name)) throw new Error(`two experiments are named "${e.name}": experiment names must be unique`);
    seen.add(e.name);
  }
  const rank = (e: Experiment) => {
    const i = LAB_ORDER.indexOf(e.name);
    return i < 0 ? LAB_ORDER.length : i;
  };
  return all.map((e, i) => ({ e, i })).sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i).map(({ e }) => e);
}

/** Find experiments by name; an unknown name throws an error that lists the valid ones. */
export function selectExperiments(all: Experiment[], names: string[]): Experiment[] {
  const byName = new Map(all.map((e) => [e.name, e]));
  const bad = names.filter((n) => !byName.has(n));
  if (bad.length > 0) {
    throw new Error(`unknown experiment${bad.length > 1 ? 's' : ''} ${bad.map((b) => `"${b}"`).join(', ')}; valid: ${all.map((e) => e.name).join(', ') || '(none registered)'}`);
  }
  return [...new Set(names)].map((n) => byName.get(n)!).sort((a, b) => all.indexOf(a) - all.indexOf(b));
}
