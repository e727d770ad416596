/**
 * ONNX export: turn a normkit module into an ONNX model (`Uint8Array` of a
 * ModelProto) with one input named `input` and one output named `output`.
 *
 * Each module type has a converter that emits the ONNX nodes for its
 * inference-mode computation; containers (Sequential, TransformerBlock,
 * MultiheadAttention, MLP) convert their children recursively, so a model
 * built from normkit's layers exports as a whole. Weights become
 * initializers named with their PyTorch state-dict names (`0.weight`,
 * `norm1.bias`, ...). Parametrized weights (weightNorm, spectralNorm) are
 * exported as their computed values.
 *
 * Normalization layers map to the native ONNX operators:
 *
 * | normkit                          | ONNX                                    |
 * |----------------------------------|-----------------------------------------|
 * | LayerNorm                        | LayerNormalization-17 (axis = -len(normalizedShape)) |
 * | RMSNorm                          | RMSNormalization-23                      |
 * | BatchNorm*, eval                 | BatchNormalization-15 (running stats; channel axis moved to 1 by Transpose when needed) |
 * | BatchNorm, trackRunningStats=false | BatchNormalization-15 training_mode=1 (batch statistics, as PyTorch's eval does) |
 * | GroupNorm                        | GroupNormalization-21 (per-channel scale and bias) |
 * | InstanceNorm*                    | InstanceNormalization (or BatchNormalization when it tracks running stats) |
 * | LocalResponseNorm (odd size)     | LRN                                      |
 * | DyT                              | Mul, Tanh, Mul, Add                      |
 *
 * The model is exported in evaluation mode (as `torch.onnx.export` does by
 * default): dropout is the identity and batch norm uses its running
 * statistics. The module's own training flags are restored afterwards.
 */
import { Tensor } from '../tensor/tensor.js';
import { type DType, machineEps } from '../tensor/dtype.js';
import { fmtShape, normalizeAxis, numel } from '../tensor/shape.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Module } from '../nn/module.js';
import { LayerNorm } from '../nn/norm/layer-norm.js';
import { RMSNorm } from '../nn/norm/rms-norm.js';
import { BatchNorm } from '../nn/norm/batch-norm.js';
import { GroupNorm } from '../nn/norm/group-norm.js';
import { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, InstanceNormBase } from '../nn/norm/instance-norm.js';
import { LocalResponseNorm } from '../nn/norm/local-response-norm.js';
import { DyT } from '../nn/norm/dyt.js';
import { Linear } from '../nn/linear.js';
import { GELU, Identity, ReLU, Sigmoid, Tanh } from '../nn/activation.js';
import { Dropout } from '../nn/dropout.js';
import { Sequential } from '../nn/container.js';
import { Flatten } from '../nn/pooling.js';
import { MultiheadAttention } from '../nn/attention.js';
import { TransformerBlock } from '../nn/transformer.js';
import { FeatureGroupNorm } from '../nn/norm-factory.js';
import { MLP, MLPBlock } from '../nn/mlp.js';
import { Normalization } from '../preprocessing/normalization.js';
import { DataType } from './proto.js';
import { DEFAULT_OPSET, OnnxGraph, elemTypeOf, float } from './graph.js';
import { checkOptions } from '../options.js';

/** A value flowing through the graph: its ONNX name and its shape for the example input. */
export interface OnnxValue {
  name: string;
  shape: number[];
}

/** Emits the nodes of one module; returns the output value. */
export type OnnxConverter<M extends Module = Module> = (ctx: ExportContext, module: M, x: OnnxValue, path: string) => OnnxValue;

// Keyed by constructor (not by name, which bundlers minify); looked up along the prototype chain.
const converters = new Map<Function, OnnxConverter>();

/**
 * Teach `exportModel` a module type. The most derived registered class wins,
 * so a subclass can override its parent's converter.
 */
export function registerOnnxConverter<M extends Module>(cls: abstract new (...args: never[]) => M, convert: OnnxConverter<M>): void {
  converters.set(cls, convert as OnnxConverter);
}

function converterFor(m: Module): OnnxConverter | null {
  for (let p = Object.getPrototypeOf(m); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const c = converters.get(p.constructor);
    if (c) return c;
  }
  return null;
}

