/**
 * Data-parallel training on the cores of one machine (PyTorch's
 * DistributedDataParallel, over shared memory): N replicas of a module run in
 * N workers (Node worker threads, or module Web Workers in a cross-origin
 * isolated page). Each step splits the batch along dim 0 into N contiguous
 * shards, every replica runs forward and backward on its shard, and the
 * gradients are combined exactly:
 *
 *   grad = sum over ranks k = 0, 1, ..., N-1 (in that order) of g_k
 *          (a reduce-scatter: each replica sums one slice of the parameters),
 *   g_k  = gradient of (n_k / B) * loss_k,
 *
 * which is the gradient of the full batch's mean loss (the shares n_k / B
 * make uneven splits exact). Parameters live in one SharedArrayBuffer seen by
 * the main thread and every worker, so one optimizer on the main thread
 * steps them in place. Buffers follow DDP's `broadcast_buffers`: each step
 * starts from the main module's buffers, and afterwards the main module holds
 * rank 0's. With `SyncBatchNorm` layers the replicas also merge their batch
 * statistics every step (process-group.ts); with BatchNorm each replica
 * normalizes by its own shard.
 *
 * ```ts
 * // replica.js: export function createReplica(opts) {
 * //   const mlp = new nk.nn.MLP({ inFeatures: 4, hidden: [8], outFeatures: 3, norm: 'batchnorm' });
 * //   return { module: nk.SyncBatchNorm.convertSyncBatchnorm(mlp), loss: (m, x, y) => nk.F.crossEntropy(m.forward(x), y) };
 * // }
 * // (the README's "Data-parallel training" section runs a complete example)
 * const dp = await nk.parallel.DataParallel.create({ replica: new URL('./replica.js', import.meta.url), workers: 2 });
 * const opt = new nk.optim.Adam(dp.parameters(), { lr: 1e-3 });
 * const loss = await dp.forwardBackward(x, labels); // grads are on dp.parameters()
 * opt.step();
 * await dp.close();
 * ```
 */
import { Tensor } from '../tensor/tensor.js';
import { Module } from '../nn/module.js';
import { createGroupBuffer } from './process-group.js';
import type { InitMessage, ReplicaFactory, ShardData, StepMessage, WorkerReply } from './protocol.js';
import { WorkerPool, isNode, type WorkerHandle } from './worker-pool.js';
import { checkOptions } from '../options.js';
import { getBackend } from '../kernels/backend.js';

/** Options of `DataParallel.create`. */
export interface DataParallelOptions {
  /** URL (or path-free file URL string) of the ES module that exports the replica factory. */
  replica: string | URL;
  /** The factory's export name (default 'createReplica'). */
  exportName?: string;
  /** Passed to the factory in every worker and on the main thread (structured-cloneable). */
  options?: unknown;
  /** Number of replicas / workers (default 2). */
  workers?: number;
  /** How long a replica waits for the others at a collective before failing (default 120,000 ms). */
  timeoutMs?: number;
  /**
   * Build the replicas in this pool's idle workers (warm: their compiled code
   * is kept) and give the workers back to it on `close()`, instead of starting
   * threads now and stopping them on close (worker-pool.ts).
   */
  pool?: WorkerPool;
}

/** Timing of the last step. */
export interface StepStats {
  /** Wall time of the step on the main thread, ms. */
  stepMs: number;
  /** The longest time any replica spent in collectives (SyncBatchNorm's exchanges and waits), ms. */
  syncMs: number;
  /**
   * The gradient all-reduce, ms: the longest time a replica spent waiting for
   * the others' gradients and summing its slice, plus the main thread's copy.
   */
  reduceMs: number;
}

/** Rows of shard k when B rows are split over N: the first B mod N shards get one more. */
export function shardSizes(B: number, N: number): number[] {
  const base = Math.floor(B / N);
  return Array.from({ length: N }, (_, k) => base + (k < B % N ? 1 : 0));
}

function sliceRows(v: Tensor | ArrayLike<number>, B: number, r0: number, r1: number, what: string): ShardData {
  if (v instanceof Tensor) {
    if (v.shape[0] !== B) throw new RangeError(`DataParallel: ${what} has ${v.shape[0]} rows, the batch ${B}`);
    const per = v.size / B;
    return { kind: 'tensor', data: v.data.slice(r0 * per, r1 * per), shape: [r1 - r0, ...v.shape.slice(1)] };
  }
  const n = v.length;
  if (n % B !== 0) throw new RangeError(`DataParallel: ${what} has ${n} values, not a multiple of the batch's ${B} rows`);
  const per = n / B;
  if (ArrayBuffer.isView(v)) return { kind: 'array', data: (v as unknown as Int32Array).slice(r0 * per, r1 * per) };
  return { kind: 'array', data: Array.from(v).slice(r0 * per, r1 * per) };
}

