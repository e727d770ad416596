/**
 * The backward rules: one line (or a few) per primitive, in one table typed
 * `{ [K in OpName]: BackwardRule<K> }`, so an op without a rule does not
 * compile. Rules run with recording off and return one gradient per input.
 *
 * The table lives with the ops it differentiates (each rule calls its op's
 * backward function here in functional/) and is handed to autograd at
 * import, so imports flow one way: functional -> autograd -> tensor, and
 * autograd knows no op. Every entry point that can build a graph (the
 * package root, `normkit/functional`, `normkit/nn`) imports this module.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate, allocateUninit } from '../tensor/dtype.js';
import { indexAddRows } from '../kernels/js/gather.js';
import { numel } from '../tensor/shape.js';
import type { BackwardRule, OpName } from '../autograd/ops.js';
import { registerRules } from '../autograd/backward.js';
import { div, mul, neg, sumTo } from './elementwise.js';
import { pointwiseBackward, type PointwiseGradOp } from '../kernels/js/pointwise.js';
import { binarySame } from '../kernels/js/elementwise.js';
import { expandReduced } from './reduce.js';
import { reshape, permute, slice } from './shape-ops.js';
import { batchedGemm } from './matmul.js';
import { attentionSoftmaxBackward, softmaxBackward } from '../kernels/js/softmax.js';
import { copyRows } from '../kernels/js/strided.js';
import { weightNormBackward } from './weight-norm.js';
import { lines } from './softmax.js';
import { layerNormBackward } from './layer-norm.js';
import { rmsNormBackward } from './rms-norm.js';
import { dytBackwardRule } from './dyt.js';
import { localResponseNormBackward } from './local-response-norm.js';
import { normalizeBackwardRule } from './normalize.js';
import { batchNormBackward } from './batch-norm.js';
import { groupNormBackward } from './group-norm.js';
import { syncBatchNormBackward } from './sync-batch-norm.js';
import { linearBackward } from './linear.js';
import { conv2dBackward } from './conv.js';
import { maxPool2dBackward, avgPool2dBackward } from './pool.js';
import { crossEntropyBackward } from './losses.js';
import { detachNormBackward, adaNormBackward } from './detach-norm.js';

/** dx = dout * op'(x) through the op's dedicated loop (src/kernels/js/pointwise.ts). */
function pointwiseOp(dout: Tensor, x: Tensor, y: Tensor, op: PointwiseGradOp): Tensor {
  const g = allocateUninit(dout.dtype, dout.size);
  pointwiseBackward(op, dout.data, x.data, y.data, g);
  return new Tensor(g, x.shape);
}

/** dx = dout * f'(x, y), element by element (ops without a dedicated loop). */
function pointwise(dout: Tensor, x: Tensor, y: Tensor, df: (x: number, y: number) => number): Tensor {
  const g = allocateUninit(dout.dtype, dout.size);
  const d = dout.data;
  const xd = x.data;
  const yd = y.data;
  for (let i = 0; i < g.length; i++) g[i] = d[i]! * df(xd[i]!, yd[i]!);
  return new Tensor(g, x.shape);
}

const invPerm = (p: readonly number[]) => {
  const inv = new Array<number>(p.length);
  p.forEach((a, i) => (inv[a] = i));
  return inv;
};

