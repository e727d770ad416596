/**
 * Single-node ONNX models for the benchmark, built with normkit's own ONNX
 * writer (src/onnx/graph.ts, the one `nk.onnx.exportModel` uses, tested
 * against onnxruntime in test/onnx/): one normalization node over a float32
 * input X [N, C] with its parameters as initializers, output Y.
 */
import { OnnxGraph } from '../src/onnx/graph.js';
import { DataType } from '../src/onnx/proto.js';

/** Which normalization the model holds. */
export type OnnxNorm = 'LayerNormalization' | 'RMSNormalization' | 'BatchNormalization';

/**
 * Model bytes for `op` on X [N, C]: LayerNormalization (opset 17, axis -1,
 * Scale and B), RMSNormalization (opset 23, axis -1, scale), or
 * BatchNormalization in inference mode (opset 15, channel axis 1 of [N, C]).
 */
export function onnxNormModel(op: OnnxNorm, N: number, C: number, eps: number, params: { weight: Float32Array; bias: Float32Array; mean?: Float32Array; variance?: Float32Array }): Uint8Array {
  const opset = op === 'RMSNormalization' ? 23 : op === 'LayerNormalization' ? 17 : 15;
  const g = new OnnxGraph('bench', opset);
  const F = DataType.FLOAT;
  const x = g.input('X', F, [N, C]);
  const inputs = [x, g.constant('W', params.weight, [C], F)];
  if (op !== 'RMSNormalization') inputs.push(g.constant('B', params.bias, [C], F));
  if (op === 'BatchNormalization') inputs.push(g.constant('M', params.mean!, [C], F), g.constant('V', params.variance!, [C], F));
  const attrs = op === 'BatchNormalization' ? { epsilon: { kind: 'float' as const, value: eps } } : { epsilon: { kind: 'float' as const, value: eps }, axis: -1 };
  g.node(op, inputs, attrs, { outputs: ['Y'], name: 'norm' });
  g.output('Y', F, [N, C]);
  return g.finish();
}
