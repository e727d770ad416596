/**
 * `normkit export --arch ARCH.json --model WEIGHTS.safetensors --out model.onnx`:
 * rebuild a model from a JSON architecture, load its weights (PyTorch
 * state-dict names) and write it as ONNX with `nk.onnx.exportModel` (Node only).
 *
 * The architecture is a module spec: `{ "type": NAME, ...constructor options }`,
 * nested through `layers` for Sequential. See {@link buildModule} for the names.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Tensor } from 'normkit';
import { zeros } from 'normkit';
import { fmtShape } from 'normkit';
import type { Module } from 'normkit/nn';
import { LayerNorm } from 'normkit';
import { RMSNorm } from 'normkit';
import { BatchNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d } from 'normkit';
import { GroupNorm } from 'normkit';
import { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d } from 'normkit';
import { LocalResponseNorm } from 'normkit';
import { DyT } from 'normkit';
import { Linear } from 'normkit/nn';
import { GELU, Identity, ReLU, Sigmoid, Tanh } from 'normkit/nn';
import { Dropout } from 'normkit/nn';
import { Sequential } from 'normkit/nn';
import { Flatten } from 'normkit/nn';
import { MultiheadAttention } from 'normkit/nn';
import { TransformerBlock } from 'normkit/nn';
import { MLP } from 'normkit/nn';
import { loadSafetensors } from 'normkit/io';
import { exportModel } from 'normkit/onnx';
import { DEFAULT_OPSET } from 'normkit/onnx';

type Unary = Module & { forward(x: Tensor): Tensor };

/** A module spec: `type` plus the constructor's arguments by name. */
export interface ModuleSpec {
  type: string;
  [option: string]: unknown;
}

function need<T>(spec: ModuleSpec, key: string, path: string): T {
  if (spec[key] === undefined) throw new Error(`arch ${path}: ${spec.type} needs "${key}"`);
  return spec[key] as T;
}

/** The spec without `type` (and the other keys listed), as constructor options. */
function rest(spec: ModuleSpec, ...drop: string[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) if (k !== 'type' && !drop.includes(k)) o[k] = v;
  return o;
}

/** Types `buildModule` understands, with their required fields. */
export const ARCH_TYPES: Record<string, string> = {
  Sequential: 'layers: [spec, ...]',
  Linear: 'inFeatures, outFeatures, bias?',
  ReLU: '', GELU: '', Tanh: '', Sigmoid: '', Identity: '', Dropout: 'p?',
  Flatten: 'startDim?, endDim?',
  LayerNorm: 'normalizedShape, eps?, elementwiseAffine?, bias?',
  RMSNorm: 'normalizedShape, eps?, elementwiseAffine?',
  BatchNorm: 'numFeatures, axis?, eps?, momentum?, affine?, trackRunningStats?',
  BatchNorm1d: 'numFeatures, ...', BatchNorm2d: 'numFeatures, ...', BatchNorm3d: 'numFeatures, ...',
  GroupNorm: 'numGroups, numChannels, eps?, affine?',
  InstanceNorm1d: 'numFeatures, affine?, trackRunningStats?, ...', InstanceNorm2d: 'numFeatures, ...', InstanceNorm3d: 'numFeatures, ...',
  LocalResponseNorm: 'size, alpha?, beta?, k?',
  DyT: 'normalizedShape, alphaInit?',
  MultiheadAttention: 'dModel, nHeads, causal?',
  TransformerBlock: 'dModel, nHeads, dFF?, norm?, placement?, causal?, activation?, eps?',
  MLP: 'inFeatures, hidden, outFeatures, activation?, norm?, residual?, normGroups?, eps?, bias?',
};

/**
 * Build a module from a spec, e.g.
 * `{"type": "Sequential", "layers": [{"type": "Linear", "inFeatures": 4, "outFeatures": 8}, {"type": "LayerNorm", "normalizedShape": [8]}, {"type": "GELU"}]}`.
 * Child names follow the module's own (Sequential children are `0`, `1`, ...),
 * so a state dict saved from the same architecture loads with strict keys.
 */
