/**
 * Multi-layer recurrent layers, as `torch.nn.RNN`, `torch.nn.GRU` and
 * `torch.nn.LSTM`: same constructor options (camelCase), same parameter
 * names (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, with
 * `_reverse` for the backward direction of a bidirectional layer), same
 * gate order (GRU r, z, n; LSTM i, f, g, o), same initialization
 * U(-1/sqrt(H), 1/sqrt(H)), so PyTorch checkpoints load unchanged.
 *
 * Per layer and direction, from PyTorch's docs:
 *   RNN:  h' = act(W_ih x + b_ih + W_hh h + b_hh)                        act = tanh or relu
 *   GRU:  r = sigma(.._r), z = sigma(.._z), n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
 *         h' = (1 - z) n + z h
 *   LSTM: i, f, o = sigma(..), g = tanh(..);  c' = f c + i g;  h' = o tanh(c')
 * Layer l > 0 takes the previous layer's output (both directions
 * concatenated); `dropout` applies to every layer's output but the last, in
 * training. Built from recorded ops, so gradients come from autograd.
 */
import { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import type { DType } from '../tensor/dtype.js';
import { fmtShape } from '../tensor/shape.js';
import type { Rng } from '../tensor/random.js';
import { defaultRng } from '../tensor/random.js';
import { noGrad } from '../autograd/grad-mode.js';
import { add, mul, relu, sigmoid, sub, tanh } from '../functional/elementwise.js';
import { concat, permute, reshape, slice, stack } from '../functional/shape-ops.js';
import { linear } from '../functional/linear.js';
import { dropout as dropoutF } from '../functional/dropout.js';
import { checkOptions, unsupported } from '../options.js';
import { uniform_ } from './init.js';
import { Module } from './module.js';

/** Options of `RNN`, `GRU`, `LSTM` (PyTorch's keywords, camelCase). */
export interface RecurrentOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** `RNN` only: 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
  /** Biases `bias_ih_l*`, `bias_hh_l*` (default true). */
  bias?: boolean;
  /** Input and output as [B, T, *] instead of [T, B, *] (default false). */
  batchFirst?: boolean;
  /** Dropout on each layer's output except the last, training only (default 0). */
  dropout?: number;
  /** A second, time-reversed direction per layer (default false). */
  bidirectional?: boolean;
  /** `LSTM` only: only 0 (no projection) is supported. */
  projSize?: number;
  /** Storage type of the parameters (default 'float32'). */
  dtype?: DType;
  /** Generator for the initial weights and dropout masks. */
  rng?: Rng;
}

type Mode = 'RNN_TANH' | 'RNN_RELU' | 'GRU' | 'LSTM';

abstract class RecurrentBase extends Module {
  readonly mode: Mode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  private readonly rng: Rng | null;