export class DataParallel {
  private workersList: WorkerHandle[];
  private readonly pool: WorkerPool;
  /** The pool was made for this DataParallel alone (no `pool` option): closed with it. */
  private readonly ownsPool: boolean;
  private isClosed = false;
  /** Resolves once every worker has exited (set by the first terminateAll). */
  private stopped: Promise<void> | null = null;
  private running = false;
  private failure: Error | null = null;
  private pending: ((r: WorkerReply, rank: number) => void) | null = null;
  private crashed: ((e: Error) => void) | null = null;
  private readonly grads: Float32Array;
  private readonly bufShared: Float64Array;
  private readonly P: number;
  /** Timing of the last step. */
  lastStats: StepStats = { stepMs: 0, syncMs: 0, reduceMs: 0 };

  private constructor(
    /** The main thread's module: its parameters are the shared ones (evaluate it, save it, step it). */
    readonly module: Module,
    readonly workers: number,
    workers_: WorkerHandle[],
    pool: WorkerPool,
    ownsPool: boolean,
    grads: Float32Array,
    bufShared: Float64Array,
    P: number,
  ) {
    this.workersList = workers_;
    this.pool = pool;
    this.ownsPool = ownsPool;
    this.grads = grads;
    this.bufShared = bufShared;
    this.P = P;
  }

