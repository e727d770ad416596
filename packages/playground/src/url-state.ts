/**
 * The whole playground state in the URL query, so a link reproduces a view
 * and a race (the race is seeded). Only values that differ from the
 * defaults are written, except the seed and the norms.
 *
 * | key      | meaning                              | example            |
 * |----------|--------------------------------------|--------------------|
 * | view     | race, cube or results                | view=cube          |
 * | task     | spiral, rings, digits, copy          | task=digits        |
 * | model    | mlp, cnn, transformer                | model=cnn          |
 * | depth    | hidden layers / blocks               | depth=8            |
 * | place    | Transformer placement pre or post    | place=post         |
 * | lr       | learning rate                        | lr=0.003           |
 * | batch    | batch size                           | batch=32           |
 * | steps    | training steps                       | steps=500          |
 * | opt      | adam or sgd (momentum 0.9)           | opt=sgd            |
 * | warmup   | 1 = linear warm-up over 10%          | warmup=1           |
 * | seed     | seed of weights, batches, test set   | seed=3             |
 * | norms    | racing normalizations, comma list    | norms=none,layernorm |
 * | backend  | wasm or js kernels                   | backend=js         |
 * | cnorm    | the cube's normalization             | cnorm=groupnorm    |
 * | groups   | the cube's GroupNorm groups          | groups=4           |
 * | cell     | the cube's selected cell n.c.s       | cell=1.3.0         |
 * | workers  | 0 = train on the page's thread       | workers=0          |
 */
import { DEFAULT_CONFIG, normalizeConfig, type NormName, type RaceConfig } from './race/config.js';
import { CUBE_NORMS, DEFAULT_CUBE, normalizeCube, type CubeState } from './cube/cube.js';

export const VIEWS = ['race', 'cube', 'results'] as const;
export type View = (typeof VIEWS)[number];

export interface AppState {
  view: View;
  race: RaceConfig;
  cube: CubeState;
  useWorkers: boolean;
  /** What was wrong in the URL and how it was fixed. */
  fixed: string[];
}

const num = (v: string | null): number | undefined => (v === null || v.trim() === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));

/** Read the state from a query string (`location.search`). */
export function parseState(search: string): AppState {
  const q = new URLSearchParams(search);
  const view = (VIEWS as readonly string[]).includes(q.get('view') ?? '') ? (q.get('view') as View) : 'race';
  const partial: Partial<RaceConfig> = {};
  const set = <K extends keyof RaceConfig>(k: K, v: RaceConfig[K] | undefined) => { if (v !== undefined) partial[k] = v; };
  set('task', (q.get('task') ?? undefined) as RaceConfig['task'] | undefined);
  set('model', (q.get('model') ?? undefined) as RaceConfig['model'] | undefined);
  set('depth', num(q.get('depth')));
  set('placement', (q.get('place') ?? undefined) as RaceConfig['placement'] | undefined);
  set('lr', num(q.get('lr')));
  set('batch', num(q.get('batch')));
  set('steps', num(q.get('steps')));
  set('optimizer', (q.get('opt') ?? undefined) as RaceConfig['optimizer'] | undefined);
  if (q.has('warmup')) partial.warmup = q.get('warmup') === '1' || q.get('warmup') === 'true';
  set('seed', num(q.get('seed')));
  if (q.has('norms')) partial.norms = (q.get('norms') ?? '').split(',').map((s) => s.trim()).filter(Boolean) as NormName[];
  set('backend', (q.get('backend') ?? undefined) as RaceConfig['backend'] | undefined);
  const { config, fixed } = normalizeConfig(partial);
  const cell = (q.get('cell') ?? '').split('.').map(Number);
  const cube = normalizeCube({
    norm: (q.get('cnorm') ?? undefined) as CubeState['norm'] | undefined,
    groups: num(q.get('groups')),
    cell: cell.length === 3 && cell.every(Number.isInteger) ? (cell as [number, number, number]) : undefined,
  });
  if (q.has('cnorm') && !CUBE_NORMS.includes(q.get('cnorm') as CubeState['norm'])) fixed.push(`cube norm '${q.get('cnorm')}' is unknown; using ${cube.norm}`);
  return { view, race: config, cube, useWorkers: q.get('workers') !== '0', fixed };
}

/** The query string (with '?', or '' for all defaults) of a state. */
export function serializeState(s: AppState): string {
  const q = new URLSearchParams();
  if (s.view !== 'race') q.set('view', s.view);
  const r = s.race, d = DEFAULT_CONFIG;
  if (r.task !== d.task) q.set('task', r.task);
  if (r.model !== 'mlp') q.set('model', r.model);
  if (r.depth !== d.depth) q.set('depth', String(r.depth));
  if (r.model === 'transformer' && r.placement !== d.placement) q.set('place', r.placement);
  if (r.lr !== d.lr) q.set('lr', String(r.lr));
  if (r.batch !== d.batch) q.set('batch', String(r.batch));
  if (r.steps !== d.steps) q.set('steps', String(r.steps));
  if (r.optimizer !== d.optimizer) q.set('opt', r.optimizer);
  if (r.warmup) q.set('warmup', '1');
  q.set('seed', String(r.seed));
  q.set('norms', r.norms.join(','));
  if (r.backend !== d.backend) q.set('backend', r.backend);
  const c = s.cube, dc = DEFAULT_CUBE;
  if (c.norm !== dc.norm) q.set('cnorm', c.norm);
  if (c.groups !== dc.groups) q.set('groups', String(c.groups));
  if (c.cell.join('.') !== dc.cell.join('.')) q.set('cell', c.cell.join('.'));
  if (!s.useWorkers) q.set('workers', '0');
  const str = q.toString().replace(/%2C/g, ',');
  return str ? `?${str}` : '';
}
