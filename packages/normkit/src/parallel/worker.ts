/**
 * The program of one DataParallel replica (a Node worker thread or a
 * browser module Web Worker). It builds the user's replica from its module
 * URL, points the parameters at the shared parameter buffer (so the main
 * thread's optimizer updates are seen without copies), installs the process
 * group for SyncBatchNorm, then runs forward + backward on each shard it is
 * sent and writes its gradients into its own slot of the shared gradient
 * buffer. Protocol and layout: data-parallel.ts.
 *
 * A worker can serve several DataParallels one after another (a
 * `WorkerPool`): each `init` message builds a new replica in place of the last
 * one, and `release` drops the replica it holds, so the thread's compiled
 * code stays warm for the next one.
 */
import { Tensor } from '../tensor/tensor.js';
import { tidy } from '../tensor/scope.js';
import { mul } from '../functional/elementwise.js';
import '../functional/backward-rules.js'; // the autograd rules (imported for that effect)
import { setBackend } from '../kernels/backend.js';
import { initWasm } from '../kernels/wasm/index.js';
import { Module } from '../nn/module.js';
import { SharedProcessGroup, setProcessGroup } from './process-group.js';
import type { InitMessage, Replica, ReplicaFactory, StepMessage, ShardData, WorkerReply, ToWorker } from './protocol.js';

type Post = (m: WorkerReply) => void;
/** Runs one step of the replica this worker holds. */
type StepHandler = (m: StepMessage) => void;

function shardValue(s: ShardData): Tensor | ArrayLike<number> {
  return s.kind === 'tensor' ? new Tensor(s.data, s.shape) : s.data;
}

