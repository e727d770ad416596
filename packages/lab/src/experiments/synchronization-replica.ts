/**
 * The replica module of the synchronization experiment: DataParallel loads it
 * by URL in every worker (and on the main thread) and calls
 * `createReplica(options)`. The model is the batch-size experiment's CNN;
 * 'syncbn' is the same CNN converted by `SyncBatchNorm.convertSyncBatchnorm`.
 */
import { Rng, SyncBatchNorm, type Tensor } from 'normkit';
import type { Module } from 'normkit/nn';
import { crossEntropy } from 'normkit/functional';
import type { Replica } from 'normkit/parallel';
import { SmallCnn } from '../models/small-cnn.js';

/** Per-worker BatchNorm, synchronized BatchNorm, GroupNorm, LayerNorm (GroupNorm with one group). */
export const SYNC_VARIANTS = ['bn-local', 'syncbn', 'groupnorm', 'layernorm'] as const;
export type SyncVariant = (typeof SYNC_VARIANTS)[number];

export interface SyncReplicaOptions {
  variant: SyncVariant;
  channels: number;
  groups: number;
  seed: number;
}

/** The CNN of a variant (the same weights for a seed, whatever the variant). */
export function buildSyncModel(o: SyncReplicaOptions): Module {
  const norm = o.variant === 'bn-local' || o.variant === 'syncbn' ? 'batchnorm' : o.variant;
  const model = new SmallCnn(norm, o.channels, o.groups, new Rng(o.seed));
  return o.variant === 'syncbn' ? SyncBatchNorm.convertSyncBatchnorm(model) : model;
}

export function createReplica(o: SyncReplicaOptions): Replica {
  return {
    module: buildSyncModel(o),
    loss: (m: Module, x: Tensor, y: Tensor | ArrayLike<number>) => crossEntropy((m as SmallCnn).forward(x), y as Int32Array),
  };
}
