/**
 * Single-node ONNX models for the benchmark, built with onnx-proto (the
 * protobuf schema compiled to JS): one normalization node over a float32
 * input X [N, C] with its parameters as initializers, output Y.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto as unknown as { onnx: typeof import('onnx-proto').onnx };

function tensorInit(name: string, values: Float32Array): InstanceType<typeof onnx.TensorProto> {
  return onnx.TensorProto.create({
    name, dims: [values.length], dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
  });
}

function valueInfo(name: string, dims: number[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({ dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create({ dimValue: d })) }),
      }),
    }),
  });
}

/** Which normalization the model holds. */
export type OnnxNorm = 'LayerNormalization' | 'RMSNormalization' | 'BatchNormalization';

/**
 * Model bytes for `op` on X [N, C]: LayerNormalization (opset 17, axis -1,
 * Scale and B), RMSNormalization (opset 23, axis -1, scale), or
 * BatchNormalization in inference mode (opset 15, channel axis 1 of [N, C]).
 */
export function onnxNormModel(op: OnnxNorm, N: number, C: number, eps: number, params: { weight: Float32Array; bias: Float32Array; mean?: Float32Array; variance?: Float32Array }): Uint8Array {
  const inits = [tensorInit('W', params.weight)];
  const inputs = ['X', 'W'];
  if (op !== 'RMSNormalization') { inits.push(tensorInit('B', params.bias)); inputs.push('B'); }
  if (op === 'BatchNormalization') {
    inits.push(tensorInit('M', params.mean!), tensorInit('V', params.variance!));
    inputs.push('M', 'V');
  }
  const attrs = [onnx.AttributeProto.create({ name: 'epsilon', type: onnx.AttributeProto.AttributeType.FLOAT, f: eps })];
  if (op !== 'BatchNormalization') attrs.push(onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 }));
  const node = onnx.NodeProto.create({ opType: op, input: inputs, output: ['Y'], attribute: attrs, name: 'norm' });
  const graph = onnx.GraphProto.create({
    name: 'bench', node: [node], initializer: inits,
    input: [valueInfo('X', [N, C])], output: [valueInfo('Y', [N, C])],
  });
  const opset = op === 'RMSNormalization' ? 23 : op === 'LayerNormalization' ? 17 : 15;
  const model = onnx.ModelProto.create({
    irVersion: op === 'RMSNormalization' ? 10 : 8, producerName: 'normkit-bench',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: opset })], graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