/** Build the replica `init` describes; resolves to its step handler and its release, or null after reporting an error. */
async function start(init: InitMessage, post: Post): Promise<{ step: StepHandler; release: () => void } | null> {
  const group = new SharedProcessGroup(init.group, init.rank, init.worldSize, init.timeoutMs);
  let module: Module;
  let lossFn: Replica['loss'];
  try {
    // the main thread's kernels, so a replica rounds as the main module would
    if (init.backend === 'wasm') await initWasm();
    setBackend(init.backend);
    const mod = (await import(init.replicaUrl)) as Record<string, unknown>; // user module URL
    const factory = mod[init.exportName] as ReplicaFactory | undefined;
    if (typeof factory !== 'function') throw new TypeError(`replica module ${init.replicaUrl} has no exported function '${init.exportName}'`);
    const r = await factory(init.options);
    // SyncBatchNorm finds the group through this copy of the library: a replica built with another
    // copy (normkit imported from a different URL) would silently normalize by its own shard
    if (!(r?.module instanceof Module)) {
      throw new TypeError(`${init.exportName}() must return { module, loss } with module a normkit Module built by the same copy of normkit as this worker (${new URL('../index.js', import.meta.url).href}); got ${r?.module === undefined ? 'no module' : `a ${Object.prototype.toString.call(r.module)} that is not one`}`);
    }
    if (typeof r.loss !== 'function') throw new TypeError(`${init.exportName}() must return { module, loss } with loss(module, x, y) a function, got ${typeof r.loss}`);
    module = r.module;
    lossFn = r.loss;
    const params = module.parameters();
    if (params.length !== init.params.length) throw new Error(`replica ${init.rank} has ${params.length} parameters, the main module ${init.params.length}: the factory must build the same model every time`);
    params.forEach((p, i) => {
      const [off, n] = init.params[i]!;
      if (p.size !== n || !(p.data instanceof Float32Array)) throw new Error(`replica ${init.rank}: parameter ${i} has ${p.size} ${p.dtype} values, the main module's ${n} float32`);
      p.data = new Float32Array(init.paramBuffer, off * 4, n);
    });
    setProcessGroup(group);
  } catch (e) {
    group.abort();
    post({ type: 'error', message: (e as Error).message ?? String(e), stack: (e as Error).stack });
    return null;
  }
  const params = module.parameters();
  const buffers = module.buffers();
  const modules = [...module.modules()];
  const P = init.params.reduce((s, [, n]) => s + n, 0);
  const grads = new Float32Array(init.gradBuffer, init.rank * P * 4, P);
  const all = new Float32Array(init.gradBuffer, 0, init.worldSize * P);
  const reduced = new Float32Array(init.reducedBuffer, 0, P);
  // this rank's slice of the gradient sum
  const lo = Math.floor((P * init.rank) / init.worldSize);
  const hi = Math.floor((P * (init.rank + 1)) / init.worldSize);
  const nBuf = buffers.reduce((s, b) => s + b.size, 0);
  const bufIn = new Float64Array(init.bufferBuffer, 0, nBuf);
  const bufOut = new Float64Array(init.bufferBuffer, nBuf * 8, nBuf);
  const step: StepHandler = (m) => {
    try {
      const t0 = performance.now();
      // DDP's broadcast_buffers: every replica starts from the main module's buffers (rank 0's after the last step)
      let o = 0;
      for (const b of buffers) { const d = b.data; for (let i = 0; i < d.length; i++) d[i] = bufIn[o++]!; }
      if (m.training.length !== modules.length) throw new Error(`replica ${init.rank} has ${modules.length} modules, the main module ${m.training.length}: the factory must build the same model every time`);
      modules.forEach((mod, i) => { mod.training = m.training[i]!; });
      group.resetWaitMs();
      module.zeroGrad(); // frees the last step's gradients (copied into the shared slot already)
      const loss = tidy(() => {
        const l = lossFn(module, shardValue(m.x) as Tensor, shardValue(m.y));
        if (!(l instanceof Tensor) || l.size !== 1) throw new TypeError(`the replica's loss must return a one-element Tensor, got ${l instanceof Tensor ? `shape [${l.shape.join(', ')}]` : typeof l}`);
        const v = l.item();
        // scaled by this shard's share of the batch: the sum over replicas is the full batch's mean loss
        mul(l, m.weight).backward();
        return v;
      });
      let q = 0;
      const noGrad: number[] = [];
      params.forEach((p, i) => {
        const g = p.grad;
        if (g) grads.set(g.data, q);
        else { grads.fill(0, q, q + p.size); noGrad.push(i); }
        q += p.size;
      });
      // The gradient all-reduce, as a reduce-scatter: once every rank has written its
      // gradients, each sums its slice over the ranks in rank order (float64, identical
      // bits whoever sums), in parallel; the main thread reads the result.
      const tr = performance.now();
      if (init.worldSize > 1) group.barrier();
      for (let i = lo; i < hi; i++) {
        let v = all[i]!;
        for (let r = 1; r < init.worldSize; r++) v += all[r * P + i]!;
        reduced[i] = v;
      }
      const reduceMs = performance.now() - tr;
      if (init.rank === 0) {
        o = 0;
        for (const b of buffers) { const d = b.data; for (let i = 0; i < d.length; i++) bufOut[o++] = d[i]!; }
      }
      post({ type: 'done', loss, syncMs: group.waitMs, reduceMs, stepMs: performance.now() - t0, noGrad });
    } catch (e) {
      group.abort();
      post({ type: 'error', message: (e as Error).message ?? String(e), stack: (e as Error).stack });
    }
  };
  // back in a pool: the replica's gradients and buffers go now, not at the next init
  const release = (): void => {
    setProcessGroup(null);
    module.zeroGrad();
    for (const b of buffers) b.dispose();
  };
  post({ type: 'ready' });
  return { step, release };
}

/** The worker's message loop: init (again, in a pool), step, release. */
function serve(post: Post): (m: ToWorker) => void {
  let current: { step: StepHandler; release: () => void } | null = null;
  // messages are handled in order: a step never runs before the init before it has finished
  let queue: Promise<void> = Promise.resolve();
  return (m) => {
    queue = queue.then(async () => {
      try {
        if (m.type === 'init') {
          current?.release();
          current = await start(m, post);
        } else if (m.type === 'release') {
          current?.release();
          current = null;
        } else if (current) current.step(m);
        else post({ type: 'error', message: 'this worker holds no replica (its init failed or it was released)' });
      } catch (e) {
        // (start and step report their own errors) a release that threw: the next message still runs
        current = null;
        post({ type: 'error', message: (e as Error).message ?? String(e), stack: (e as Error).stack });
      }
    });
  };
}

// a local probe: the browser-safety check (test/browser/no-node-imports.test.ts) sees the guard in this file
const isNode = (): boolean => !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;

if (isNode()) {
  const wt = await import('node:worker_threads');
  const port = wt.parentPort!;
  port.on('message', serve((m) => port.postMessage(m)));
} else {
  const self = globalThis as unknown as { onmessage: ((e: { data: unknown }) => void) | null; postMessage(m: unknown): void };
  const handle = serve((m) => self.postMessage(m));
  self.onmessage = (e) => handle(e.data as ToWorker);
}
