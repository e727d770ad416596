/**
 * Recurrent cells, GRUCell and LSTMCell, as PyTorch's (parameter names
 * `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`; gate order r, z, n for the
 * GRU and i, f, g, o for the LSTM; init U(-1/sqrt(H), 1/sqrt(H))), with the
 * optional layer normalization of Ba et al. 2016 ("Layer Normalization",
 * section 3.1 and eq. 20-22):
 *
 *   a = LN_ih(W_ih x) + LN_hh(W_hh h) + b          (each LN over all gate pre-activations together)
 *   LSTM:  c' = sigma(f) c + sigma(i) tanh(g);   h' = sigma(o) tanh(LN_c(c'))
 *
 * The ih/hh normalizations have a gain and no shift (the cell's biases play
 * that role); LN_c has both. `lnGain` sets the initial gains (Ba et al.
 * study 1.0 against smaller inits).
 */
import { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import { fmtShape } from '../tensor/shape.js';
import type { Rng } from '../tensor/random.js';
import { noGrad } from '../autograd/grad-mode.js';
import { add, mul, sigmoid, sub, tanh } from '../functional/elementwise.js';
import { slice } from '../functional/shape-ops.js';
import { linear } from '../functional/linear.js';
import { uniform_ } from './init.js';
import { Module } from './module.js';
import { LayerNorm } from './norm/layer-norm.js';
import { checkOptions } from '../options.js';

/** Options of the recurrent cells. */
export interface RNNCellOptions {
  /** Biases `bias_ih`, `bias_hh` (default true). */
  bias?: boolean;
  /** Layer-normalize the input and recurrent pre-activations (and the LSTM cell), Ba et al. 2016 (default false). */
  layerNorm?: boolean;
  /** Initial gain of the layer normalizations (default 1). */
  lnGain?: number;
  /** LayerNorm epsilon (default 1e-5). */
  eps?: number;
  /** Generator for the initial weights. */
  rng?: Rng;
}

/** Shared construction of the weights of a cell with `gates` gate blocks. */
abstract class RNNCellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly layerNorm: boolean;
  readonly lnIh: LayerNorm | null;
  readonly lnHh: LayerNorm | null;
  private readonly gates: number;

  constructor(name: string, gates: number, inputSize: number, hiddenSize: number, opts: RNNCellOptions) {
    super();
    checkOptions(name, opts, ['bias', 'layerNorm', 'lnGain', 'eps', 'rng']);
    for (const [k, v] of [['inputSize', inputSize], ['hiddenSize', hiddenSize]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name}: ${k} must be a positive integer, got ${v}`);
    }
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.gates = gates;
    this.layerNorm = opts.layerNorm ?? false;
    const G = gates * hiddenSize;
    this.registerParameter('weight_ih', zeros([G, inputSize]));
    this.registerParameter('weight_hh', zeros([G, hiddenSize]));
    const bias = opts.bias ?? true;
    this.registerParameter('bias_ih', bias ? zeros([G]) : null);
    this.registerParameter('bias_hh', bias ? zeros([G]) : null);
    const ln = (shift: boolean) => new LayerNorm([G], { eps: opts.eps, bias: shift });
    this.lnIh = this.layerNorm ? this.registerModule('ln_ih', ln(false)) : null;
    this.lnHh = this.layerNorm ? this.registerModule('ln_hh', ln(false)) : null;
    this.resetParameters(opts.rng);
    if (this.layerNorm) this.setLnGain(opts.lnGain ?? 1);
  }

  /** Re-draw all weights and biases from U(-1/sqrt(H), 1/sqrt(H)), as PyTorch. */
  resetParameters(rng?: Rng): void {
    const k = 1 / Math.sqrt(this.hiddenSize);
    noGrad(() => {
      for (const n of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']) {
        const p = this.getParameter(n);
        if (p) uniform_(p, -k, k, { rng });
      }
    });
  }

  /** Set the gains of every LayerNorm in the cell (no-op without layerNorm). */
  setLnGain(gain: number): void {
    for (const m of this.modules()) if (m instanceof LayerNorm) m.getParameter('weight')?.data.fill(gain);
  }

  protected checkInput(name: string, x: Tensor, h: Tensor | null, c: Tensor | null = null): void {
    if (x.ndim !== 2 || x.shape[1] !== this.inputSize) {
      throw new RangeError(`${name}: expected input with shape [B, ${this.inputSize}], got ${fmtShape(x.shape)}`);
    }
    const B = x.shape[0]!;
    for (const [k, t] of [['hidden state', h], ['cell state', c]] as const) {
      if (t && (t.ndim !== 2 || t.shape[0] !== B || t.shape[1] !== this.hiddenSize)) {
        throw new RangeError(`${name}: expected ${k} with shape [${B}, ${this.hiddenSize}], got ${fmtShape(t.shape)}`);
      }
    }
  }

  /** The input and recurrent gate pre-activations [B, gates*H], normalized when `layerNorm`. */
  protected preActivations(x: Tensor, h: Tensor): [Tensor, Tensor] {
    const bih = this.param('bias_ih');
    const bhh = this.param('bias_hh');
    if (!this.layerNorm) {
      return [linear(x, this.param('weight_ih')!, bih), linear(h, this.param('weight_hh')!, bhh)];
    }
    let gi = this.lnIh!.forward(linear(x, this.param('weight_ih')!));
    let gh = this.lnHh!.forward(linear(h, this.param('weight_hh')!));
    if (bih) gi = add(gi, bih);
    if (bhh) gh = add(gh, bhh);
    return [gi, gh];
  }

  override extraRepr(): string {
    const b = this._parameters.get('bias_ih') !== null;
    return `${this.inputSize}, ${this.hiddenSize}${b ? '' : ', bias=false'}${this.layerNorm ? ', layerNorm=true' : ''}`;
  }

  /** Number of gate blocks (3 for GRU, 4 for LSTM). */
  get numGates(): number {
    return this.gates;
  }
}

/**
 * GRU cell (Cho et al. 2014), PyTorch's formulation:
 *   r = sigma(a_r),  z = sigma(a_z)          (a = input part + recurrent part)
 *   n = tanh(a^x_n + r * a^h_n)
 *   h' = (1 - z) n + z h
 * Input x [B, inputSize], state h [B, hiddenSize] (zeros when omitted); returns h'.
 */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNCellOptions = {}) {
    super('GRUCell', 3, inputSize, hiddenSize, opts);
  }

  forward(x: Tensor, h?: Tensor | null): Tensor {
    this.checkInput('GRUCell', x, h ?? null);
    const H = this.hiddenSize;
    const hPrev = h ?? zeros([x.shape[0]!, H], { dtype: x.dtype });
    const [gi, gh] = this.preActivations(x, hPrev);
    const rz = sigmoid(add(slice(gi, 1, 0, 2 * H), slice(gh, 1, 0, 2 * H)));
    const r = slice(rz, 1, 0, H);
    const z = slice(rz, 1, H, 2 * H);
    const n = tanh(add(slice(gi, 1, 2 * H, 3 * H), mul(r, slice(gh, 1, 2 * H, 3 * H))));
    return add(n, mul(z, sub(hPrev, n))); // (1 - z) n + z h
  }
}

/**
 * LSTM cell (Hochreiter & Schmidhuber 1997), PyTorch's formulation:
 *   i, f, o = sigma(a_i), sigma(a_f), sigma(a_o);  g = tanh(a_g)
 *   c' = f c + i g;   h' = o tanh(c')        (tanh(LN_c(c')) with layerNorm)
 * Input x [B, inputSize], state [h, c] (zeros when omitted); returns [h', c'].
 */
export class LSTMCell extends RNNCellBase {
  readonly lnCell: LayerNorm | null;

  constructor(inputSize: number, hiddenSize: number, opts: RNNCellOptions = {}) {
    super('LSTMCell', 4, inputSize, hiddenSize, opts);
    this.lnCell = this.layerNorm ? this.registerModule('ln_cell', new LayerNorm([hiddenSize], { eps: opts.eps })) : null;
    if (this.layerNorm) this.setLnGain(opts.lnGain ?? 1);
  }

  forward(x: Tensor, state?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    this.checkInput('LSTMCell', x, state?.[0] ?? null, state?.[1] ?? null);
    const H = this.hiddenSize;
    const B = x.shape[0]!;
    const h = state?.[0] ?? zeros([B, H], { dtype: x.dtype });
    const c = state?.[1] ?? zeros([B, H], { dtype: x.dtype });
    const [gi, gh] = this.preActivations(x, h);
    const a = add(gi, gh);
    const ifg = sigmoid(slice(a, 1, 0, 2 * H));
    const i = slice(ifg, 1, 0, H);
    const f = slice(ifg, 1, H, 2 * H);
    const g = tanh(slice(a, 1, 2 * H, 3 * H));
    const o = sigmoid(slice(a, 1, 3 * H, 4 * H));
    const cNext = add(mul(f, c), mul(i, g));
    const hNext = mul(o, tanh(this.lnCell ? this.lnCell.forward(cNext) : cNext));
    return [hNext, cNext];
  }
}