  constructor(name: string, mode: Mode | 'RNN', inputSize: number, hiddenSize: number, opts: RecurrentOptions) {
    super();
    checkOptions(name, opts, ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional', 'dtype', 'rng', ...(mode === 'RNN' ? ['nonlinearity'] : []), ...(mode === 'LSTM' ? ['projSize'] : [])]);
    unsupported(name, 'projSize', opts.projSize, 0);
    for (const [k, v] of [['inputSize', inputSize], ['hiddenSize', hiddenSize], ['numLayers', opts.numLayers ?? 1]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name}: ${k} must be a positive integer, got ${v}`);
    }
    if (mode === 'RNN') {
      const nl = opts.nonlinearity ?? 'tanh';
      if (nl !== 'tanh' && nl !== 'relu') throw new RangeError(`${name}: nonlinearity must be 'tanh' or 'relu', got '${String(nl)}'`);
      this.mode = nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU';
    } else this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = opts.numLayers ?? 1;
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new RangeError(`${name}: dropout must be in [0, 1], got ${this.dropout}`);
    this.bidirectional = opts.bidirectional ?? false;
    this.rng = opts.rng ?? null;
    const G = this.gates * hiddenSize;
    const D = this.bidirectional ? 2 : 1;
    const dtype = opts.dtype ?? 'float32';
    for (let l = 0; l < this.numLayers; l++) {
      const inL = l === 0 ? inputSize : hiddenSize * D;
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        this.registerParameter(`weight_ih${sfx}`, zeros([G, inL], { dtype }));
        this.registerParameter(`weight_hh${sfx}`, zeros([G, hiddenSize], { dtype }));
        if (this.bias) {
          this.registerParameter(`bias_ih${sfx}`, zeros([G], { dtype }));
          this.registerParameter(`bias_hh${sfx}`, zeros([G], { dtype }));
        }
      }
    }
    this.resetParameters(opts.rng);
  }

  /** Gate blocks: 1 (RNN), 3 (GRU), 4 (LSTM). */
  get gates(): number {
    return this.mode === 'GRU' ? 3 : this.mode === 'LSTM' ? 4 : 1;
  }

  /** Every weight and bias from U(-1/sqrt(H), 1/sqrt(H)), as PyTorch's reset_parameters. */
  resetParameters(rng?: Rng): void {
    const k = 1 / Math.sqrt(this.hiddenSize);
    noGrad(() => {
      for (const p of this._parameters.values()) if (p) uniform_(p, -k, k, { rng });
    });
  }

  /** One time step of one layer/direction: new [h, c]. */
  private cell(x: Tensor, h: Tensor, c: Tensor | null, sfx: string): [Tensor, Tensor | null] {
    const H = this.hiddenSize;
    const gi = linear(x, this.param(`weight_ih${sfx}`)!, this.param(`bias_ih${sfx}`));
    const gh = linear(h, this.param(`weight_hh${sfx}`)!, this.param(`bias_hh${sfx}`));
    switch (this.mode) {
      case 'RNN_TANH': return [tanh(add(gi, gh)), null];
      case 'RNN_RELU': return [relu(add(gi, gh)), null];
      case 'GRU': {
        const rz = sigmoid(add(slice(gi, 1, 0, 2 * H), slice(gh, 1, 0, 2 * H)));
        const r = slice(rz, 1, 0, H);
        const z = slice(rz, 1, H, 2 * H);
        const n = tanh(add(slice(gi, 1, 2 * H, 3 * H), mul(r, slice(gh, 1, 2 * H, 3 * H))));
        return [add(n, mul(z, sub(h, n))), null]; // (1 - z) n + z h
      }
      default: {
        const a = add(gi, gh);
        const ifg = sigmoid(slice(a, 1, 0, 2 * H));
        const g = tanh(slice(a, 1, 2 * H, 3 * H));
        const o = sigmoid(slice(a, 1, 3 * H, 4 * H));
        const cNext = add(mul(slice(ifg, 1, H, 2 * H), c!), mul(slice(ifg, 1, 0, H), g));
        return [mul(o, tanh(cNext)), cNext];
      }
    }
  }

  /** Shared forward: input [T, B, I] (or [B, T, I] with batchFirst, or [T, I] unbatched). */
  protected run(input: Tensor, h0: Tensor | null, c0: Tensor | null): [Tensor, Tensor, Tensor | null] {
    const name = this.typeName;
    const unbatched = input.ndim === 2;
    if (input.ndim !== 2 && input.ndim !== 3) throw new RangeError(`${name}: expected input of 2 or 3 dims, got ${fmtShape(input.shape)}`);
    if (input.shape[input.ndim - 1] !== this.inputSize) throw new RangeError(`${name}: input.size(-1) must be equal to inputSize. Expected ${this.inputSize}, got ${input.shape[input.ndim - 1]}`);
    let x = unbatched ? reshape(input, [input.shape[0]!, 1, this.inputSize]) : this.batchFirst ? permute(input, [1, 0, 2]) : input;
    const [T, B] = x.shape as [number, number];
    const D = this.bidirectional ? 2 : 1;
    const H = this.hiddenSize;
    const L = this.numLayers;
    const state = (t: Tensor | null, what: string) => {
      if (!t) return null;
      const s = unbatched ? reshape(t, [t.shape[0]!, 1, H]) : t;
      if (s.ndim !== 3 || s.shape[0] !== L * D || s.shape[1] !== B || s.shape[2] !== H) {
        throw new RangeError(`${name}: expected ${what} of shape ${fmtShape(unbatched ? [L * D, H] : [L * D, B, H])}, got ${fmtShape(t.shape)}`);
      }
      return s;
    };
    const hs = state(h0, 'hidden state');
    const cs = state(c0, 'cell state');
    const lstm = this.mode === 'LSTM';
    const hN: Tensor[] = [];
    const cN: Tensor[] = [];
    for (let l = 0; l < L; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const k = l * D + d;
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        let h = hs ? reshape(slice(hs, 0, k, k + 1), [B, H]) : zeros([B, H], { dtype: x.dtype });
        let c: Tensor | null = lstm ? (cs ? reshape(slice(cs, 0, k, k + 1), [B, H]) : zeros([B, H], { dtype: x.dtype })) : null;
        const ys: Tensor[] = new Array(T);
        for (let s = 0; s < T; s++) {
          const t = d === 0 ? s : T - 1 - s;
          [h, c] = this.cell(reshape(slice(x, 0, t, t + 1), [B, x.shape[2]!]), h, c, sfx);
          ys[t] = h;
        }
        outs.push(stack(ys, 0));
        hN.push(h);
        if (c) cN.push(c);
      }
      x = D === 1 ? outs[0]! : concat(outs, 2);
      if (this.dropout > 0 && this.training && l < L - 1) x = dropoutF(x, this.dropout, true, this.rng ?? defaultRng());
    }
    let out = x;
    let hOut = stack(hN, 0);
    let cOut = lstm ? stack(cN, 0) : null;
    if (unbatched) {
      out = reshape(out, [T, D * H]);
      hOut = reshape(hOut, [L * D, H]);
      if (cOut) cOut = reshape(cOut, [L * D, H]);
    } else if (this.batchFirst) out = permute(out, [1, 0, 2]);
    return [out, hOut, cOut];
  }

  override extraRepr(): string {
    const parts = [`${this.inputSize}, ${this.hiddenSize}`];
    if (this.numLayers !== 1) parts.push(`numLayers=${this.numLayers}`);
    if (this.mode === 'RNN_RELU') parts.push(`nonlinearity='relu'`);
    if (!this.bias) parts.push('bias=false');
    if (this.batchFirst) parts.push('batchFirst=true');
    if (this.dropout) parts.push(`dropout=${this.dropout}`);
    if (this.bidirectional) parts.push('bidirectional=true');
    return parts.join(', ');
  }
}

/** Elman RNN, `torch.nn.RNN`: forward(input, h0?) -> [output, hN]. See the module doc. */
export class RNN extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions = {}) {
    super('RNN', 'RNN', inputSize, hiddenSize, opts);
  }
  forward(input: Tensor, h0?: Tensor | null): [Tensor, Tensor] {
    const [o, h] = this.run(input, h0 ?? null, null);
    return [o, h];
  }
}

/** GRU (Cho et al. 2014), `torch.nn.GRU`: forward(input, h0?) -> [output, hN]. See the module doc. */
export class GRU extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions = {}) {
    super('GRU', 'GRU', inputSize, hiddenSize, opts);
  }
  forward(input: Tensor, h0?: Tensor | null): [Tensor, Tensor] {
    const [o, h] = this.run(input, h0 ?? null, null);
    return [o, h];
  }
}

/** LSTM (Hochreiter & Schmidhuber 1997), `torch.nn.LSTM`: forward(input, [h0, c0]?) -> [output, [hN, cN]]. */
export class LSTM extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions = {}) {
    super('LSTM', 'LSTM', inputSize, hiddenSize, opts);
  }
  forward(input: Tensor, state?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    const [o, h, c] = this.run(input, state?.[0] ?? null, state?.[1] ?? null);
    return [o, [h, c!]];
  }
}
