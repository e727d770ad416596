/**
 * A minimal protobuf writer for the subset of onnx.proto that a model needs
 * (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto).
 *
 * Why not `onnx-proto`: that package ships CommonJS only, bundles its own
 * protobufjs 6 and would have to be bundled to load in a browser; the writer
 * below is ~200 lines, has no dependencies and runs anywhere. Field numbers
 * are those of onnx/onnx.proto3 (ONNX 1.18); every model it writes is loaded
 * and run by onnxruntime-node in the tests.
 *
 * Wire format (protobuf encoding guide): each field is a varint key
 * `(fieldNumber << 3) | wireType` followed by a varint (type 0), 8 bytes
 * (type 1), a length-delimited payload (type 2) or 4 bytes (type 5).
 */

/** ONNX TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType values. */
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** A growable byte buffer with protobuf primitives. */
class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Unsigned varint of a non-negative safe integer, or a negative int64 as 10-byte two's complement. */
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }

  key(field: number, wire: 0 | 1 | 2 | 5): void {
    this.varint((field << 3) | wire);
  }

  bytes(field: number, b: Uint8Array): void {
    this.key(field, 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  int(field: number, v: number | bigint): void {
    this.key(field, 0);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.key(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer).setFloat32(this.len, v, true);
    this.len += 4;
  }

  /** A packed repeated varint field. */
  packedInts(field: number, vs: readonly number[]): void {
    const w = new Writer();
    for (const v of vs) w.varint(v);
    this.bytes(field, w.finish());
  }

  /** A packed repeated float field. */
  packedFloats(field: number, vs: readonly number[]): void {
    const b = new Uint8Array(vs.length * 4);
    const dv = new DataView(b.buffer);
    vs.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    this.bytes(field, b);
  }

  message(field: number, m: Writer): void {
    this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** An initializer or constant: raw little-endian data of one ONNX element type. */
export interface TensorProtoSpec {
  name: string;
  dims: readonly number[];
  dataType: DataTypeCode;
  /** Little-endian element bytes (TensorProto.raw_data). */
  raw: Uint8Array;
}

/** A node attribute value. Numbers are INT when `int` says so, else FLOAT. */
export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorProtoSpec };

export interface NodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, AttrValue>;
}

/** A graph input or output: element type and shape (a string names a symbolic dim). */
export interface ValueInfoSpec {
  name: string;
  elemType: DataTypeCode;
  shape: readonly (number | string)[];
}

export interface GraphSpec {
  name: string;
  nodes: readonly NodeSpec[];
  inputs: readonly ValueInfoSpec[];
  outputs: readonly ValueInfoSpec[];
  initializers: readonly TensorProtoSpec[];
}

export interface ModelSpec {
  graph: GraphSpec;
  /** Default-domain opset version. */
  opset: number;
  irVersion: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
}

function tensorProto(t: TensorProtoSpec): Writer {
  const w = new Writer();
  if (t.dims.length) w.packedInts(1, t.dims); // dims
  w.int(2, t.dataType); // data_type
  w.string(8, t.name); // name
  w.bytes(9, t.raw); // raw_data
  return w;
}

function attributeProto(name: string, a: AttrValue): Writer {
  const w = new Writer();
  w.string(1, name);
  switch (a.kind) {
    case 'float': w.float(2, a.value); w.int(20, AttrType.FLOAT); break;
    case 'int': w.int(3, a.value); w.int(20, AttrType.INT); break;
    case 'string': w.string(4, a.value); w.int(20, AttrType.STRING); break;
    case 'tensor': w.message(5, tensorProto(a.value)); w.int(20, AttrType.TENSOR); break;
    case 'floats': w.packedFloats(7, a.value); w.int(20, AttrType.FLOATS); break;
    case 'ints': w.packedInts(8, a.value); w.int(20, AttrType.INTS); break;
  }
  return w;
}

function nodeProto(n: NodeSpec): Writer {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.message(5, attributeProto(k, v));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function valueInfoProto(v: ValueInfoSpec): Writer {
  const shape = new Writer();
  for (const d of v.shape) {
    const dim = new Writer();
    if (typeof d === 'number') dim.int(1, d); // dim_value
    else dim.string(2, d); // dim_param
    shape.message(1, dim);
  }
  const tt = new Writer();
  tt.int(1, v.elemType); // elem_type
  tt.message(2, shape); // shape
  const type = new Writer();
  type.message(1, tt); // tensor_type
  const w = new Writer();
  w.string(1, v.name);
  w.message(2, type);
  return w;
}

function graphProto(g: GraphSpec): Writer {
  const w = new Writer();
  for (const n of g.nodes) w.message(1, nodeProto(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, tensorProto(t));
  for (const i of g.inputs) w.message(11, valueInfoProto(i));
  for (const o of g.outputs) w.message(12, valueInfoProto(o));
  return w;
}

/** Encode a ModelProto. */
export function encodeModel(m: ModelSpec): Uint8Array {
  const w = new Writer();
  w.int(1, m.irVersion); // ir_version
  if (m.producerName) w.string(2, m.producerName);
  if (m.producerVersion) w.string(3, m.producerVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, graphProto(m.graph)); // graph
  const opset = new Writer();
  opset.string(1, ''); // default domain
  opset.int(2, m.opset);
  w.message(8, opset); // opset_import
  return w.finish();
}

/** Little-endian bytes of values as an ONNX element type. */
export function rawData(values: ArrayLike<number>, dataType: DataTypeCode): Uint8Array {
  const size = dataType === DataType.FLOAT || dataType === DataType.INT32 ? 4 : 8;
  const b = new Uint8Array(values.length * size);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (dataType === DataType.FLOAT) dv.setFloat32(i * 4, v, true);
    else if (dataType === DataType.DOUBLE) dv.setFloat64(i * 8, v, true);
    else if (dataType === DataType.INT32) dv.setInt32(i * 4, v, true);
    else dv.setBigInt64(i * 8, BigInt(v), true);
  }
  return b;
}
