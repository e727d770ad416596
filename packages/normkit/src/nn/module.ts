/**
 * Module: the base of every layer, shaped like PyTorch's `nn.Module`.
 * Parameters, buffers and sub-modules live in three ordered maps keyed by
 * the names PyTorch would use (`weight`, `running_mean`, ...), so
 * `stateDict()` keys match PyTorch's and weights move between the two.
 * Disabled parameters are kept as explicit `null` entries.
 */
import { Tensor } from '../tensor/tensor.js';
import { releaseGrad } from '../autograd/backward.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import type { DType } from '../tensor/dtype.js';

/** A module's state: parameter and buffer tensors by dotted name. */
export type StateDict = Record<string, Tensor>;

/** Format a number for `toString()`: `1e-5`, `0.1`, `true`. */
export function fmtValue(v: unknown): string {
  if (typeof v === 'number') {
    if (v !== 0 && Number.isFinite(v) && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) return v.toExponential().replace('e+', 'e');
    return String(v);
  }
  if (Array.isArray(v)) return `[${v.map(fmtValue).join(', ')}]`;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return `'${v}'`;
  return String(v);
}

export abstract class Module {
  /** Training mode (batch statistics, dropout on) vs evaluation mode. */
  training = true;
  protected readonly _parameters = new Map<string, Tensor | null>();
  protected readonly _buffers = new Map<string, Tensor | null>();
  protected readonly _modules = new Map<string, Module | null>();
  /** Parameters whose value is computed from others (weightNorm, spectralNorm). */
  protected readonly _parametrizations = new Map<string, (m: Module) => Tensor>();

  /** The computation. Subclasses define its arguments. */
  abstract forward(...args: never[]): unknown;

  /** Register (or replace) a parameter; `null` records a disabled one. Returns it. */
  registerParameter(name: string, t: Tensor | null): Tensor | null {
    if (t) {
      t.requiresGrad = true;
      t.kept = true; // module state outlives any tidy() it was made in
    }
    this._parameters.set(name, t);
    return t;
  }

  /** Register (or replace) a buffer: state that is saved but not trained. */
  registerBuffer(name: string, t: Tensor | null): Tensor | null {
    if (t) t.kept = true; // module state outlives any tidy() it was made in
    this._buffers.set(name, t);
    return t;
  }

  /** Register a sub-module under `name` (its state appears as `name.*`). */
  registerModule<M extends Module | null>(name: string, m: M): M {
    this._modules.set(name, m);
    return m;
  }

  /** A registered parameter (or null). */
  getParameter(name: string): Tensor | null {
    return this._parameters.get(name) ?? null;
  }

  /**
   * The effective value of parameter `name`: computed by its parametrization
   * when one is registered (weightNorm, spectralNorm), else the stored
   * parameter. Layers read their weights through this in `forward`, so a
   * parametrization applies to any layer without the layer knowing.
   */
  param(name: string): Tensor | null {
    const f = this._parametrizations.get(name);
    return f ? f(this) : (this._parameters.get(name) ?? null);
  }

  /**
   * Make `name` a computed parameter: `compute(module)` gives its value at each
   * read. The stored parameter of that name (if any) is removed; the
   * parametrization registers the parameters it trains itself.
   */
  registerParametrization(name: string, compute: (m: Module) => Tensor): void {
    this._parameters.delete(name);
    this._parametrizations.set(name, compute);
  }

  /**
   * Undo `registerParametrization`: `name` stops being computed. The
   * parametrization's own parameters/buffers are removed by the caller
   * (see removeWeightNorm, removeSpectralNorm), which registers the final
   * value as a plain parameter again.
   */
  removeParametrization(name: string): void {
    if (!this._parametrizations.delete(name)) {
      throw new Error(`removeParametrization: '${name}' is not parametrized in ${this.typeName}`);
    }
  }

  /** Remove a registered parameter (used when a parametrization is undone). */
  deleteParameter(name: string): void {
    this._parameters.delete(name);
  }

  /** Remove a registered buffer (used when a parametrization is undone). */
  deleteBuffer(name: string): void {
    this._buffers.delete(name);
  }

  /** True when `name` is computed by a parametrization. */
  isParametrized(name: string): boolean {
    return this._parametrizations.has(name);
  }

  /** A registered buffer (or null). */
  getBuffer(name: string): Tensor | null {
    return this._buffers.get(name) ?? null;
  }

  /** Direct children. */
  *children(): IterableIterator<Module> {
    for (const m of this._modules.values()) if (m) yield m;
  }