export function buildModule(spec: ModuleSpec, path = '$'): Unary {
  if (!spec || typeof spec !== 'object' || typeof spec.type !== 'string') {
    throw new Error(`arch ${path}: expected an object with a "type" (one of ${Object.keys(ARCH_TYPES).join(', ')}), got ${JSON.stringify(spec)}`);
  }
  const o = rest(spec);
  switch (spec.type) {
    case 'Sequential': {
      const layers = need<ModuleSpec[]>(spec, 'layers', path);
      if (!Array.isArray(layers)) throw new Error(`arch ${path}: Sequential "layers" must be an array`);
      return new Sequential(...layers.map((l, i) => buildModule(l, `${path}.layers[${i}]`)));
    }
    case 'Linear': return new Linear(need(spec, 'inFeatures', path), need(spec, 'outFeatures', path), rest(spec, 'inFeatures', 'outFeatures'));
    case 'ReLU': return new ReLU();
    case 'GELU': return new GELU();
    case 'Tanh': return new Tanh();
    case 'Sigmoid': return new Sigmoid();
    case 'Identity': return new Identity();
    case 'Dropout': return new Dropout((spec.p as number | undefined) ?? 0.5);
    case 'Flatten': return new Flatten((spec.startDim as number | undefined) ?? 1, (spec.endDim as number | undefined) ?? -1);
    case 'LayerNorm': return new LayerNorm(need(spec, 'normalizedShape', path), rest(spec, 'normalizedShape'));
    case 'RMSNorm': return new RMSNorm(need(spec, 'normalizedShape', path), rest(spec, 'normalizedShape'));
    case 'BatchNorm': return new BatchNorm(need(spec, 'numFeatures', path), rest(spec, 'numFeatures'));
    case 'BatchNorm1d': return new BatchNorm1d(need(spec, 'numFeatures', path), rest(spec, 'numFeatures'));
    case 'BatchNorm2d': return new BatchNorm2d(need(spec, 'numFeatures', path), rest(spec, 'numFeatures'));
    case 'BatchNorm3d': return new BatchNorm3d(need(spec, 'numFeatures', path), rest(spec, 'numFeatures'));
    case 'GroupNorm': return new GroupNorm(need(spec, 'numGroups', path), need(spec, 'numChannels', path), rest(spec, 'numGroups', 'numChannels'));
    case 'InstanceNorm1d': return new InstanceNorm1d(need(spec, 'numFeatures', path), rest(spec, 'numFeatures'));
    case 'InstanceNorm2d': return new InstanceNorm2d(need(spec, 'numFeatures', path), rest(spec, 'numFeatures'));
    case 'InstanceNorm3d': return new InstanceNorm3d(need(spec, 'numFeatures', path), rest(spec, 'numFeatures'));
    case 'LocalResponseNorm': return new LocalResponseNorm(need(spec, 'size', path), rest(spec, 'size'));
    case 'DyT': return new DyT(need(spec, 'normalizedShape', path), rest(spec, 'normalizedShape'));
    case 'MultiheadAttention': return new MultiheadAttention(need(spec, 'dModel', path), need(spec, 'nHeads', path), rest(spec, 'dModel', 'nHeads'));
    case 'TransformerBlock': return new TransformerBlock(o as never);
    case 'MLP': return new MLP(o as never);
    default:
      throw new Error(`arch ${path}: unknown module type "${spec.type}" (expected one of ${Object.keys(ARCH_TYPES).join(', ')})`);
  }
}

/** An example input shape from the spec when it determines one ([1, features]). */
export function inferInputShape(spec: ModuleSpec): number[] | null {
  switch (spec.type) {
    case 'Sequential': {
      const first = (spec.layers as ModuleSpec[] | undefined)?.[0];
      return first ? inferInputShape(first) : null;
    }
    case 'Linear': return [1, spec.inFeatures as number];
    case 'MLP': return [1, spec.inFeatures as number];
    case 'LayerNorm': case 'RMSNorm': case 'DyT': {
      const ns = spec.normalizedShape as number | number[];
      return [1, ...(typeof ns === 'number' ? [ns] : ns)];
    }
    case 'BatchNorm1d': return [2, spec.numFeatures as number];
    default: return null;
  }
}

function parseShape(s: string): number[] {
  const dims = s.split(/[,x ]+/).filter(Boolean).map(Number);
  if (!dims.length || dims.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`--input-shape must be positive integers separated by commas (e.g. 1,16), got "${s}"`);
  return dims;
}

