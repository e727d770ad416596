/**
 * `SyncBatchNorm`: BatchNorm whose training statistics cover the whole batch
 * of a data-parallel step, merged across the replicas every step (PyTorch's
 * `torch.nn.SyncBatchNorm`; see functional/sync-batch-norm.ts for the
 * formulas). Same parameters, buffers and state-dict names as BatchNorm
 * (`weight`, `bias`, `running_mean`, `running_var`, `num_batches_tracked`).
 *
 * Outside a data-parallel replica (no process group on this thread, or a
 * group of one), in evaluation, or without running statistics in
 * evaluation, it is exactly BatchNorm, as PyTorch's falls back to
 * `batch_norm` when no synchronization is needed.
 */
import { Module } from '../module.js';
import { Tensor } from '../../tensor/tensor.js';
import { fmtShape, normalizeAxis } from '../../tensor/shape.js';
import { syncBatchNorm } from '../../functional/sync-batch-norm.js';
import { getProcessGroup } from '../../parallel/process-group.js';
import { BatchNorm, type GenericBatchNormOptions } from './batch-norm.js';

export class SyncBatchNorm extends BatchNorm {
  /**
   * `axis` is 1 (PyTorch's layout, the default) or -1 (the feature axis of the
   * library's MLP norms, which is dim 1 for their [N, F] inputs); synchronized
   * statistics need the channels at dim 1 of the input.
   */
  constructor(numFeatures: number, opts: GenericBatchNormOptions = {}) {
    const axis = opts.axis ?? 1;
    if (axis !== 1 && axis !== -1) throw new RangeError(`${new.target.name}: axis must be 1 or -1 (channels at dim 1), got ${axis}`);
    super(numFeatures, { ...opts, axis });
  }

  protected override checkInputDim(x: Tensor): void {
    if (x.ndim < 2) throw new RangeError(`expected at least 2D input (got ${x.ndim}D input)`);
  }

  /** Normalize `x` [N, C, *] with the statistics of every replica's batch when training. */
  override forward(x: Tensor): Tensor {
    const group = getProcessGroup();
    if (!this.training || group === null || group.worldSize === 1) return super.forward(x);
    this.checkInputDim(x);
    if (normalizeAxis(this.axis, x.ndim) !== 1) {
      throw new RangeError(`${this.typeName}: synchronized statistics need the channels at dim 1, but axis ${this.axis} of a ${x.ndim}D input is dim ${normalizeAxis(this.axis, x.ndim)}`);
    }
    if (x.shape[1] !== this.numFeatures) {
      throw new RangeError(`${this.typeName}: expected input with ${this.numFeatures} channels at dim 1 (numFeatures=${this.numFeatures}), got ${x.shape[1]} in input of shape ${fmtShape(x.shape)}`);
    }
    const factor = this.stepRunningStats();
    const track = this.trackRunningStats;
    return syncBatchNorm(x, track ? this.runningMean : null, track ? this.runningVar : null, this.weight, this.bias,
      factor, this.eps, group, this.unbiasedRunningVar);
  }

  /**
   * Replace every BatchNorm1d/2d/3d (and generic BatchNorm with axis 1 or -1)
   * inside `module` (or `module` itself) by a
   * SyncBatchNorm that keeps its parameters, buffers (the same tensors),
   * options and train/eval mode (PyTorch: `convert_sync_batchnorm`). Returns
   * the converted module (a new one when `module` itself was a BatchNorm).
   */
  static convertSyncBatchnorm<M extends Module>(module: M): M | SyncBatchNorm {
    const convert = (bn: BatchNorm): SyncBatchNorm => {
      const s = new SyncBatchNorm(bn.numFeatures, bn.getConfig());
      for (const name of ['weight', 'bias']) {
        const p = bn.getParameter(name);
        if (p === null && s.getParameter(name) === null) continue;
        // registerParameter turns requiresGrad on: a frozen layer must stay frozen (PyTorch moves the Parameter as is)
        const frozen = p !== null && !p.requiresGrad;
        s.registerParameter(name, p);
        if (frozen) p.requiresGrad = false;
      }
      for (const name of ['running_mean', 'running_var', 'num_batches_tracked']) s.registerBuffer(name, bn.getBuffer(name));
      s.train(bn.training);
      return s;
    };
    // every BatchNorm over channels at dim 1 (BatchNorm1d/2d/3d, and the generic one with axis 1), as PyTorch's _BatchNorm
    const isBn = (m: Module): m is BatchNorm => m instanceof BatchNorm && !(m instanceof SyncBatchNorm) && (m.axis === 1 || m.axis === -1);
    if (isBn(module)) return convert(module);
    for (const parent of [...module.modules()]) {
      for (const [name, child] of [...parent.namedChildren()]) {
        if (!isBn(child)) continue;
        const sync = convert(child);
        parent.registerModule(name, sync);
        // layers keep their children in fields too (this.norm = ...), and containers in arrays
        const fields = parent as unknown as Record<string, unknown>;
        for (const k of Object.keys(fields)) {
          const v = fields[k];
          if (v === child) fields[k] = sync;
          else if (Array.isArray(v)) v.forEach((e, i) => { if (e === child) v[i] = sync; });
        }
      }
    }
    return module;
  }

  /** PyTorch's name for {@link SyncBatchNorm.convertSyncBatchnorm}. */
  static convert_sync_batchnorm<M extends Module>(module: M): M | SyncBatchNorm {
    return SyncBatchNorm.convertSyncBatchnorm(module);
  }
}
