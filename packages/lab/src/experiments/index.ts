/**
 * The registry of lab experiments: a plain list, in any order (the report
 * orders them as LAB.md numbers them, see src/registry.ts). To add an
 * experiment: one import line and one entry in the array.
 */
import type { Experiment } from '../experiment.js';
import { invariances } from './invariances.js';
import { numerics } from './numerics.js';
import { classicMlp } from './classic-mlp.js';
import { signalPropagation } from './signal-propagation.js';
import { batchSize } from './batch-size.js';
import { transformerPlacement } from './transformer-placement.js';
import { gradientThroughStatistics } from './gradient-through-statistics.js';
import { recurrent } from './recurrent.js';
import { weightAndSpectral } from './weight-and-spectral.js';
import { cost } from './cost.js';
import { learningRate } from './learning-rate.js';
import { landscape } from './landscape.js';
import { qkNorm } from './qk-norm.js';
import { synchronization } from './synchronization.js';

export const experiments: Experiment[] = [
  invariances,
  numerics,
  classicMlp,
  signalPropagation,
  batchSize,
  transformerPlacement,
  gradientThroughStatistics,
  recurrent,
  weightAndSpectral,
  cost,
  learningRate,
  landscape,
  qkNorm,
  synchronization,
];
