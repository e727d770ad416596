/**
 * The registry of lab experiments: a plain list, in any order (the report
 * orders them as LAB.md numbers them, see src/lab/registry.ts). To add an
 * experiment: one import line and one entry in the array.
 */
import type { Experiment } from '../experiment.js';
import { invariances } from './invariances.js';
import { numerics } from './numerics.js';
import { classicMlp } from './classic-mlp.js';
import { signalPropagation } from './signal-propagation.js';
import { batchSize } from './batch-size.js';

export const experiments: Experiment[] = [
  invariances,
  numerics,
  classicMlp,
  signalPropagation,
  batchSize,
];
