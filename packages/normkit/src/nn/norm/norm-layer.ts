/**
 * NormLayer: the common shape of every normalization module. API.md promises
 * the same properties on all of them (`weight`, `bias`, `runningMean`,
 * `runningVar`, `numBatchesTracked`), so they are read here from the
 * registered parameters and buffers, once, instead of in each layer:
 * a layer without a parameter or buffer simply never registers it and the
 * getter gives null (or 0).
 */
import { Module } from '../module.js';
import type { Tensor } from '../../tensor/tensor.js';

export abstract class NormLayer extends Module {
  /** The gain (`weight`, read through any parametrization), or null when the layer has none. */
  get weight(): Tensor | null {
    return this.param('weight');
  }

  /** The shift (`bias`), or null when the layer has none. */
  get bias(): Tensor | null {
    return this.param('bias');
  }

  /** Buffer `running_mean`, or null for layers that keep no running statistics. */
  get runningMean(): Tensor | null {
    return this.getBuffer('running_mean');
  }

  /** Buffer `running_var`, or null for layers that keep no running statistics. */
  get runningVar(): Tensor | null {
    return this.getBuffer('running_var');
  }

  /** Training steps counted in buffer `num_batches_tracked`; 0 when not tracking. */
  get numBatchesTracked(): number {
    const t = this.getBuffer('num_batches_tracked');
    return t ? t.data[0]! : 0;
  }

  /** Weight to ones and bias to zeros (where present); layers with more state extend this. */
  resetParameters(): void {
    this.getParameter('weight')?.data.fill(1);
    this.getParameter('bias')?.data.fill(0);
  }
}
