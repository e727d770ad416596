/**
 * `nk.optim`: optimizers, learning-rate schedules and gradient clipping.
 */
export { Optimizer, type OptimizerOptions, type ParamGroup, type ParamState, type ParamsInput, type OptimizerStateDict } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export * as schedules from './schedules.js';
export type { Schedule, CosineOptions } from './schedules.js';
export { clipGradNorm } from './clip.js';
export { LRScheduler, StepLR, CosineAnnealingLR, LinearLR, OneCycleLR, type OneCycleLROptions } from './lr-scheduler.js';
export { clipGradValue } from './clip.js';
