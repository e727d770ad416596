/**
 * Containers: Sequential (a chain of layers) and ModuleList (an indexed list
 * whose members register as children '0', '1', ..., as in PyTorch, so
 * state-dict keys read `0.weight`, `layers.3.bias`).
 */
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { Layer, type UnaryModule } from './layer.js';

/** A chain: `forward(x) = m_k(...m_1(m_0(x)))`. Children are named '0', '1', .... */
export class Sequential extends Layer {
  private readonly list: UnaryModule[];

  constructor(...modules: UnaryModule[]) {
    super();
    this.list = [];
    for (const m of modules) this.append(m);
  }

  /** Add a layer at the end. */
  append(m: UnaryModule): this {
    if (!(m instanceof Module)) throw new TypeError(`Sequential: expected a Module, got ${typeof m}`);
    this.registerModule(String(this.list.length), m);
    this.list.push(m);
    return this;
  }

  /** The i-th layer (negative counts from the end). */
  at(i: number): UnaryModule {
    const k = i < 0 ? i + this.list.length : i;
    const m = this.list[k];
    if (!m) throw new RangeError(`Sequential: index ${i} out of range for ${this.list.length} layers`);
    return m;
  }

  /** Number of layers. */
  get length(): number {
    return this.list.length;
  }

  [Symbol.iterator](): IterableIterator<UnaryModule> {
    return this.list[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.list) y = m.forward(y);
    return y;
  }
}

/** An indexed list of modules, registered as children '0', '1', ... (no forward of its own). */
export class ModuleList<M extends Module = Module> extends Module {
  private readonly list: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Add a module at the end. */
  append(m: M): this {
    this.registerModule(String(this.list.length), m);
    this.list.push(m);
    return this;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): M {
    const k = i < 0 ? i + this.list.length : i;
    const m = this.list[k];
    if (!m) throw new RangeError(`ModuleList: index ${i} out of range for ${this.list.length} modules`);
    return m;
  }

  /** Number of modules. */
  get length(): number {
    return this.list.length;
  }

  [Symbol.iterator](): IterableIterator<M> {
    return this.list[Symbol.iterator]();
  }

  forward(): never {
    throw new Error('ModuleList has no forward(): iterate over its modules instead');
  }
}
