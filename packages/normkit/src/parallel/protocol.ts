/**
 * Messages between DataParallel (main thread) and its replica workers, and
 * the replica factory the user's module exports. Shared buffers (all
 * SharedArrayBuffer):
 * - `paramBuffer`: every parameter, float32, concatenated in
 *   `module.parameters()` order (`params` lists [offset, length] pairs);
 * - `gradBuffer`: worldSize slots of the same layout, one per rank;
 * - `reducedBuffer`: the summed gradient, same layout; rank k sums slice k
 *   of it over the ranks' slots (a reduce-scatter, every rank in parallel);
 * - `bufferBuffer`: the module's buffers as float64, in `module.buffers()`
 *   order, twice: the first half is what every replica starts a step from
 *   (the main module's, written before the step is sent), the second what
 *   rank 0 ends it with (read back into the main module). Two halves, so rank
 *   0 never overwrites values a slower rank has not read yet;
 * - `group`: the process group's buffer (process-group.ts).
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Module } from '../nn/module.js';

/**
 * What a replica module exports (by default as `createReplica`): build the
 * model (the same architecture every call) and say how to compute the loss
 * of a shard; the worker back-propagates it. `options` is what was passed to
 * `DataParallel.create` (structured-cloneable).
 */
export type ReplicaFactory = (options: unknown) => Replica | Promise<Replica>;

/** The model and the loss of one replica. */
export interface Replica {
  module: Module;
  /** The mean loss over the shard `x` (rows of the batch) with targets `y` (the same rows). */
  loss: (module: Module, x: Tensor, y: Tensor | ArrayLike<number>) => Tensor;
}

/** One shard of an input or target, as it travels. */
export type ShardData =
  | { kind: 'tensor'; data: Float32Array | Float64Array; shape: number[] }
  | { kind: 'array'; data: Int32Array | Float32Array | Float64Array | number[] };

export interface InitMessage {
  type: 'init';
  rank: number;
  worldSize: number;
  replicaUrl: string;
  exportName: string;
  options: unknown;
  group: SharedArrayBuffer;
  paramBuffer: SharedArrayBuffer;
  params: [number, number][];
  gradBuffer: SharedArrayBuffer;
  reducedBuffer: SharedArrayBuffer;
  bufferBuffer: SharedArrayBuffer;
  timeoutMs: number;
  /** The kernel backend of the main thread, used by the replica too. */
  backend: 'js' | 'wasm';
}

export interface StepMessage {
  type: 'step';
  x: ShardData;
  y: ShardData;
  /** This shard's rows over the batch's. */
  weight: number;
  /** `training` of every module of the main module, in `modules()` order (dropout off but BatchNorm training, say). */
  training: boolean[];
}

/** Drop the replica this worker holds (it goes back to a WorkerPool). */
export interface ReleaseMessage {
  type: 'release';
}

/** What the main thread sends a replica worker. */
export type ToWorker = InitMessage | StepMessage | ReleaseMessage;

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'done'; loss: number; syncMs: number; reduceMs: number; stepMs: number; noGrad: number[] }
  | { type: 'error'; message: string; stack?: string };