/** Backward rules, one per primitive. */
export const rules: { [K in OpName]: BackwardRule<K> } = {
  add: ({ dout, inputs: [a, b] }) => [sumTo(dout, a!.shape), sumTo(dout, b!.shape)],
  sub: ({ dout, inputs: [a, b], needs }) => [sumTo(dout, a!.shape), needs[1] ? sumTo(neg(dout), b!.shape) : null],
  mul: ({ dout, inputs: [a, b], needs }) => [
    needs[0] ? sumTo(mul(dout, b!), a!.shape) : null,
    needs[1] ? sumTo(mul(dout, a!), b!.shape) : null,
  ],
  div: ({ dout, inputs: [a, b], out, needs }) => [
    needs[0] ? sumTo(div(dout, b!), a!.shape) : null,
    needs[1] ? sumTo(neg(div(mul(dout, out), b!)), b!.shape) : null, // d(a/b)/db = -(a/b)/b
  ],
  neg: ({ dout }) => [neg(dout)],
  exp: ({ dout, out }) => [mul(dout, out)],
  log: ({ dout, inputs: [x] }) => [div(dout, x!)],
  sqrt: ({ dout, inputs: [x], out }) => [pointwiseOp(dout, x!, out, 'sqrt')],
  abs: ({ dout, inputs: [x], out }) => [pointwiseOp(dout, x!, out, 'abs')],
  pow: ({ dout, inputs: [x], out, saved: { p } }) => [pointwise(dout, x!, out, (v) => p * Math.pow(v, p - 1))],
  tanh: ({ dout, inputs: [x], out }) => [pointwiseOp(dout, x!, out, 'tanh')],
  sigmoid: ({ dout, inputs: [x], out }) => [pointwiseOp(dout, x!, out, 'sigmoid')],
  relu: ({ dout, inputs: [x], out }) => [pointwiseOp(dout, x!, out, 'relu')],
  // dout * (Phi(x) + x phi(x)), the factor saved by the forward
  gelu: ({ dout, saved: { deriv } }) => {
    const g = allocateUninit(dout.dtype, dout.size);
    binarySame(2, dout.data, deriv.data, g);
    return [new Tensor(g, dout.shape)];
  },
  sum: ({ dout, inputs: [x], saved: { axes } }) => [expandReduced(dout, x!.shape, axes)],
  max: ({ dout, inputs: [x], saved: { argmax } }) => {
    const g = allocate(dout.dtype, x!.size);
    for (let o = 0; o < argmax.length; o++) g[argmax[o]!] += dout.data[o]!;
    return [new Tensor(g, x!.shape)];
  },
  reshape: ({ dout, saved: { inShape } }) => [reshape(dout, inShape)],
  permute: ({ dout, saved: { perm } }) => [permute(dout, invPerm(perm))],
  expand: ({ dout, saved: { inShape } }) => [sumTo(dout, inShape)],
  slice: ({ dout, inputs: [x], saved: { axis, start, end } }) => {
    const g = allocate(dout.dtype, x!.size);
    const len = x!.shape[axis]!;
    const outer = numel(x!.shape.slice(0, axis));
    const inner = numel(x!.shape.slice(axis + 1));
    const blk = (end - start) * inner;
    // dout's rows into the zeroed gradient, len * inner apart (a kernel: SIMD rows on wasm)
    if (blk > 0 && outer > 0) copyRows(dout.data, start === 0 ? g : g.subarray(start * inner), outer, blk, blk, len * inner);
    return [new Tensor(g, x!.shape)];
  },
  concat: ({ dout, inputs, saved: { axis, sizes }, needs }) => {
    let off = 0;
    return sizes.map((s, k) => {
      const g = needs[k] ? slice(dout, axis, off, off + s) : null;
      off += s;
      if (g && inputs[k]!.dtype !== g.dtype) return new Tensor(allocate(inputs[k]!.dtype, g.size).map((_, i) => g.data[i]!), g.shape);
      return g;
    });
  },
  indexSelect: ({ dout, inputs: [x], saved: { axis, index } }) => {
    const g = allocateUninit(dout.dtype, x!.size); // the kernel zeroes it, then adds the rows
    const len = x!.shape[axis]!;
    const outer = numel(x!.shape.slice(0, axis));
    const inner = numel(x!.shape.slice(axis + 1));
    indexAddRows(g, dout.data, index, outer, len, index.length, inner);
    return [new Tensor(g, x!.shape)];
  },
  matmul: ({ dout, inputs: [a, b], needs }) => [
    // dA = dC @ B^T, dB = A^T @ dC, each summed over broadcast batch dims
    needs[0] ? sumTo(batchedGemm(dout, b!, false, true), a!.shape) : null,
    needs[1] ? sumTo(batchedGemm(a!, dout, true, false), b!.shape) : null,
  ],
  batchNorm: ({ dout, inputs, saved, needs }) => batchNormBackward(dout, inputs, saved, needs),
  groupNorm: ({ dout, inputs, saved, needs }) => groupNormBackward(dout, inputs, saved, needs),
  syncBatchNorm: ({ dout, inputs, saved, needs }) => syncBatchNormBackward(dout, inputs, saved, needs),
  layerNorm: layerNormBackward,
  rmsNorm: rmsNormBackward,
  dyt: dytBackwardRule,
  localResponseNorm: localResponseNormBackward,
  normalize: normalizeBackwardRule,
  weightNorm: ({ dout, inputs: [g, v], saved: { dim, norms } }) => weightNormBackward(dout, g!, v!, dim, norms),
  softmax: ({ dout, out, saved: { axis } }) => {
    const g = allocate(dout.dtype, dout.size);
    const [o, d, i] = lines(out.shape, axis);
    softmaxBackward(g, dout.data, out.data, o, d, i, false);
    return [new Tensor(g, out.shape)];
  },
  logSoftmax: ({ dout, out, saved: { axis } }) => {
    const g = allocate(dout.dtype, dout.size);
    const [o, d, i] = lines(out.shape, axis);
    softmaxBackward(g, dout.data, out.data, o, d, i, true);
    return [new Tensor(g, out.shape)];
  },
  attentionSoftmax: ({ dout, out, saved: { scale, T, causal } }) => {
    const g = allocateUninit(dout.dtype, dout.size); // every element is written
    const D = out.shape[out.ndim - 1]!;
    if (D > 0) attentionSoftmaxBackward(g, dout.data, out.data, out.size / D, D, T, scale, causal);
    return [new Tensor(g, out.shape)];
  },
  linear: ({ dout, inputs: [x, w, b], needs }) => linearBackward(dout, x!, w!, b ?? null, needs),
  conv2d: ({ dout, inputs: [x, w, b], saved: { geom, cols }, needs }) => conv2dBackward(dout, x!, w!, b ?? null, geom, cols, needs),
  maxPool2d: ({ dout, inputs: [x], saved: { argmax } }) => [maxPool2dBackward(dout, x!, argmax)],
  avgPool2d: ({ dout, inputs: [x], saved: { geom } }) => [avgPool2dBackward(dout, x!, geom)],
  crossEntropy: ({ dout, inputs: [x, p], saved: { targets, lse }, needs }) => crossEntropyBackward(dout, x!, p ?? null, targets, lse, needs),
  detachNorm: ({ dout, saved: { rstd } }) => [detachNormBackward(dout, rstd)],
  adaNorm: ({ dout, saved }) => [adaNormBackward(dout, saved)],
};

registerRules(rules);