  /**
   * Build the replicas: the factory runs on this thread (for `module`) and in
   * each of `workers` workers; every replica starts from this thread's
   * parameters. Rejects with the failing worker's error (and stops them all).
   * With `pool`, the workers come from the pool (idle ones first) and go
   * back to it on `close()`.
   */
  static async create(opts: DataParallelOptions): Promise<DataParallel> {
    checkOptions('DataParallel', opts, ['replica', 'exportName', 'options', 'workers', 'timeoutMs', 'pool']);
    const N = opts.workers ?? 2;
    if (!Number.isInteger(N) || N < 1) throw new RangeError(`DataParallel: workers must be a positive integer, got ${N}`);
    if (typeof SharedArrayBuffer === 'undefined' || (!isNode() && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true)) {
      throw new Error('DataParallel needs shared memory (SharedArrayBuffer), which this page lacks: serve it cross-origin isolated (headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)');
    }
    if (!(opts.replica instanceof URL) && typeof opts.replica !== 'string') throw new TypeError(`DataParallel: replica must be a module URL, got ${typeof opts.replica}`);
    const replicaUrl = String(opts.replica);
    const exportName = opts.exportName ?? 'createReplica';
    if (typeof exportName !== 'string' || exportName === '') throw new TypeError(`DataParallel: exportName must be a non-empty string, got ${String(exportName)}`);
    const timeoutMs = opts.timeoutMs ?? 120_000;
    if (!(timeoutMs > 0)) throw new RangeError(`DataParallel: timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
    if (opts.pool !== undefined && !(opts.pool instanceof WorkerPool)) throw new TypeError(`DataParallel: pool must be a parallel.WorkerPool, got ${Object.prototype.toString.call(opts.pool)}`);
    if (opts.pool?.closed) throw new Error('DataParallel: the WorkerPool passed as pool is closed');
    // the options travel to every worker by structured clone: refuse functions and the like here, by name
    try {
      structuredClone(opts.options);
    } catch (e) {
      throw new TypeError(`DataParallel: options must be structured-cloneable (plain data: no functions, class instances lose their methods): ${(e as Error).message}`);
    }
    const mod = (await import(replicaUrl)) as Record<string, unknown>; // user module URL
    const factory = mod[exportName] as ReplicaFactory | undefined;
    if (typeof factory !== 'function') throw new TypeError(`DataParallel: the replica module ${replicaUrl} has no exported function '${exportName}'`);
    const replica = await factory(opts.options);
    if (!(replica?.module instanceof Module)) {
      throw new TypeError(`DataParallel: ${exportName}() must return { module, loss } with module a normkit Module (built by the same copy of normkit as DataParallel), got ${replica?.module === undefined ? 'no module' : Object.prototype.toString.call(replica.module)}`);
    }
    if (typeof replica.loss !== 'function') throw new TypeError(`DataParallel: ${exportName}() must return { module, loss } with loss(module, x, y) a function, got ${typeof replica.loss}`);
    const { module } = replica;
    const params = module.parameters();
    const layout: [number, number][] = [];
    let P = 0;
    for (const [i, p] of params.entries()) {
      if (!(p.data instanceof Float32Array)) throw new TypeError(`DataParallel: parameter ${i} is ${p.dtype}; replicas share float32 parameters`);
      layout.push([P, p.size]);
      P += p.size;
    }
    const paramBuffer = new SharedArrayBuffer(P * 4);
    params.forEach((p, i) => {
      const view = new Float32Array(paramBuffer, layout[i]![0] * 4, p.size);
      view.set(p.data);
      p.data = view;
    });
    const gradBuffer = new SharedArrayBuffer(Math.max(1, N * P) * 4);
    const reducedBuffer = new SharedArrayBuffer(Math.max(1, P) * 4);
    const nBuf = module.buffers().reduce((s, b) => s + b.size, 0);
    // two halves: what every replica starts from, what rank 0 ends with (protocol.ts)
    const bufferBuffer = new SharedArrayBuffer(Math.max(1, 2 * nBuf) * 8);
    // per-rank slot: SyncBatchNorm sends 1 + 3C values per layer, in one exchange up to C = 21,845 (chunked beyond)
    const group = createGroupBuffer(N, 65536);
    const pool = opts.pool ?? new WorkerPool();
    let handles: WorkerHandle[];
    try {
      handles = await pool.acquire(N);
    } catch (e) {
      if (!opts.pool) await pool.close();
      throw e;
    }
    const dp = new DataParallel(module, N, handles, pool, !opts.pool, new Float32Array(reducedBuffer), new Float64Array(bufferBuffer), P);
    const ready = handles.map((h, rank) => new Promise<void>((resolve, reject) => {
      const init: InitMessage = {
        type: 'init', rank, worldSize: N, replicaUrl, exportName, options: opts.options, group, paramBuffer,
        params: layout, gradBuffer, reducedBuffer, bufferBuffer, timeoutMs, backend: getBackend(),
      };
      h.listen(
        (msg) => {
          const m = msg as WorkerReply;
          if (m.type === 'ready') resolve();
          else if (m.type === 'error' && dp.pending === null) reject(new Error(`DataParallel: replica ${rank} failed to start: ${m.message}`));
          else dp.pending?.(m, rank);
        },
        // a worker that dies outside a step's try (a crash, a failed load) ends the step or the start
        (e) => {
          const err = new Error(`DataParallel: replica ${rank} crashed: ${e.message}`);
          const stepReject = dp.crashed;
          void dp.fail(err);
          stepReject?.(err);
          reject(err);
        },
      );
      h.post(init);
    }));
    try {
      await Promise.all(ready);
    } catch (e) {
      await dp.terminateAll();
      throw e;
    }
    return dp;
  }

  /** The shared parameters (give them to an optimizer). */
  parameters(): Tensor[] {
    return this.module.parameters();
  }

  /** Training mode for the next steps (sent to every replica). */
  train(mode = true): this {
    this.module.train(mode);
    return this;
  }

  /** Evaluation mode. */
  eval(): this {
    return this.train(false);
  }

  /** True once `close()` ran or a replica failed: every worker is stopped and further steps throw. */
  get closed(): boolean {
    return this.isClosed;
  }

  private fail(e: Error): Promise<void> {
    if (!this.failure) this.failure = e;
    return this.terminateAll();
  }

  /** Stop every worker; resolves once all have exited (the same promise on every call). */
  private terminateAll(): Promise<void> {
    this.isClosed = true;
    this.stopped ??= Promise.all(this.workersList.map((h) => h.terminate())).then(() => (this.ownsPool ? this.pool.close() : undefined));
    return this.stopped;
  }

  /** Between steps, healthy: the workers drop their replicas and go back to the pool (stopped if the pool is this one's own). */
  private releaseAll(): Promise<void> {
    this.isClosed = true;
    this.stopped ??= (() => {
      for (const h of this.workersList) h.post({ type: 'release' });
      return this.pool.release(this.workersList).then(() => (this.ownsPool ? this.pool.close() : undefined));
    })();
    return this.stopped;
  }

  /**
   * One data-parallel forward + backward on the batch `x` (rows along dim 0)
   * with targets `y` (a Tensor with the same rows, or an array of B or B * k
   * values): sets `.grad` of every parameter to the full batch's gradient and
   * returns the batch's mean loss. A replica that throws rejects the step with
   * its error, and every worker is stopped.
   */
  async forwardBackward(x: Tensor, y: Tensor | ArrayLike<number>): Promise<number> {
    if (this.failure) throw new Error(`DataParallel is stopped after an earlier failure: ${this.failure.message}`);
    if (this.isClosed) throw new Error('DataParallel is closed');
    if (this.running) throw new Error('DataParallel.forwardBackward: the previous step is still running (await it first)');
    if (!(x instanceof Tensor) || x.ndim < 1) throw new TypeError('DataParallel.forwardBackward: x must be a Tensor with the batch along dim 0');
    const B = x.shape[0]!;
    const N = this.workers;
    if (B < N) throw new RangeError(`DataParallel: a batch of ${B} rows cannot be split over ${N} workers (each needs at least one row)`);
    const sizes = shardSizes(B, N);
    // slice every shard first: a bad y must throw before any worker starts a step
    const shards: StepMessage[] = [];
    const training = [...this.module.modules()].map((m) => m.training);
    let r0 = 0;
    for (const n of sizes) {
      shards.push({ type: 'step', x: sliceRows(x, B, r0, r0 + n, 'x'), y: sliceRows(y, B, r0, r0 + n, 'y'), weight: n / B, training });
      r0 += n;
    }
    this.running = true;
    try {
      return await this.runStep(shards, sizes, B);
    } finally {
      this.running = false;
    }
  }

  private async runStep(shards: StepMessage[], sizes: number[], B: number): Promise<number> {
    const N = this.workers;
    const t0 = performance.now();
    // the main module's buffers (rank 0's after the last step, or the user's edits) go to every replica
    let o = 0;
    for (const b of this.module.buffers()) { const d = b.data; for (let i = 0; i < d.length; i++) this.bufShared[o++] = d[i]!; }
    const nBuf = o;
    const replies: (WorkerReply | null)[] = new Array(N).fill(null);
    const done = new Promise<void>((resolve, reject) => {
      let left = N;
      // a replica that throws aborts the group, so the others stop at their next collective and answer too
      this.pending = (m, rank) => {
        if (replies[rank] !== null) return;
        replies[rank] = m;
        if (--left === 0) resolve();
      };
      this.crashed = reject;
    });
    shards.forEach((msg, k) => this.workersList[k]!.post(msg));
    try {
      await done;
    } catch (e) {
      await this.fail(e as Error);
      throw e;
    } finally {
      this.pending = null;
      this.crashed = null;
    }
    const errors = replies.map((r, k) => ({ r, k })).filter(({ r }) => r?.type === 'error') as { r: { type: 'error'; message: string }; k: number }[];
    if (errors.length > 0) {
      const own = errors.find(({ r }) => !/process group aborted/.test(r.message)) ?? errors[0]!;
      const err = new Error(`DataParallel: replica ${own.k} failed: ${own.r.message}`);
      // the caller sees the error only once no worker is left running
      await this.fail(err);
      throw err;
    }
    // the replicas summed the gradients (reduce-scatter, rank order); each parameter gets a copy
    const tr = performance.now();
    let loss = 0;
    let syncMs = 0;
    let reduceMs = 0;
    sizes.forEach((n, k) => {
      const r = replies[k]!;
      if (r.type !== 'done') return;
      loss += (n / B) * r.loss;
      syncMs = Math.max(syncMs, r.syncMs);
      reduceMs = Math.max(reduceMs, r.reduceMs);
    });
    // a parameter without a gradient on every replica (unused by the loss) keeps its .grad, as after backward()
    const unused = new Map<number, number>();
    for (const r of replies) if (r?.type === 'done') for (const i of r.noGrad) unused.set(i, (unused.get(i) ?? 0) + 1);
    const g = this.grads;
    let off = 0;
    this.module.parameters().forEach((p, pi) => {
      if (unused.get(pi) !== N) {
        // accumulated into an existing .grad, as backward() does (opt.zeroGrad() clears it)
        if (p.grad) { const acc = p.grad.data; for (let i = 0; i < p.size; i++) acc[i] = acc[i]! + g[off + i]!; }
        else p.grad = new Tensor(g.slice(off, off + p.size), p.shape);
      }
      off += p.size;
    });
    // rank 0's buffers (BatchNorm running statistics) become the main module's
    o = nBuf;
    for (const b of this.module.buffers()) { const d = b.data; for (let i = 0; i < d.length; i++) d[i] = this.bufShared[o++]!; }
    const now = performance.now();
    this.lastStats = { stepMs: now - t0, syncMs, reduceMs: reduceMs + (now - tr) };
    return loss;
  }

  /**
   * Stop every worker, or with `pool` give them back to it; resolves once the
   * stopped ones have exited (idempotent). A step in flight rejects, and its
   * workers are stopped even with a pool (a replica may be waiting in a
   * collective).
   */
  async close(): Promise<void> {
    const reject = this.crashed;
    const stopped = reject || this.failure ? this.terminateAll() : this.releaseAll();
    reject?.(new Error('DataParallel was closed during the step'));
    await stopped;
  }
}