  /** Named direct children. */
  *namedChildren(): IterableIterator<[string, Module]> {
    for (const [k, m] of this._modules) if (m) yield [k, m];
  }

  /** This module and every descendant, depth first. */
  *modules(): IterableIterator<Module> {
    yield this;
    for (const c of this.children()) yield* c.modules();
  }

  /** All parameters with dotted names (each tensor once). */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const visit = (m: Module, p: string) => {
      for (const [k, t] of m._parameters) if (t && !seen.has(t)) {
        seen.add(t);
        out.push([p + k, t]);
      }
      for (const [k, c] of m._modules) if (c) visit(c, `${p}${k}.`);
    };
    visit(this, prefix);
    return out;
  }

  /** All trainable parameters. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** All buffers with dotted names. */
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const visit = (m: Module, p: string) => {
      for (const [k, t] of m._buffers) if (t) out.push([p + k, t]);
      for (const [k, c] of m._modules) if (c) visit(c, `${p}${k}.`);
    };
    visit(this, prefix);
    return out;
  }

  /** All buffers. */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  /**
   * Parameters and buffers by PyTorch-style dotted name (the tensors
   * themselves, not copies). Parametrized weights use the names of
   * torch.nn.utils.weight_norm / spectral_norm (`weight_g`, `weight_v`,
   * `weight_orig`, `weight_u`); `{ names: 'parametrize' }` writes those of
   * torch.nn.utils.parametrizations instead (`parametrizations.weight.original0`,
   * `original1`; `parametrizations.weight.original`, `parametrizations.weight.0._u`, `._v`).
   */
  stateDict(opts: { names?: 'legacy' | 'parametrize' } = {}): StateDict {
    const names = opts.names ?? 'legacy';
    if (names !== 'legacy' && names !== 'parametrize') throw new RangeError(`stateDict: names must be 'legacy' or 'parametrize', got '${String(names)}'`);
    const sd: StateDict = {};
    const visit = (m: Module, p: string) => {
      const alias = names === 'parametrize' ? m.parametrizeAliases() : null;
      for (const [k, t] of m._parameters) if (t) sd[p + (alias?.get(k) ?? k)] = t;
      for (const [k, t] of m._buffers) if (t) sd[p + (alias?.get(k) ?? k)] = t;
      for (const [k, c] of m._modules) if (c) visit(c, `${p}${k}.`);
    };
    visit(this, '');
    return sd;
  }

  /**
   * Own key -> torch.nn.utils.parametrizations key for each parametrized
   * weight: weight norm (`${n}_g`, `${n}_v` -> `parametrizations.${n}.original0/1`)
   * and spectral norm (`${n}_orig` -> `parametrizations.${n}.original`,
   * buffers `${n}_u`, `${n}_v` -> `parametrizations.${n}.0._u`, `._v`).
   */
  private parametrizeAliases(): Map<string, string> {
    const out = new Map<string, string>();
    for (const n of this._parametrizations.keys()) {
      const pre = `parametrizations.${n}.`;
      if (this._parameters.has(`${n}_g`) && this._parameters.has(`${n}_v`)) {
        out.set(`${n}_g`, `${pre}original0`);
        out.set(`${n}_v`, `${pre}original1`);
      } else if (this._parameters.has(`${n}_orig`)) {
        out.set(`${n}_orig`, `${pre}original`);
        if (this._buffers.has(`${n}_u`)) out.set(`${n}_u`, `${pre}0._u`);
        if (this._buffers.has(`${n}_v`)) out.set(`${n}_v`, `${pre}0._v`);
      }
    }
    return out;
  }

  /**
   * Copy values from a state dict into this module's tensors (in place, so
   * references held by optimizers stay valid). With `strict` (default), missing
   * or unexpected keys and shape mismatches throw, naming every offending key.
   */
  loadStateDict(sd: StateDict, opts: { strict?: boolean } = {}): { missingKeys: string[]; unexpectedKeys: string[] } {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    // PyTorch's parametrize names (parametrizations.weight.original0, ...) are accepted for our legacy ones
    const alias = this.stateDict({ names: 'parametrize' });
    const ownByTensor = new Map<Tensor, string>();
    for (const [k, t] of Object.entries(own)) ownByTensor.set(t, k);
    let renamed: StateDict | null = null;
    for (const [k, t] of Object.entries(alias)) {
      const legacy = ownByTensor.get(t)!;
      if (legacy !== k && k in sd && !(legacy in sd)) {
        renamed ??= { ...sd };
        renamed[legacy] = sd[k]!;
        delete renamed[k];
      }
    }
    if (renamed) sd = renamed;
    const missingKeys = Object.keys(own).filter((k) => !(k in sd));
    const unexpectedKeys = Object.keys(sd).filter((k) => !(k in own));
    const mismatched = Object.keys(own).filter((k) => k in sd && !shapeEq(own[k]!.shape, sd[k]!.shape) && !(own[k]!.size === 1 && sd[k]!.size === 1));
    if (mismatched.length) {
      throw new RangeError(`loadStateDict: shape mismatch for ${mismatched.map((k) => `'${k}' (expected ${fmtShape(own[k]!.shape)}, got ${fmtShape(sd[k]!.shape)})`).join(', ')}`);
    }
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      const parts: string[] = [];
      if (missingKeys.length) parts.push(`missing keys: ${missingKeys.map((k) => `'${k}'`).join(', ')}`);
      if (unexpectedKeys.length) parts.push(`unexpected keys: ${unexpectedKeys.map((k) => `'${k}'`).join(', ')}`);
      throw new Error(`loadStateDict (strict): ${parts.join('; ')}`);
    }
    for (const [k, t] of Object.entries(own)) {
      const src = sd[k];
      if (src) t.data.set(src.data);
    }
    this.onStateLoaded();
    return { missingKeys, unexpectedKeys };
  }

  /** Hook for modules that cache values derived from their state. */
  protected onStateLoaded(): void {}

  /**
   * Convert every floating-point parameter and buffer (and their gradients)
   * to `dtype`, in place: the Tensor objects stay the same, so optimizers
   * built before keep working (as PyTorch's `module.to(dtype)`). The
   * `num_batches_tracked` counter is a count, not converted (an int64 in PyTorch).
   * Layers' `dtype` fields follow.
   */
  to(dtype: DType): this {
    if (dtype !== 'float32' && dtype !== 'float64') throw new RangeError(`to: dtype must be 'float32' or 'float64', got '${String(dtype)}'`);
    const conv = (t: Tensor) => {
      if (t.dtype !== dtype) t.data = dtype === 'float64' ? Float64Array.from(t.data) : Float32Array.from(t.data);
      if (t.grad && t.grad.dtype !== dtype) t.grad.data = dtype === 'float64' ? Float64Array.from(t.grad.data) : Float32Array.from(t.grad.data);
    };
    for (const m of this.modules()) {
      for (const t of m._parameters.values()) if (t) conv(t);
      for (const [k, t] of m._buffers) if (t && k !== 'num_batches_tracked') conv(t);
      if (Object.prototype.hasOwnProperty.call(m, 'dtype')) (m as unknown as { dtype: DType }).dtype = dtype;
    }
    return this;
  }

  /** `to('float64')`, as PyTorch's `module.double()`. */
  double(): this {
    return this.to('float64');
  }

  /** `to('float32')`, as PyTorch's `module.float()`. */
  float(): this {
    return this.to('float32');
  }

  /** Set training mode on this module and all descendants. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Set evaluation mode (same as train(false)). */
  eval(): this {
    return this.train(false);
  }

  /**
   * Clear the gradients of all parameters (set to null, as PyTorch's
   * `set_to_none=True`). Gradients that backward() made are released at once
   * (their backend memory is reused); copy one first (`p.grad.clone()`) to keep it.
   */
  zeroGrad(): void {
    for (const p of this.parameters()) releaseGrad(p);
  }

  /** Apply `fn` to this module and every descendant. */
  apply(fn: (m: Module) => void): this {
    for (const m of this.modules()) fn(m);
    return this;
  }

  /** The constructor options shown by `toString()` (override in subclasses). */
  extraRepr(): string {
    return '';
  }

  /** Name used by `toString()`. */
  get typeName(): string {
    return this.constructor.name;
  }

  /** PyTorch-style description: `LayerNorm([16], eps=1e-5, elementwiseAffine=true)`, children indented. */
  toString(): string {
    const kids = [...this.namedChildren()];
    if (!kids.length) return `${this.typeName}(${this.extraRepr()})`;
    const extra = this.extraRepr();
    const lines = kids.map(([k, m]) => `  (${k}): ${m.toString().split('\n').join('\n  ')}`);
    return `${this.typeName}(${extra ? `${extra}\n` : '\n'}${lines.join('\n')}\n)`;
  }
}
