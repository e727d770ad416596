/**
 * What a race is: the task, the model, the optimizer settings and the
 * normalizations that train side by side. One `RaceConfig` plus one
 * normalization name fixes every number of a run (the seed drives the
 * weights, the batches and the test set), so the same config gives the same
 * losses in a Web Worker, on the page's main thread and in Node.
 *
 * Which normalization fits which model:
 *
 * | norm       | MLP (spiral, rings, digits) | small CNN (digits)       | Transformer (copy)   |
 * |------------|-----------------------------|--------------------------|----------------------|
 * | none       | yes                         | yes                      | yes                  |
 * | batchnorm  | BatchNorm over the batch    | BatchNorm2d              | (no: mixes tokens)   |
 * | layernorm  | LayerNorm([width])          | GroupNorm(1, C)          | LayerNorm([d])       |
 * | rmsnorm    | RMSNorm([width])            | (no)                     | RMSNorm([d])         |
 * | groupnorm  | GroupNorm(width/4, width)   | GroupNorm(C/4, C)        | (no)                 |
 * | dyt        | DyT([width])                | (no)                     | DyT([d])             |
 * | weightnorm | weightNorm on every Linear  | weightNorm on every conv | (no)                 |
 */

/** The normalizations a race can compare. */
export const NORMS = ['none', 'batchnorm', 'layernorm', 'rmsnorm', 'groupnorm', 'dyt', 'weightnorm'] as const;
export type NormName = (typeof NORMS)[number];

/** Display names. */
export const NORM_LABELS: Record<NormName, string> = {
  none: 'none', batchnorm: 'BatchNorm', layernorm: 'LayerNorm', rmsnorm: 'RMSNorm', groupnorm: 'GroupNorm', dyt: 'DyT', weightnorm: 'weight norm',
};

export const TASKS = ['spiral', 'rings', 'digits', 'copy'] as const;
export type TaskName = (typeof TASKS)[number];
export const TASK_LABELS: Record<TaskName, string> = {
  spiral: '2-D spiral (3 arms)', rings: '2-D rings (3 circles)', digits: 'MNIST digits (14x14, real)', copy: 'copy task (tiny Transformer)',
};

export const MODELS = ['mlp', 'cnn', 'transformer'] as const;
export type ModelName = (typeof MODELS)[number];
export const MODEL_LABELS: Record<ModelName, string> = { mlp: 'MLP', cnn: 'small CNN', transformer: 'Transformer' };

/** Learning rates offered (a log grid). */
export const LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1] as const;
export const BATCH_SIZES = [8, 16, 32, 64, 128, 256] as const;
export const STEP_COUNTS = [100, 200, 300, 500, 1000, 2000, 5000] as const;

/** Everything that fixes a race (and its URL). */
export interface RaceConfig {
  task: TaskName;
  model: ModelName;
  /** Hidden layers of the MLP (2-20) or blocks of the Transformer (1-8); the CNN has 2 conv layers. */
  depth: number;
  /** Transformer normalization placement. */
  placement: 'pre' | 'post';
  lr: number;
  batch: number;
  /** Linear warm-up over the first 10% of the steps. */
  warmup: boolean;
  optimizer: 'adam' | 'sgd';
  steps: number;
  seed: number;
  /** The normalizations racing (in order). */
  norms: NormName[];
  /** Kernel backend of every run ('wasm' where WebAssembly loads). */
  backend: 'wasm' | 'js';
}

export const DEFAULT_CONFIG: RaceConfig = {
  task: 'spiral', model: 'mlp', depth: 4, placement: 'pre', lr: 1e-2, batch: 64, warmup: false, optimizer: 'adam',
  steps: 300, seed: 1, norms: ['none', 'batchnorm', 'layernorm'], backend: 'wasm',
};

/** Models that can learn a task. */
export function modelsFor(task: TaskName): ModelName[] {
  switch (task) {
    case 'spiral':
    case 'rings':
      return ['mlp'];
    case 'digits':
      return ['mlp', 'cnn'];
    case 'copy':
      return ['transformer'];
  }
}

