/**
 * Pooling and reshaping layers for CNNs: MaxPool2d, AvgPool2d,
 * GlobalAvgPool2d (= AdaptiveAvgPool2d(1)), Flatten.
 */
import type { Tensor } from '../tensor/tensor.js';
import { type Size2, pair } from '../functional/conv.js';
import { avgPool2d, globalAvgPool2d, maxPool2d } from '../functional/pool.js';
import { flatten } from '../functional/shape-ops.js';
import { Layer } from './layer.js';

/** Max over `kernelSize` windows of an NCHW input (stride defaults to kernelSize), as `torch.nn.MaxPool2d`. */
export class MaxPool2d extends Layer {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(kernelSize: Size2, stride?: Size2 | null, padding: Size2 = 0) {
    super();
    this.kernelSize = pair(kernelSize, 'MaxPool2d kernelSize', 1);
    this.stride = pair(stride ?? kernelSize, 'MaxPool2d stride', 1);
    this.padding = pair(padding, 'MaxPool2d padding', 0);
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.stride, this.padding);
  }

  override extraRepr(): string {
    return `kernelSize=[${this.kernelSize.join(', ')}], stride=[${this.stride.join(', ')}], padding=[${this.padding.join(', ')}]`;
  }
}

/** Mean over `kernelSize` windows of an NCHW input (padding counted as zeros), as `torch.nn.AvgPool2d`. */
export class AvgPool2d extends Layer {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(kernelSize: Size2, stride?: Size2 | null, padding: Size2 = 0) {
    super();
    this.kernelSize = pair(kernelSize, 'AvgPool2d kernelSize', 1);
    this.stride = pair(stride ?? kernelSize, 'AvgPool2d stride', 1);
    this.padding = pair(padding, 'AvgPool2d padding', 0);
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.stride, this.padding);
  }

  override extraRepr(): string {
    return `kernelSize=[${this.kernelSize.join(', ')}], stride=[${this.stride.join(', ')}], padding=[${this.padding.join(', ')}]`;
  }
}

/** Mean over H and W of [N, C, H, W], giving [N, C, 1, 1] (`torch.nn.AdaptiveAvgPool2d(1)`). */
export class GlobalAvgPool2d extends Layer {
  forward(x: Tensor): Tensor {
    return globalAvgPool2d(x);
  }
}

/**
 * `torch.nn.AdaptiveAvgPool2d` for output size 1 (the only size CNN heads
 * need here); other sizes throw.
 */
export class AdaptiveAvgPool2d extends Layer {
  readonly outputSize: [number, number];

  constructor(outputSize: Size2 = 1) {
    super();
    this.outputSize = pair(outputSize, 'AdaptiveAvgPool2d outputSize', 1);
    if (this.outputSize[0] !== 1 || this.outputSize[1] !== 1) {
      throw new RangeError(`AdaptiveAvgPool2d: only outputSize 1 is supported, got [${this.outputSize.join(', ')}]`);
    }
  }

  forward(x: Tensor): Tensor {
    return globalAvgPool2d(x);
  }

  override extraRepr(): string {
    return `outputSize=[${this.outputSize.join(', ')}]`;
  }
}

/** Flatten dims `startDim..endDim` into one (defaults 1 and -1: keep the batch dim), as `torch.nn.Flatten`. */
export class Flatten extends Layer {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}
