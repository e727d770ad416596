/**
 * The module shape every single-input layer shares, so containers
 * (`Sequential`, `ModuleList`) and helpers can call any of them.
 */
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** A module mapping one tensor to one tensor. */
export abstract class Layer extends Module {
  abstract override forward(x: Tensor): Tensor;
}

/** Any module with a one-tensor forward (normalization modules included). */
export type UnaryModule = Module & { forward(x: Tensor): Tensor };