/** State shared by the converters of one export. */
export class ExportContext {
  readonly elemType: typeof DataType.FLOAT | typeof DataType.DOUBLE;

  constructor(readonly g: OnnxGraph, readonly dtype: DType) {
    this.elemType = elemTypeOf(dtype);
  }

  /** Convert a child module; `path` is its state-dict prefix (`'0.'`, `'self_attn.'`). */
  convert(m: Module, x: OnnxValue, path: string): OnnxValue {
    const c = converterFor(m);
    if (!c) {
      const known = [...converters.keys()].map((k) => k.name).join(', ');
      throw new TypeError(`exportModel: no ONNX converter for module '${path.replace(/\.$/, '') || '(root)'}' of type ${m.typeName} (supported: ${known}; add one with registerOnnxConverter)`);
    }
    return c(this, m, x, path);
  }

  /** A float initializer in the graph's element type (parameters are cast to it). */
  weight(name: string, t: Tensor): string {
    return this.g.constant(name, t.data, t.shape, this.elemType);
  }

  /** A float constant filled with `value`. */
  filled(name: string, shape: readonly number[], value: number): string {
    return this.g.constant(name, new Float64Array(numel(shape)).fill(value), shape, this.elemType);
  }

  /** A float scalar constant. */
  scalar(name: string, value: number): string {
    return this.g.constant(name, [value], [], this.elemType);
  }

  /** `module.param(name)` (the effective, possibly parametrized, value), or a constant when disabled. */
  paramOr(m: Module, pname: string, path: string, shape: readonly number[], fill: number): string {
    const t = m.param(pname);
    if (t) return this.weight(`${path}${pname}`, t);
    return this.filled(`${path}${pname}_${fill === 1 ? 'ones' : 'zeros'}`, shape, fill);
  }

  /** Reshape `x` to a shape whose entries are 0 (copy that input dim), -1 (infer) or a size. */
  reshape(x: string, spec: readonly number[], name = 'Reshape'): string {
    return this.g.op('Reshape', [x, this.g.int64(`${name}_shape`, spec)], {}, name);
  }

  /** Transpose with a permutation. */
  transpose(x: string, perm: readonly number[]): string {
    return this.g.op('Transpose', [x], { perm: [...perm] });
  }
}

/** Options of {@link exportModel}. */
export interface ExportOptions {
  /** Default-domain opset (default 23, the first with RMSNormalization; at least 21 is needed for GroupNormalization). */
  opset?: number;
  /**
   * Make dim 0 of the input and output symbolic (`batch`), so the model
   * accepts any batch size. Default true.
   */
  dynamicBatch?: boolean;
  /** Graph name (default 'normkit'). */
  name?: string;
  /** Stored in ModelProto.doc_string (default: the module's `toString()`). */
  docString?: string;
}

/**
 * Export `module` to ONNX: `input` has the shape and dtype of `exampleInput`
 * (dim 0 symbolic unless `dynamicBatch: false`), `output` is what
 * `module.forward(exampleInput)` returns in evaluation mode. Float32 inputs
 * give a float32 model, float64 a double model.
 *
 * @throws for a module type without a converter (naming its path and type),
 *   or for an option ONNX cannot express (e.g. LocalResponseNorm with an even size).
 */
