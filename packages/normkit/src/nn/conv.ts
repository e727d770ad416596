/**
 * 2-D convolution layer, as `torch.nn.Conv2d` (NCHW; zero padding only).
 */
import { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import type { Rng } from '../tensor/random.js';
import { noGrad } from '../autograd/grad-mode.js';
import { type Size2, conv2d, pair } from '../functional/conv.js';
import { defaultLayerInit } from './init.js';
import { Layer } from './layer.js';
import type { DType } from '../tensor/dtype.js';
import { checkOptions, unsupported } from '../options.js';

/** Options of `Conv2d`. */
export interface Conv2dLayerOptions {
  /** Window step (default 1). */
  stride?: Size2;
  /** Zero padding on each side (default 0). */
  padding?: Size2;
  /** Learn a per-output-channel bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the global one). */
  rng?: Rng;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Independent channel groups (default 1; both channel counts must be divisible by it). */
  groups?: number;
  /** Only 'zeros' (the default) is supported; 'reflect', 'replicate', 'circular' throw. */
  paddingMode?: 'zeros';
  /** Storage type of the parameters (default 'float32'). */
  dtype?: DType;
}

/**
 * `y[n, o] = b[o] + sum_c W[o, c] (*) x[n, c]` (cross-correlation), via
 * im2col + gemm. Input [N, inC, H, W], output [N, outC, OH, OW] with
 * OH = floor((H + 2 padding - k) / stride) + 1. Parameters `weight`
 * [outC, inC, kh, kw] and `bias` [outC], initialized as PyTorch
 * (U(-1/sqrt(fanIn), 1/sqrt(fanIn)), fanIn = inC kh kw).
 */
export class Conv2d extends Layer {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, opts: Conv2dLayerOptions = {}) {
    super();
    checkOptions('Conv2d', opts, ['stride', 'padding', 'bias', 'rng', 'dilation', 'groups', 'paddingMode', 'dtype']);
    unsupported('Conv2d', 'paddingMode', opts.paddingMode, 'zeros');
    for (const [k, v] of [['inChannels', inChannels], ['outChannels', outChannels]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Conv2d: ${k} must be a positive integer, got ${v}`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, 'Conv2d kernelSize', 1);
    this.stride = pair(opts.stride ?? 1, 'Conv2d stride', 1);
    this.padding = pair(opts.padding ?? 0, 'Conv2d padding', 0);
    this.dilation = pair(opts.dilation ?? 1, 'Conv2d dilation', 1);
    const groups = (this.groups = opts.groups ?? 1);
    if (!Number.isInteger(groups) || groups < 1 || inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new RangeError(`Conv2d: groups must be a positive integer dividing inChannels (${inChannels}) and outChannels (${outChannels}), got ${groups}`);
    }
    const dtype = opts.dtype ?? 'float32';
    this.registerParameter('weight', zeros([outChannels, inChannels / groups, ...this.kernelSize], { dtype }));
    this.registerParameter('bias', opts.bias ?? true ? zeros([outChannels], { dtype }) : null);
    this.resetParameters(opts.rng);
  }

  /** The effective weight [outC, inC, kh, kw] (computed when parametrized). */
  get weight(): Tensor | null {
    return this.param('weight');
  }

  /** The bias [outC], or null. */
  get bias(): Tensor | null {
    return this.param('bias');
  }

  /** Re-draw the weights as at construction. */
  resetParameters(rng?: Rng): void {
    const w = this.getParameter('weight');
    if (!w) return;
    noGrad(() => defaultLayerInit(w, this.getParameter('bias'), rng));
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.param('weight')!, this.param('bias'), { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  override extraRepr(): string {
    const b = this._parameters.get('bias') !== null;
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize.join(', ')}], stride=[${this.stride.join(', ')}], padding=[${this.padding.join(', ')}]${this.dilation[0] !== 1 || this.dilation[1] !== 1 ? `, dilation=[${this.dilation.join(', ')}]` : ''}${this.groups !== 1 ? `, groups=${this.groups}` : ''}${b ? '' : ', bias=false'}`;
  }
}
