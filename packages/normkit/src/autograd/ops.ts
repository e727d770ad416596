/**
 * The primitive ops autograd knows, each with the type of what its forward
 * saves for backward. `OpName` is the key set of `OpSaved`, and the rule table
 * in `rules.ts` is typed `{ [K in OpName]: BackwardRule<K> }`: adding an op
 * here without a backward rule there is a compile error.
 */
import type { Tensor } from '../tensor/tensor.js';

/** What each op's forward saves for its backward (inputs are always kept on the node). */
export interface OpSaved {
  // element-wise, broadcasting
  add: null;
  sub: null;
  mul: null;
  div: null;
  // element-wise, unary
  neg: null;
  exp: null;
  log: null;
  sqrt: null;
  abs: null;
  pow: { p: number };
  tanh: null;
  sigmoid: null;
  relu: null;
  // the derivative Phi(x) + x phi(x), from the forward's pass (functional/elementwise.ts)
  gelu: { deriv: import('../tensor/tensor.js').Tensor };
  // reductions
  sum: { axes: number[]; keepdim: boolean };
  max: { axes: number[]; keepdim: boolean; argmax: Int32Array };
  // shape
  reshape: { inShape: number[] };
  permute: { perm: number[] };
  expand: { inShape: number[] };
  slice: { axis: number; start: number; end: number };
  concat: { axis: number; sizes: number[] };
  indexSelect: { axis: number; index: Int32Array };
  // linear algebra
  matmul: null;
  // normalization kernels
  // row-wise norms (functional/layer-norm.ts, rms-norm.ts, dyt.ts): x viewed as [N, C]; statistics float64
  layerNorm: { N: number; C: number; mean: Float64Array; rstd: Float64Array };
  rmsNorm: { N: number; C: number; rstd: Float64Array };
  dyt: { N: number; C: number; alpha: number };
  // functional/local-response-norm.ts: scale = k + alpha/size * window sum of squares, per element
  localResponseNorm: { size: number; alpha: number; beta: number; k: number; scale: Float64Array };
  // functional/normalize.ts: the Lp norm of each line before the eps clamp
  normalize: { p: number; axis: number; eps: number; norm: Float64Array };
  // batch norm (functional/batch-norm.ts): inputs [x, weight, bias, runningMean, runningVar]
  // (the last two only in evaluation mode); mean/rstd per channel, float64
  batchNorm: { axis: number; training: boolean; mean: Float64Array; rstd: Float64Array };
  // group norm, and instance norm as G = C (functional/group-norm.ts): inputs [x, weight, bias]; mean/rstd [N, G]
  groupNorm: { G: number; mean: Float64Array; rstd: Float64Array };
  // synchronized batch norm (functional/sync-batch-norm.ts): inputs [x, weight, bias];
  // statistics of the whole batch across the replicas of `group`
  syncBatchNorm: { group: import('../parallel/process-group.js').ProcessGroup; count: number; mean: Float64Array; rstd: Float64Array };
  softmax: { axis: number };
  weightNorm: { dim: number | null; norms: Float64Array };
  logSoftmax: { axis: number };
  // functional/softmax.ts: softmax(scale x + causal mask) over the last axis; T = the query axis's length
  attentionSoftmax: { scale: number; T: number; causal: boolean };
  // nn ops (functional/linear.ts, conv.ts, pool.ts, losses.ts)
  linear: null;
  conv2d: { geom: import('../functional/conv.js').ConvGeom; cols: Float32Array | Float64Array };
  maxPool2d: { argmax: Int32Array };
  avgPool2d: { geom: import('../functional/conv.js').ConvGeom };
  crossEntropy: { targets: Int32Array | null; lse: Float64Array };
  // Xu et al. 2019 probes (functional/detach-norm.ts)
  detachNorm: { rstd: Float64Array };
  adaNorm: { yhat: Float64Array; rstd: Float64Array; c: number; k: number };
}

/** Name of a primitive op. */
export type OpName = keyof OpSaved;

/** A recorded op: which primitive, its inputs (null where a slot held no tensor) and its saved state. */
export interface GradNode<K extends OpName = OpName> {
  op: K;
  inputs: readonly (Tensor | null)[];
  saved: OpSaved[K];
  /**
   * Tensors the op allocated for its backward alone (conv2d's columns, in
   * backend memory), disposed with the output that holds this node: a tidy()
   * step then gives their memory back at once instead of leaving it to the
   * garbage collector.
   */
  owned?: readonly Tensor[];
}

/** What a backward rule receives. */
export interface RuleContext<K extends OpName> {
  /** Gradient of the loss with respect to the op's output. */
  dout: Tensor;
  /** The op's output. */
  out: Tensor;
  /** The op's inputs, in forward order. */
  inputs: readonly (Tensor | null)[];
  /** What forward saved. */
  saved: OpSaved[K];
  /** needs[i]: input i wants a gradient (skip work for the others). */
  needs: readonly boolean[];
}

/** A backward rule returns one gradient per input (null where none is needed). */
export type BackwardRule<K extends OpName> = (ctx: RuleContext<K>) => (Tensor | null)[];