export function exportModel(module: Module & { forward(x: Tensor): Tensor }, exampleInput: Tensor, opts: ExportOptions = {}): Uint8Array {
  if (!(module instanceof Module)) throw new TypeError(`exportModel: expected a normkit Module, got ${typeof module}`);
  if (!(exampleInput instanceof Tensor)) throw new TypeError('exportModel: exampleInput must be a Tensor');
  checkOptions('exportModel', opts, ['opset', 'dynamicBatch', 'name', 'docString']);
  const opset = opts.opset ?? DEFAULT_OPSET;
  const modes = [...module.modules()].map((m) => [m, m.training] as const);
  module.eval();
  try {
    const expected = noGrad(() => module.forward(exampleInput));
    const g = new OnnxGraph(opts.name ?? 'normkit', opset);
    const ctx = new ExportContext(g, exampleInput.dtype);
    const dyn = (opts.dynamicBatch ?? true) && exampleInput.ndim > 0;
    const declared = (s: number[]) => (dyn ? ['batch', ...s.slice(1)] : s);
    g.input('input', ctx.elemType, declared(exampleInput.shape));
    const y = ctx.convert(module, { name: 'input', shape: [...exampleInput.shape] }, '');
    if (y.shape.length !== expected.ndim || y.shape.some((d, i) => d !== expected.shape[i])) {
      throw new Error(`exportModel: internal shape mismatch: the converters produced ${fmtShape(y.shape)} but forward() returns ${fmtShape(expected.shape)}`);
    }
    g.node('Identity', [y.name], {}, { outputs: ['output'], name: 'output' });
    g.output('output', ctx.elemType, declared(expected.shape));
    return g.finish(opts.docString ?? module.toString());
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
}

// ---------------------------------------------------------------- normalization layers

registerOnnxConverter(LayerNorm, (ctx, m, x, path) => {
  const ns = m.normalizedShape;
  const scale = ctx.paramOr(m, 'weight', path, ns, 1);
  const bias = m.param('bias');
  const inputs = [x.name, scale, ...(bias ? [ctx.weight(`${path}bias`, bias)] : [])];
  return { name: ctx.g.op('LayerNormalization', inputs, { axis: -ns.length, epsilon: float(m.eps) }, `${path}LayerNormalization`), shape: x.shape };
});

registerOnnxConverter(RMSNorm, (ctx, m, x, path) => {
  if (ctx.g.opset < 23) throw new RangeError(`exportModel: RMSNorm needs opset >= 23 (RMSNormalization-23), got opset ${ctx.g.opset}`);
  const ns = m.normalizedShape;
  const eps = m.eps ?? machineEps(ctx.dtype);
  const scale = ctx.paramOr(m, 'weight', path, ns, 1);
  return { name: ctx.g.op('RMSNormalization', [x.name, scale], { axis: -ns.length, epsilon: float(eps) }, `${path}RMSNormalization`), shape: x.shape };
});

/** ONNX BatchNormalization on channel dim 1; transposes around it when the channel axis is elsewhere. */
function batchNormNode(ctx: ExportContext, m: BatchNorm | InstanceNormBase, x: OnnxValue, path: string, axis: number, useBatchStats: boolean): string {
  const C = m.numFeatures;
  const g = ctx.g;
  const rank = x.shape.length;
  let inp = x.name;
  let inv: number[] | null = null;
  if (axis !== 1) {
    const rest = x.shape.map((_, i) => i).filter((i) => i !== axis);
    const perm = [rest[0]!, axis, ...rest.slice(1)];
    inv = perm.map((_, i) => perm.indexOf(i));
    inp = ctx.transpose(inp, perm);
  }
  const scale = ctx.paramOr(m, 'weight', path, [C], 1);
  const bias = ctx.paramOr(m, 'bias', path, [C], 0);
  const rm = m.runningMean && !useBatchStats ? ctx.weight(`${path}running_mean`, m.runningMean) : ctx.filled(`${path}running_mean_zeros`, [C], 0);
  const rv = m.runningVar && !useBatchStats ? ctx.weight(`${path}running_var`, m.runningVar) : ctx.filled(`${path}running_var_ones`, [C], 1);
  // training_mode=1 must declare the running-stat outputs too (unused here).
  let y = g.node('BatchNormalization', [inp, scale, bias, rm, rv], { epsilon: float(m.eps), training_mode: useBatchStats ? 1 : undefined }, { nOutputs: useBatchStats ? 3 : 1, name: `${path}BatchNormalization` })[0]!;
  if (inv) y = ctx.transpose(y, inv);
  if (rank < 2) throw new RangeError(`exportModel: BatchNorm at '${path}' needs an input of rank >= 2, got ${fmtShape(x.shape)}`);
  return y;
}

registerOnnxConverter(BatchNorm, (ctx, m, x, path) => {
  const axis = normalizeAxis(m.axis, x.shape.length, 'BatchNorm axis');
  // PyTorch's eval uses batch statistics when there are no running statistics.
  return { name: batchNormNode(ctx, m, x, path, axis, !m.trackRunningStats), shape: x.shape };
});

registerOnnxConverter(GroupNorm, (ctx, m, x, path) => {
  if (ctx.g.opset < 21) throw new RangeError(`exportModel: GroupNorm needs opset >= 21 (GroupNormalization-21, per-channel scale), got opset ${ctx.g.opset}`);
  const C = m.numChannels;
  const scale = ctx.paramOr(m, 'weight', path, [C], 1);
  const bias = ctx.paramOr(m, 'bias', path, [C], 0);
  // GroupNormalization wants [N, C, D1, ...]: give a 2-D input a unit spatial dim.
  const flat = x.shape.length === 2;
  let inp = x.name;
  if (flat) inp = ctx.reshape(inp, [0, 0, 1], `${path}to3d`);
  let y = ctx.g.op('GroupNormalization', [inp, scale, bias], { num_groups: m.numGroups, epsilon: float(m.eps) }, `${path}GroupNormalization`);
  if (flat) y = ctx.reshape(y, [0, 0], `${path}to2d`);
  return { name: y, shape: x.shape };
});

registerOnnxConverter(FeatureGroupNorm, (ctx, m, x, path) => {
  // GroupNorm over the last dim of [*, F]: rows flattened to [R, F, 1], then the original shape back.
  const F = m.numChannels;
  const scale = ctx.paramOr(m, 'weight', path, [F], 1);
  const bias = ctx.paramOr(m, 'bias', path, [F], 0);
  const r = ctx.reshape(x.name, [-1, F, 1], `${path}rows`);
  const y = ctx.g.op('GroupNormalization', [r, scale, bias], { num_groups: m.numGroups, epsilon: float(m.eps) }, `${path}GroupNormalization`);
  const shape = ctx.g.op('Shape', [x.name]);
  return { name: ctx.g.op('Reshape', [y, shape]), shape: x.shape };
});

registerOnnxConverter(InstanceNormBase, (ctx, m, x, path) => {
  const noBatch = m instanceof InstanceNorm1d ? 2 : m instanceof InstanceNorm2d ? 3 : m instanceof InstanceNorm3d ? 4 : x.shape.length - 1;
  const unbatched = x.shape.length === noBatch;
  let v: OnnxValue = x;
  if (unbatched) v = { name: ctx.g.op('Unsqueeze', [x.name, ctx.g.int64(`${path}axes`, [0])]), shape: [1, ...x.shape] };
  let y: string;
  if (m.trackRunningStats) {
    // eval with running statistics: exactly batch norm in inference mode
    y = batchNormNode(ctx, m, v, path, 1, false);
  } else {
    const C = v.shape[1]!;
    const scale = ctx.paramOr(m, 'weight', path, [C], 1);
    const bias = ctx.paramOr(m, 'bias', path, [C], 0);
    y = ctx.g.op('InstanceNormalization', [v.name, scale, bias], { epsilon: float(m.eps) }, `${path}InstanceNormalization`);
  }
  if (unbatched) y = ctx.g.op('Squeeze', [y, ctx.g.int64(`${path}axes`, [0])]);
  return { name: y, shape: x.shape };
});

registerOnnxConverter(LocalResponseNorm, (ctx, m, x, path) => {
  if (m.size % 2 === 0) {
    throw new RangeError(`exportModel: LocalResponseNorm at '${path || '(root)'}' has an even size ${m.size}; PyTorch's window (c - size/2 .. c + size/2 - 1) and ONNX LRN's (c - (size-1)/2 .. c + size/2) differ for even sizes, so it cannot be exported exactly`);
  }
  // onnxruntime's LRN takes 4-D input: view [N, C, *] as [N, C, S, 1].
  const four = x.shape.length !== 4;
  let inp = x.name;
  if (four) inp = ctx.reshape(inp, [0, 0, -1, 1], `${path}to4d`);
  let y = ctx.g.op('LRN', [inp], { size: m.size, alpha: float(m.alpha), beta: float(m.beta), bias: float(m.k) }, `${path}LRN`);
  if (four) y = ctx.g.op('Reshape', [y, ctx.g.op('Shape', [x.name])]);
  return { name: y, shape: x.shape };
});

registerOnnxConverter(DyT, (ctx, m, x, path) => {
  const g = ctx.g;
  const alpha = ctx.weight(`${path}alpha`, m.param('alpha')!);
  let y = g.op('Tanh', [g.op('Mul', [x.name, alpha])]);
  const w = m.param('weight');
  if (w) y = g.op('Mul', [y, ctx.weight(`${path}weight`, w)]);
  const b = m.param('bias');
  if (b) y = g.op('Add', [y, ctx.weight(`${path}bias`, b)]);
  return { name: y, shape: x.shape };
});

// ---------------------------------------------------------------- layers

/** `x W^T + b` for a weight [out, in]: Gemm for 2-D inputs, MatMul + Add otherwise. */
export function linearNodes(ctx: ExportContext, x: OnnxValue, w: Tensor, b: Tensor | null, path: string, wname = 'weight', bname = 'bias'): OnnxValue {
  const g = ctx.g;
  const [out, inF] = w.shape as [number, number];
  if (x.shape[x.shape.length - 1] !== inF) throw new RangeError(`exportModel: '${path}' expects ${inF} input features, got input ${fmtShape(x.shape)}`);
  const W = ctx.weight(`${path}${wname}`, w);
  const B = b ? ctx.weight(`${path}${bname}`, b) : null;
  const shape = [...x.shape.slice(0, -1), out];
  if (x.shape.length === 2) return { name: g.op('Gemm', [x.name, W, ...(B ? [B] : [])], { transB: 1 }, `${path}Gemm`), shape };
  let y = g.op('MatMul', [x.name, ctx.transpose(W, [1, 0])], {}, `${path}MatMul`);
  if (B) y = g.op('Add', [y, B]);
  return { name: y, shape };
}

registerOnnxConverter(Linear, (ctx, m, x, path) => linearNodes(ctx, x, m.param('weight')!, m.param('bias'), path));

const unary = (op: string, attrs: Record<string, string> = {}): OnnxConverter => (ctx, _m, x) => ({ name: ctx.g.op(op, [x.name], attrs), shape: x.shape });
registerOnnxConverter(ReLU, unary('Relu'));
registerOnnxConverter(Tanh, unary('Tanh'));
registerOnnxConverter(Sigmoid, unary('Sigmoid'));
registerOnnxConverter(Identity, unary('Identity'));
registerOnnxConverter(Dropout, unary('Identity')); // evaluation mode
registerOnnxConverter(GELU, (ctx, m, x) => {
  if (ctx.g.opset < 20) throw new RangeError(`exportModel: GELU needs opset >= 20 (Gelu-20), got opset ${ctx.g.opset}`);
  return { name: ctx.g.op('Gelu', [x.name], { approximate: m.approximate }), shape: x.shape };
});

registerOnnxConverter(Sequential, (ctx, m, x, path) => {
  let v = x;
  let i = 0;
  for (const child of m) v = ctx.convert(child, v, `${path}${i++}.`);
  return v;
});

registerOnnxConverter(Flatten, (ctx, m, x) => {
  const r = x.shape.length;
  const s = normalizeAxis(m.startDim, r, 'Flatten startDim');
  const e = normalizeAxis(m.endDim, r, 'Flatten endDim');
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  // dim 0 is copied (0) so the batch stays symbolic; the flattened dim is inferred (-1).
  const spec = shape.map((d, i) => (i === s ? -1 : i === 0 ? 0 : d));
  return { name: ctx.reshape(x.name, spec, 'Flatten'), shape };
});

registerOnnxConverter(MultiheadAttention, (ctx, m, x, path) => {
  const g = ctx.g;
  if (x.shape.length !== 3) throw new RangeError(`exportModel: MultiheadAttention at '${path}' expects [B, T, d], got ${fmtShape(x.shape)}`);
  if (m.qkNorm) throw new RangeError(`exportModel: MultiheadAttention at '${path}' uses qkNorm='${m.qkNorm}', which has no ONNX converter yet`);
  const [B, T] = x.shape as [number, number];
  const H = m.numHeads;
  const dh = m.headDim;
  const d = m.embedDim;
  const qkv = linearNodes(ctx, x, m.param('in_proj_weight')!, m.param('in_proj_bias'), path, 'in_proj_weight', 'in_proj_bias');
  const qkv5 = ctx.reshape(qkv.name, [0, 0, 3, H, dh], `${path}heads`); // [B, T, 3, H, dh]
  const part = (i: number) => g.op('Gather', [qkv5, g.constant(`${path}qkv_index`, [i], [], DataType.INT64)], { axis: 2 }); // [B, T, H, dh]
  const q = ctx.transpose(part(0), [0, 2, 1, 3]); // [B, H, T, dh]
  const kT = ctx.transpose(part(1), [0, 2, 3, 1]); // [B, H, dh, T]
  const v = ctx.transpose(part(2), [0, 2, 1, 3]); // [B, H, T, dh]
  let scores = g.op('MatMul', [g.op('Mul', [q, ctx.scalar(`${path}scale`, 1 / Math.sqrt(dh))]), kT]); // [B, H, T, T]
  if (m.causal) {
    const mask = new Float64Array(T * T);
    for (let i = 0; i < T; i++) mask.fill(-Infinity, i * T + i + 1, (i + 1) * T);
    scores = g.op('Add', [scores, g.constant(`${path}causal_mask`, mask, [T, T], ctx.elemType)]);
  }
  const attn = g.op('Softmax', [scores], { axis: -1 });
  const heads = ctx.transpose(g.op('MatMul', [attn, v]), [0, 2, 1, 3]); // [B, T, H, dh]
  const merged = ctx.reshape(heads, [0, 0, d], `${path}merge`);
  return ctx.convert(m.outProj, { name: merged, shape: [B, T, d] }, `${path}out_proj.`);
});

registerOnnxConverter(TransformerBlock, (ctx, m, x, path) => {
  const g = ctx.g;
  const sub = (name: string, child: Module, v: OnnxValue) => ctx.convert(child, v, `${path}${name}.`);
  const act = m.activationName === 'gelu' ? new GELU() : new ReLU();
  const ffn = (v: OnnxValue) => sub('linear2', m.linear2, ctx.convert(act, sub('linear1', m.linear1, v), `${path}activation.`));
  const add = (a: OnnxValue, b: OnnxValue): OnnxValue => ({ name: g.op('Add', [a.name, b.name]), shape: a.shape });
  if (m.placement === 'post') {
    const h = sub('norm1', m.norm1, add(x, sub('self_attn', m.selfAttn, x)));
    return sub('norm2', m.norm2, add(h, ffn(h)));
  }
  const h = add(x, sub('self_attn', m.selfAttn, sub('norm1', m.norm1, x)));
  return add(h, ffn(sub('norm2', m.norm2, h)));
});

registerOnnxConverter(MLPBlock, (ctx, m, x, path) => {
  const pre = ctx.convert(m.norm, ctx.convert(m.linear, x, `${path}linear.`), `${path}norm.`);
  return ctx.convert(m.activation, pre, `${path}activation.`);
});

registerOnnxConverter(MLP, (ctx, m, x, path) => {
  let h = x;
  let i = 0;
  for (const block of m.blocks) {
    let y = ctx.convert(block, h, `${path}blocks.${i++}.`);
    if (m.residual && y.shape[y.shape.length - 1] === h.shape[h.shape.length - 1]) y = { name: ctx.g.op('Add', [h.name, y.name]), shape: y.shape };
    h = y;
  }
  return ctx.convert(m.head, h, `${path}head.`);
});

registerOnnxConverter(Normalization, (ctx, m, x, path) => {
  // (x - mean) / max(sqrt(var), eps), or mean + x * that with invert; statistics broadcast over the kept axes.
  const rank = x.shape.length;
  const kept = m.axis.map((a) => normalizeAxis(a, rank, 'Normalization axis'));
  const mean = m.mean;
  const variance = m.variance;
  if (!mean || !variance) throw new Error(`exportModel: Normalization at '${path || '(root)'}' has no statistics; call adapt(data) first`);
  const bshape = x.shape.map((d, i) => (kept.includes(i) ? d : 1));
  const K = numel(bshape);
  const pick = (t: Tensor) => (t.size === K ? t.data : new Float64Array(K).fill(t.data[0]!));
  const mu = pick(mean);
  const sd = Float64Array.from(pick(variance), (v) => Math.max(Math.sqrt(v), m.eps));
  const M = ctx.g.constant(`${path}mean`, mu, bshape, ctx.elemType);
  const S = ctx.g.constant(`${path}std`, sd, bshape, ctx.elemType);
  const y = m.invert ? ctx.g.op('Add', [ctx.g.op('Mul', [x.name, S]), M]) : ctx.g.op('Div', [ctx.g.op('Sub', [x.name, M]), S]);
  return { name: y, shape: x.shape };
});
