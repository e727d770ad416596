/**
 * A small ONNX graph builder over proto.ts: fresh value names, initializers
 * from tensors, nodes with typed attributes, and the final ModelProto bytes.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { type AttrValue, DataType, type DataTypeCode, type NodeSpec, type TensorProtoSpec, type ValueInfoSpec, encodeModel, rawData } from './proto.js';

/** Default-domain opset normkit exports with: 23 is the first with RMSNormalization. */
export const DEFAULT_OPSET = 23;

/** IR version that goes with an opset (onnx/helper.py VERSION_TABLE). */
export function irVersionFor(opset: number): number {
  if (opset >= 23) return 11;
  if (opset >= 21) return 10;
  if (opset >= 19) return 9;
  if (opset >= 15) return 8;
  return 7;
}

/** The ONNX element type of a normkit dtype. */
export function elemTypeOf(dtype: DType): typeof DataType.FLOAT | typeof DataType.DOUBLE {
  return dtype === 'float64' ? DataType.DOUBLE : DataType.FLOAT;
}

/** Plain attribute values; integers are written as INT unless wrapped with {@link float}. */
export type Attr = AttrValue | number | readonly number[] | string;

/** Mark a number (or list) as a FLOAT attribute even when it is integral (e.g. `epsilon: float(1)`). */
export function float(v: number): AttrValue;
export function float(v: readonly number[]): AttrValue;
export function float(v: number | readonly number[]): AttrValue {
  return typeof v === 'number' ? { kind: 'float', value: v } : { kind: 'floats', value: v };
}

function toAttr(v: Attr): AttrValue {
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { kind: 'int', value: v } : { kind: 'float', value: v };
  if (Array.isArray(v)) return (v as number[]).every(Number.isInteger) ? { kind: 'ints', value: v as number[] } : { kind: 'floats', value: v as number[] };
  return v as AttrValue;
}

/** Builds one graph; `finish()` returns the model bytes. */
export class OnnxGraph {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: TensorProtoSpec[] = [];
  readonly inputs: ValueInfoSpec[] = [];
  readonly outputs: ValueInfoSpec[] = [];
  private used = new Set<string>();

  constructor(readonly name = 'normkit', readonly opset = DEFAULT_OPSET) {}

  /** A value name not used yet, based on `base` (dots kept, as PyTorch's exporter does). */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Declare a graph input. */
  input(name: string, elemType: DataTypeCode, shape: readonly (number | string)[]): string {
    this.used.add(name);
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  /** Declare a graph output (the value `name` must be produced by a node). */
  output(name: string, elemType: DataTypeCode, shape: readonly (number | string)[]): void {
    this.outputs.push({ name, elemType, shape });
  }

  /** Add a constant tensor (float values in `elemType`, or int64 indices/shapes). */
  constant(base: string, values: ArrayLike<number>, dims: readonly number[], elemType: DataTypeCode): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [...dims], dataType: elemType, raw: rawData(values, elemType) });
    return name;
  }

  /** Add a tensor's values as an initializer of the given element type (default: the tensor's). */
  tensor(base: string, t: Tensor, elemType: DataTypeCode = elemTypeOf(t.dtype)): string {
    return this.constant(base, t.data, t.shape, elemType);
  }

  /** int64 constant (shapes, axes). */
  int64(base: string, values: readonly number[]): string {
    return this.constant(base, values, [values.length], DataType.INT64);
  }

  /** Add a node; returns its output names (fresh names from `outBase` unless `outputs` are given). */
  node(opType: string, inputs: readonly string[], attrs: Record<string, Attr | undefined> = {}, opts: { outputs?: string[]; nOutputs?: number; name?: string } = {}): string[] {
    const outputs = opts.outputs ?? Array.from({ length: opts.nOutputs ?? 1 }, (_, i) => this.fresh(`${opts.name ?? opType}_out${i}`));
    for (const o of outputs) this.used.add(o);
    const attributes: Record<string, AttrValue> = {};
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) attributes[k] = toAttr(v);
    this.nodes.push({ opType, inputs, outputs, name: this.fresh(opts.name ?? opType), attributes });
    return outputs;
  }

  /** Add a single-output node and return its output name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, Attr | undefined> = {}, name?: string): string {
    return this.node(opType, inputs, attrs, { name })[0]!;
  }

  /** The ModelProto bytes. */
  finish(docString?: string): Uint8Array {
    return encodeModel({
      graph: { name: this.name, nodes: this.nodes, inputs: this.inputs, outputs: this.outputs, initializers: this.initializers },
      opset: this.opset,
      irVersion: irVersionFor(this.opset),
      producerName: 'normkit',
      producerVersion: '0.1.0',
      docString,
    });
  }
}
