/**
 * One place that maps a normalization name to a module, shared by MLP,
 * TransformerBlock, the recurrent cells and the lab, so "layernorm" means the
 * same layer everywhere.
 *
 * Two layouts:
 * - `features` (default): input `[*, F]`, normalized over / per the last dim
 *   (MLP hidden layers `[N, F]`, Transformer tokens `[B, T, F]`).
 * - `channels`: input `[N, C, H, W]` (CNNs), per the conventions of Wu & He
 *   2018: LayerNorm = GroupNorm with 1 group (over C, H, W, per-channel
 *   affine), InstanceNorm = one group per channel.
 *
 * | kind         | features `[*, F]`                 | channels `[N, C, H, W]`        |
 * |--------------|-----------------------------------|--------------------------------|
 * | none         | Identity                          | Identity                       |
 * | batchnorm    | BatchNorm over all but the last dim | BatchNorm2d(C)               |
 * | layernorm    | LayerNorm([F])                    | GroupNorm(1, C)                |
 * | rmsnorm      | RMSNorm([F])                      | (unsupported)                  |
 * | groupnorm    | GroupNorm(G, F) on rows           | GroupNorm(G, C)                |
 * | instancenorm | (unsupported)                     | InstanceNorm2d(C, affine)      |
 * | dyt          | DyT([F])                          | (unsupported)                  |
 */
import type { Tensor } from '../tensor/tensor.js';
import { fmtShape } from '../tensor/shape.js';
import { reshape } from '../functional/shape-ops.js';
import { LayerNorm } from './norm/layer-norm.js';
import { RMSNorm } from './norm/rms-norm.js';
import { DyT } from './norm/dyt.js';
import { BatchNorm, BatchNorm2d } from './norm/batch-norm.js';
import { GroupNorm } from './norm/group-norm.js';
import { InstanceNorm2d } from './norm/instance-norm.js';
import { Identity } from './activation.js';
import type { UnaryModule } from './layer.js';
import { checkOptions } from '../options.js';

/** The normalization names the factory knows. */
export type NormKind = 'none' | 'batchnorm' | 'layernorm' | 'rmsnorm' | 'groupnorm' | 'instancenorm' | 'dyt';

/** All kinds, in a stable order (for sweeps and error messages). */
export const normKinds: readonly NormKind[] = ['none', 'batchnorm', 'layernorm', 'rmsnorm', 'groupnorm', 'instancenorm', 'dyt'];

/** Options of `makeNorm`. */
export interface NormFactoryOptions {
  /** `'features'` (`[*, F]`, default) or `'channels'` (`[N, C, H, W]`). */
  layout?: 'features' | 'channels';
  /** Groups for groupnorm (default: the largest divisor of the feature count that is <= 8). */
  groups?: number;
  /** Epsilon (default: each module's own, 1e-5; RMSNorm's machine epsilon). */
  eps?: number;
  /** Learnable affine parameters (default true). */
  affine?: boolean;
  /** BatchNorm momentum (default 0.1). */
  momentum?: number;
  /** DyT's initial alpha (default 0.5). */
  alphaInit?: number;
}

/** The largest divisor of n that is at most `cap`. */
function defaultGroups(n: number, cap = 8): number {
  for (let g = Math.min(cap, n); g > 1; g--) if (n % g === 0) return g;
  return 1;
}

/** GroupNorm over the last dim of `[*, F]` inputs (rows flattened), for the features layout. */
export class FeatureGroupNorm extends GroupNorm {
  override forward(x: Tensor): Tensor {
    if (x.ndim === 2) return super.forward(x);
    const F = this.numChannels;
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== F) throw new RangeError(`GroupNorm: expected input with shape [*, ${F}], got ${fmtShape(x.shape)}`);
    return reshape(super.forward(reshape(x, [x.size / F, F])), x.shape);
  }
}

/**
 * A normalization module of `kind` for `features` features (or channels).
 * Throws for a kind that has no meaning in the layout, naming both.
 */
export function makeNorm(kind: NormKind, features: number, opts: NormFactoryOptions = {}): UnaryModule {
  checkOptions('makeNorm', opts, ['layout', 'groups', 'eps', 'affine', 'momentum', 'alphaInit']);
  const layout = opts.layout ?? 'features';
  if (layout !== 'features' && layout !== 'channels') throw new RangeError(`makeNorm: layout must be 'features' or 'channels', got '${String(layout)}'`);
  if (!Number.isInteger(features) || features < 1) throw new RangeError(`makeNorm: features must be a positive integer, got ${features}`);
  const affine = opts.affine ?? true;
  const eps = opts.eps;
  const groups = opts.groups ?? defaultGroups(features);
  const unsupported = () => new RangeError(`makeNorm: '${kind}' is not available for the '${layout}' layout`);
  switch (kind) {
    case 'none':
      return new Identity();
    case 'batchnorm':
      return layout === 'channels'
        ? new BatchNorm2d(features, { eps, affine, momentum: opts.momentum })
        : new BatchNorm(features, { eps, affine, momentum: opts.momentum, axis: -1 });
    case 'layernorm':
      return layout === 'channels'
        ? new GroupNorm(1, features, { eps, affine })
        : new LayerNorm([features], { eps, elementwiseAffine: affine });
    case 'rmsnorm':
      if (layout === 'channels') throw unsupported();
      return new RMSNorm([features], { eps, elementwiseAffine: affine });
    case 'groupnorm':
      return layout === 'channels' ? new GroupNorm(groups, features, { eps, affine }) : new FeatureGroupNorm(groups, features, { eps, affine });
    case 'instancenorm':
      if (layout === 'features') throw unsupported();
      return new InstanceNorm2d(features, { eps, affine, momentum: opts.momentum });
    case 'dyt':
      if (layout === 'channels') throw unsupported();
      return new DyT([features], { alphaInit: opts.alphaInit });
    default:
      throw new RangeError(`makeNorm: unknown normalization '${String(kind)}' (expected one of ${normKinds.map((k) => `'${k}'`).join(', ')})`);
  }
}