/** Options of {@link exportFromFiles}. */
export interface ExportFilesOptions {
  arch: string;
  model?: string;
  out: string;
  inputShape?: number[];
  opset?: number;
  dynamicBatch?: boolean;
}

/**
 * Build the architecture, load the weights (strict: every key must match),
 * export, and write the ONNX file. Returns a one-paragraph summary.
 */
export async function exportFromFiles(o: ExportFilesOptions): Promise<string> {
  let spec: ModuleSpec & { inputShape?: number[] };
  try {
    spec = JSON.parse(await readFile(o.arch, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the architecture ${o.arch}: ${(e as Error).message}`);
  }
  const model = buildModule(spec);
  let loaded = 'no weights given: the initial (random) weights were exported';
  if (o.model) {
    const sd = loadSafetensors(new Uint8Array(await readFile(o.model)));
    model.loadStateDict(sd);
    loaded = `${Object.keys(sd).length} tensors loaded from ${o.model}`;
  }
  const shape = o.inputShape ?? spec.inputShape ?? inferInputShape(spec);
  if (!shape) throw new Error(`cannot infer the input shape of a ${spec.type}: pass --input-shape (e.g. --input-shape 1,8,32 for [batch, seq, dModel]) or put "inputShape" in the architecture`);
  const example = zeros(shape);
  const bytes = exportModel(model, example, { opset: o.opset, dynamicBatch: o.dynamicBatch });
  const out = model.eval().forward(example);
  const tmp = `${o.out}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, o.out);
  return `wrote ${o.out} (${bytes.length} bytes, opset ${o.opset ?? DEFAULT_OPSET}): input 'input' ${fmtShape(shape)}, output 'output' ${fmtShape(out.shape)}${o.dynamicBatch === false ? '' : ' (dim 0 symbolic: any batch size)'}; ${loaded}`;
}

/** Register `normkit export` on a commander program (`write` receives the stdout text). */
export function registerExport(program: Command, write: (text: string) => void = (t) => void process.stdout.write(t)): Command {
  return program
    .command('export')
    .description('export a model (JSON architecture + safetensors weights) to ONNX, runnable in onnxruntime')
    .requiredOption('--arch <file>', 'JSON architecture: {"type": ..., ...constructor options} (see below)')
    .option('--model <file>', 'safetensors weights with PyTorch state-dict names (as nk.io.saveSafetensors(model.stateDict()) writes)')
    .requiredOption('--out <file>', 'the ONNX file to write')
    .option('--input-shape <dims>', 'example input shape, e.g. 1,16 (default: inferred from the first layer, or "inputShape" in the architecture)', parseShape)
    .option('--opset <n>', `ONNX opset (default ${DEFAULT_OPSET}; RMSNorm needs 23, GroupNorm 21)`, (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 17) throw new Error(`--opset must be an integer >= 17, got "${v}"`);
      return n;
    })
    .option('--static-batch', 'fix the batch dim to the example shape instead of a symbolic "batch"')
    .addHelpText('after', `
The model is exported in evaluation mode (dropout off, batch norm with running
statistics). Input is named 'input', output 'output'. Normalization layers map to
LayerNormalization-17, RMSNormalization-23, BatchNormalization-15,
GroupNormalization-21, InstanceNormalization and LRN.

Architecture types and their fields:
${Object.entries(ARCH_TYPES).map(([k, v]) => `  ${k}${v ? `: ${v}` : ''}`).join('\n')}

Example (arch.json):
  {"type": "Sequential", "inputShape": [1, 4], "layers": [
    {"type": "Linear", "inFeatures": 4, "outFeatures": 8},
    {"type": "LayerNorm", "normalizedShape": [8]},
    {"type": "GELU"},
    {"type": "Linear", "inFeatures": 8, "outFeatures": 2}]}
  normkit export --arch arch.json --model weights.safetensors --out model.onnx`)
    .action(async (o: { arch: string; model?: string; out: string; inputShape?: number[]; opset?: number; staticBatch?: boolean }) => {
      write((await exportFromFiles({ arch: o.arch, model: o.model, out: o.out, inputShape: o.inputShape, opset: o.opset, dynamicBatch: !o.staticBatch })) + '\n');
    });
}
