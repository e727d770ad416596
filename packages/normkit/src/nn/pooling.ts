/**
 * Pooling and reshaping layers for CNNs: MaxPool2d, AvgPool2d,
 * GlobalAvgPool2d (= AdaptiveAvgPool2d(1)), Flatten.
 */
import type { Tensor } from '../tensor/tensor.js';
import { type Size2, pair } from '../functional/conv.js';
import { type AvgPool2dOptions, type MaxPool2dOptions, avgPool2d, globalAvgPool2d, maxPool2d } from '../functional/pool.js';
import { checkOptions } from '../options.js';

/** Options of the pooling layers: PyTorch's keyword arguments in camelCase (`stride`, `padding` may go here too). */
export type Pool2dLayerOptions<O> = O & { stride?: Size2 | null; padding?: Size2 };

/** `new MaxPool2d(2, { stride: 1, ceilMode: true })` or positional `(2, 1, 0, { ceilMode: true })`. */
function poolArgs<O extends object>(
  where: string, keys: readonly string[], stride: Size2 | null | undefined | Pool2dLayerOptions<O>, padding: Size2 | undefined, opts: O | undefined,
): { stride: Size2 | null | undefined; padding: Size2; opts: O } {
  if (stride !== null && typeof stride === 'object' && !Array.isArray(stride)) {
    if (padding !== undefined || opts !== undefined) throw new TypeError(`${where}: pass options either as the second argument or after padding, not both`);
    const o = stride as Pool2dLayerOptions<O>;
    checkOptions(where, o, ['stride', 'padding', ...keys]);
    const { stride: st, padding: pd, ...rest } = o;
    return { stride: st, padding: pd ?? 0, opts: rest as unknown as O };
  }
  checkOptions(where, opts, keys);
  return { stride: stride as Size2 | null | undefined, padding: padding ?? 0, opts: (opts ?? {}) as O };
}
import { flatten } from '../functional/shape-ops.js';
import { Layer } from './layer.js';

/**
 * Max over `kernelSize` windows of an NCHW input (stride defaults to
 * kernelSize), as `torch.nn.MaxPool2d`, with `ceilMode` (see `maxPool2d`).
 */
export class MaxPool2d extends Layer {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;
  private readonly opts: MaxPool2dOptions;

  constructor(kernelSize: Size2, stride?: Size2 | null | Pool2dLayerOptions<MaxPool2dOptions>, padding?: Size2, opts?: MaxPool2dOptions) {
    super();
    const a = poolArgs('MaxPool2d', ['ceilMode', 'dilation', 'returnIndices'], stride, padding, opts);
    this.kernelSize = pair(kernelSize, 'MaxPool2d kernelSize', 1);
    this.stride = pair(a.stride ?? kernelSize, 'MaxPool2d stride', 1);
    this.padding = pair(a.padding, 'MaxPool2d padding', 0);
    this.opts = a.opts;
    this.ceilMode = a.opts.ceilMode ?? false;
    if (a.opts.returnIndices) throw new TypeError('MaxPool2d: option returnIndices=true is not supported (only false)');
    const d = pair(a.opts.dilation ?? 1, 'MaxPool2d dilation', 1);
    if (d[0] !== 1 || d[1] !== 1) throw new TypeError(`MaxPool2d: option dilation=${JSON.stringify(a.opts.dilation)} is not supported (only 1)`);
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.stride, this.padding, this.opts);
  }

  override extraRepr(): string {
    return `kernelSize=[${this.kernelSize.join(', ')}], stride=[${this.stride.join(', ')}], padding=[${this.padding.join(', ')}]${this.ceilMode ? ', ceilMode=true' : ''}`;
  }
}

/**
 * Mean over `kernelSize` windows of an NCHW input, as `torch.nn.AvgPool2d`,
 * with `ceilMode`, `countIncludePad` (default true: padding counts as zeros
 * in the divisor) and `divisorOverride` (see `avgPool2d`).
 */
export class AvgPool2d extends Layer {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(kernelSize: Size2, stride?: Size2 | null | Pool2dLayerOptions<AvgPool2dOptions>, padding?: Size2, opts?: AvgPool2dOptions) {
    super();
    const a = poolArgs('AvgPool2d', ['ceilMode', 'countIncludePad', 'divisorOverride'], stride, padding, opts);
    this.kernelSize = pair(kernelSize, 'AvgPool2d kernelSize', 1);
    this.stride = pair(a.stride ?? kernelSize, 'AvgPool2d stride', 1);
    this.padding = pair(a.padding, 'AvgPool2d padding', 0);
    this.ceilMode = a.opts.ceilMode ?? false;
    this.countIncludePad = a.opts.countIncludePad ?? true;
    this.divisorOverride = a.opts.divisorOverride ?? null;
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.stride, this.padding, { ceilMode: this.ceilMode, countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride });
  }

  override extraRepr(): string {
    return `kernelSize=[${this.kernelSize.join(', ')}], stride=[${this.stride.join(', ')}], padding=[${this.padding.join(', ')}]${this.ceilMode ? ', ceilMode=true' : ''}${this.countIncludePad ? '' : ', countIncludePad=false'}${this.divisorOverride !== null ? `, divisorOverride=${this.divisorOverride}` : ''}`;
  }
}

/** Mean over H and W of [N, C, H, W], giving [N, C, 1, 1] (`torch.nn.AdaptiveAvgPool2d(1)`). */
export class GlobalAvgPool2d extends Layer {
  constructor(opts?: Record<string, never>) {
    super();
    checkOptions('GlobalAvgPool2d', opts, []);
  }

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
    if (typeof outputSize === 'object' && !Array.isArray(outputSize)) checkOptions('AdaptiveAvgPool2d', outputSize, []);
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
    for (const v of [startDim, endDim]) {
      if (typeof v === 'object' && v !== null) checkOptions('Flatten', v, []);
      if (!Number.isInteger(v)) throw new TypeError(`Flatten: startDim and endDim must be integers, got ${String(v)}`);
    }
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}