/** Normalizations a model supports (see the table above). */
export function normsFor(model: ModelName): NormName[] {
  switch (model) {
    case 'mlp':
      return [...NORMS];
    case 'cnn':
      return ['none', 'batchnorm', 'layernorm', 'groupnorm', 'weightnorm'];
    case 'transformer':
      return ['none', 'layernorm', 'rmsnorm', 'dyt'];
  }
}

/** The depth range of a model (the CNN's is fixed at 2). */
export function depthRange(model: ModelName): [number, number] {
  return model === 'mlp' ? [2, 20] : model === 'transformer' ? [1, 8] : [2, 2];
}

const clampInt = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Math.round(v)));

/**
 * A config that is valid for its task: an unknown or missing field takes the
 * default, a model that cannot learn the task becomes the task's first model,
 * the depth is clamped to the model's range and unsupported norms are dropped
 * (keeping at least one). Returns the problems it fixed, for the page to show.
 */
export function normalizeConfig(c: Partial<RaceConfig>): { config: RaceConfig; fixed: string[] } {
  const fixed: string[] = [];
  const d = DEFAULT_CONFIG;
  const pick = <T>(v: unknown, allowed: readonly T[], dflt: T, name: string): T => {
    if (v === undefined) return dflt;
    if (allowed.includes(v as T)) return v as T;
    fixed.push(`${name} '${String(v)}' is not one of ${allowed.join(', ')}; using ${String(dflt)}`);
    return dflt;
  };
  const task = pick(c.task, TASKS, d.task, 'task');
  let model = pick(c.model, MODELS, modelsFor(task)[0]!, 'model');
  if (!modelsFor(task).includes(model)) {
    fixed.push(`the ${MODEL_LABELS[model]} cannot learn the ${task} task; using ${MODEL_LABELS[modelsFor(task)[0]!]}`);
    model = modelsFor(task)[0]!;
  }
  const [lo, hi] = depthRange(model);
  const depthIn = Number.isFinite(c.depth) ? (c.depth as number) : model === 'transformer' ? 2 : d.depth;
  const depth = clampInt(depthIn, lo, hi);
  if (c.depth !== undefined && depth !== c.depth && model !== 'cnn') fixed.push(`depth ${c.depth} is outside ${lo}-${hi} for the ${MODEL_LABELS[model]}; using ${depth}`);
  const num = (v: unknown, ok: (x: number) => boolean, dflt: number, name: string): number => {
    if (v === undefined) return dflt;
    if (typeof v === 'number' && ok(v)) return v;
    fixed.push(`${name} ${String(v)} is not valid; using ${dflt}`);
    return dflt;
  };
  const lr = num(c.lr, (x) => x > 0 && x <= 10, d.lr, 'learning rate');
  const batch = Math.round(num(c.batch, (x) => x >= 2 && x <= 1024, d.batch, 'batch size'));
  const steps = Math.round(num(c.steps, (x) => x >= 1 && x <= 100_000, d.steps, 'steps'));
  const seed = Math.round(num(c.seed, (x) => Number.isInteger(x) && x >= 0 && x < 2 ** 31, d.seed, 'seed'));
  const supported = normsFor(model);
  const asked = (c.norms ?? d.norms).filter((n, i, a) => a.indexOf(n) === i);
  const norms = asked.filter((n) => supported.includes(n));
  for (const n of asked) if (!norms.includes(n)) fixed.push(`${NORMS.includes(n) ? NORM_LABELS[n] : `'${String(n)}'`} is not available for the ${MODEL_LABELS[model]}; left out`);
  if (norms.length === 0) norms.push(...d.norms.filter((n) => supported.includes(n)));
  return {
    config: {
      task, model, depth, lr, batch, steps, seed, norms,
      placement: pick(c.placement, ['pre', 'post'] as const, d.placement, 'placement'),
      warmup: c.warmup ?? d.warmup,
      optimizer: pick(c.optimizer, ['adam', 'sgd'] as const, d.optimizer, 'optimizer'),
      backend: pick(c.backend, ['wasm', 'js'] as const, d.backend, 'backend'),
    },
    fixed,
  };
}

/** Warm-up length when `warmup` is on: 10% of the steps (at least 1). */
export const warmupSteps = (c: RaceConfig): number => (c.warmup ? Math.max(1, Math.round(0.1 * c.steps)) : 0);
