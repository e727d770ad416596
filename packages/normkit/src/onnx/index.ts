/**
 * `nk.onnx`: export normkit modules to ONNX (browser-safe: a self-contained
 * protobuf writer, no Node APIs). `exportModel(module, exampleInput)` gives
 * the ModelProto bytes with input `input` and output `output`.
 */
export { exportModel, registerOnnxConverter, linearNodes, ExportContext, type ExportOptions, type OnnxConverter, type OnnxValue } from './export.js';
export { OnnxGraph, DEFAULT_OPSET, irVersionFor, elemTypeOf, float, type Attr } from './graph.js';
export { encodeModel, rawData, DataType, type ModelSpec, type GraphSpec, type NodeSpec, type ValueInfoSpec, type TensorProtoSpec, type AttrValue, type DataTypeCode } from './proto.js';
