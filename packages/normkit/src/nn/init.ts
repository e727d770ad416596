/**
 * Weight initializers, as `torch.nn.init`: each fills a tensor in place
 * (without recording a graph) and returns it. All draw from an `Rng`: the
 * global one (seeded by `manualSeed`) unless `opts.rng` is given, so the same
 * seed gives the same weights everywhere.
 *
 * Fans follow PyTorch: for a weight [out, in, k...], fanIn = in * prod(k) and
 * fanOut = out * prod(k).
 */
import type { Tensor } from '../tensor/tensor.js';
import { fmtShape } from '../tensor/shape.js';
import { type Rng, defaultRng } from '../tensor/random.js';

/** The activation an initializer compensates for (PyTorch's `calculate_gain` names). */
export type Nonlinearity = 'linear' | 'conv2d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu' | 'gelu';

/** Options shared by the random initializers. */
export interface InitOptions {
  /** Generator to draw from (default: the global one). */
  rng?: Rng;
}

/**
 * The recommended gain for a nonlinearity (`torch.nn.init.calculate_gain`):
 * linear/conv/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu sqrt(2 / (1 + slope^2))
 * (slope default 0.01), selu 3/4. GELU is not in PyTorch's table; we use relu's
 * sqrt(2), its large-input behaviour.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv2d': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': case 'gelu': return Math.SQRT2;
    case 'leaky_relu': {
      const s = param ?? 0.01;
      return Math.sqrt(2 / (1 + s * s));
    }
    case 'selu': return 3 / 4;
    default: throw new RangeError(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}' (expected linear, conv2d, sigmoid, tanh, relu, leaky_relu, selu or gelu)`);
  }
}

/** `[fanIn, fanOut]` of a weight of 2 or more dims. */
export function fans(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new RangeError(`fan in and fan out can not be computed for a tensor with fewer than 2 dims, got shape ${fmtShape(t.shape)}`);
  let rf = 1;
  for (let i = 2; i < t.ndim; i++) rf *= t.shape[i]!;
  return [t.shape[1]! * rf, t.shape[0]! * rf];
}

/** Fill with U(low, high). */
export function uniform_(t: Tensor, low = 0, high = 1, opts: InitOptions = {}): Tensor {
  if (!(high >= low)) throw new RangeError(`uniform_: expected low <= high, got low=${low}, high=${high}`);
  const rng = opts.rng ?? defaultRng();
  const d = t.data;
  const w = high - low;
  for (let i = 0; i < d.length; i++) d[i] = low + w * rng.uniform();
  return t;
}

/** Fill with N(mean, std^2). */
export function normal_(t: Tensor, mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  if (!(std >= 0)) throw new RangeError(`normal_: expected std >= 0, got ${std}`);
  const rng = opts.rng ?? defaultRng();
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  return t;
}

/** Fill with a constant. */
export function constant_(t: Tensor, value: number): Tensor {
  t.data.fill(value);
  return t;
}

/** Fill with zeros. */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

/** Fill with ones. */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/** Options of the Xavier initializers. */
export interface XavierOptions extends InitOptions {
  /** Scale (default 1; use `calculateGain` for an activation). */
  gain?: number;
}

/**
 * Glorot & Bengio 2010: U(-a, a) with a = gain sqrt(6 / (fanIn + fanOut)),
 * which keeps the variance of activations and gradients equal across layers
 * for linear units.
 */
export function xavierUniform(t: Tensor, opts: XavierOptions = {}): Tensor {
  const [fi, fo] = fans(t);
  const a = (opts.gain ?? 1) * Math.sqrt(6 / (fi + fo));
  return uniform_(t, -a, a, opts);
}

/** Glorot & Bengio 2010: N(0, std^2) with std = gain sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal(t: Tensor, opts: XavierOptions = {}): Tensor {
  const [fi, fo] = fans(t);
  return normal_(t, 0, (opts.gain ?? 1) * Math.sqrt(2 / (fi + fo)), opts);
}

/** Options of the Kaiming initializers (PyTorch defaults: a=0, mode fanIn, leaky_relu). */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky ReLU after this layer (default 0, plain ReLU). */
  a?: number;
  /** Preserve the variance in the forward pass ('fanIn', default) or the backward ('fanOut'). */
  mode?: 'fanIn' | 'fanOut';
  /** The activation after this layer (default 'leaky_relu', with slope `a`). */
  nonlinearity?: Nonlinearity;
  /** Overrides the gain computed from `nonlinearity` and `a`. */
  gain?: number;
}

function kaimingStd(t: Tensor, opts: KaimingOptions): number {
  const mode = opts.mode ?? 'fanIn';
  if (mode !== 'fanIn' && mode !== 'fanOut') throw new RangeError(`kaiming init: mode must be 'fanIn' or 'fanOut', got '${String(mode)}'`);
  const [fi, fo] = fans(t);
  const fan = mode === 'fanIn' ? fi : fo;
  if (fan === 0) throw new RangeError(`kaiming init: fan is 0 for a tensor of shape ${fmtShape(t.shape)}`);
  const gain = opts.gain ?? calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  return gain / Math.sqrt(fan);
}

/**
 * He et al. 2015: U(-b, b) with b = gain sqrt(3 / fan), so the variance is
 * gain^2 / fan (2 / fanIn for ReLU). PyTorch's Linear and Conv2d default is
 * this with a = sqrt(5), i.e. b = 1 / sqrt(fanIn).
 */
export function kaimingUniform(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const b = Math.sqrt(3) * kaimingStd(t, opts);
  return uniform_(t, -b, b, opts);
}

/** He et al. 2015: N(0, std^2) with std = gain / sqrt(fan). */
export function kaimingNormal(t: Tensor, opts: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, opts), opts);
}

/**
 * PyTorch's default initialization of `nn.Linear` and `nn.Conv*d`:
 * weight ~ kaiming_uniform(a = sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
 * and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (a zero bound when fan_in is 0).
 * In place, outside autograd.
 */
export function defaultLayerInit(weight: Tensor, bias: Tensor | null, rng?: Rng): void {
  kaimingUniform(weight, { a: Math.sqrt(5), rng });
  if (bias) {
    const fi = fans(weight)[0];
    const bound = fi > 0 ? 1 / Math.sqrt(fi) : 0;
    uniform_(bias, -bound, bound, { rng });
  }
}
