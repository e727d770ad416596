/**
 * A worker pool over the shared WebAssembly memory: each worker instantiates
 * the same compiled module on the same memory and runs a kernel on a range of
 * rows while the calling thread runs the first range itself.
 *
 * Dispatch is synchronous (kernels are synchronous functions): the caller
 * writes the arguments into a shared control block, bumps a sequence number
 * with Atomics.notify, runs its own part, then waits on each worker's "done"
 * word (Atomics.wait in Node; a spin on Atomics.load on a browser's main
 * thread, where blocking waits are forbidden). A round trip costs a few tens
 * of microseconds, so work is split only above a crossover measured by
 * `npm run bench` (docs/BENCHMARKS.md); below it everything runs on the
 * calling thread.
 *
 * Workers exist only after `await setThreads(n)` (n > 1) in an environment
 * with a shared memory: Node (worker_threads), or a cross-origin isolated
 * browser page (Web Workers). Without them every kernel runs on one thread.
 */
import { wasmState, type WasmState } from '../wasm/loader.js';

/** Words per worker slot in the control block: seq, done, fn index, nargs. */
const SLOT = 4;
/** Max kernel arguments. */
const MAX_ARGS = 16;

/**
 * The exports a worker may run, in registration order (the index is what
 * travels). src/kernels/wasm/implement.ts registers every declared kernel that
 * splits rows, so this list is derived from the kernel declarations.
 */
const KERNELS: string[] = [];
const KERNEL_INDEX = new Map<string, number>();

/** Let workers run export `name` (called when a kernel that splits is implemented). */
export function registerParallelKernel(name: string): void {
  if (KERNEL_INDEX.has(name)) return;
  KERNEL_INDEX.set(name, KERNELS.length);
  KERNELS.push(name);
}

/** The exports workers may run (for tests and diagnostics). */
export function parallelKernels(): readonly string[] {
  return KERNELS;
}

interface Handle { terminate(): unknown }

interface Pool {
  workers: Handle[];
  /** How many of KERNELS the workers were started with. */
  known: number;
  ctrl: Int32Array;
  args: Float64Array;
  seq: number;
}

let pool: Pool | null = null;
/** Split only when one thread's estimated work exceeds this (ns); see docs/BENCHMARKS.md. */
let crossoverNs = 150_000;

const isNode = (): boolean => !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
const canBlock = (): boolean => isNode() || typeof (globalThis as { document?: unknown }).document === 'undefined';

/** The worker program (plain JS, run by Node with eval or by a browser from a Blob). */
const WORKER_SOURCE = `
const start = (d, post) => {
  const inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
  const ctrl = new Int32Array(d.ctrl), args = new Float64Array(d.args);
  const base = d.id * ${SLOT}, abase = d.id * ${MAX_ARGS};
  const fns = d.names.map((n) => inst.exports[n]);
  post('ready');
  let last = 0;
  for (;;) {
    Atomics.wait(ctrl, base, last);
    const seq = Atomics.load(ctrl, base);
    if (seq < 0) break;
    if (seq === last) continue;
    last = seq;
    const n = ctrl[base + 3];
    const a = new Array(n);
    for (let i = 0; i < n; i++) a[i] = args[abase + i];
    fns[ctrl[base + 2]](...a);
    Atomics.store(ctrl, base + 1, seq);
    Atomics.notify(ctrl, base + 1);
  }
};
if (typeof require !== 'undefined' && require('worker_threads').parentPort) {
  const wt = require('worker_threads');
  start(wt.workerData, (m) => wt.parentPort.postMessage(m));
} else {
  self.onmessage = (e) => start(e.data, (m) => self.postMessage(m));
}
`;

/** Number of threads kernels may use (1 = the calling thread only). */
export function getThreads(): number {
  return pool ? pool.workers.length + 1 : 1;
}

/** Set the work (estimated single-thread ns) above which kernels split over threads. */
export function setThreadCrossover(ns: number): void {
  if (!(ns >= 0)) throw new RangeError(`crossover must be >= 0 ns, got ${ns}`);
  crossoverNs = ns;
}

/** The current crossover in ns of estimated single-thread work. */
export function getThreadCrossover(): number {
  return crossoverNs;
}

/**
 * Use `n` threads for large WebAssembly kernels (the caller plus n-1 workers).
 * Resolves when the workers are ready. `n = 1` stops the workers. Throws when
 * n > 1 and this environment has no shared WebAssembly memory (browsers need
 * cross-origin isolation) or no worker support.
 */
export async function setThreads(n: number): Promise<void> {
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError(`threads must be an integer in [1, 64], got ${n}`);
  stopPool();
  if (n === 1) return;
  const s = wasmState();
  if (!s) throw new Error('threads need the WebAssembly backend, which is not loaded in this environment');
  if (!s.shared) throw new Error('threads need a shared WebAssembly memory (SharedArrayBuffer); in browsers the page must be cross-origin isolated');
  pool = await startPool(s, n - 1);
}

async function startPool(s: WasmState, nWorkers: number): Promise<Pool> {
  const ctrlBuf = new SharedArrayBuffer(nWorkers * SLOT * 4);
  const argBuf = new SharedArrayBuffer(nWorkers * MAX_ARGS * 8);
  const workers: Handle[] = [];
  const ready: Promise<void>[] = [];
  for (let id = 0; id < nWorkers; id++) {
    const data = { module: s.module, memory: s.memory, ctrl: ctrlBuf, args: argBuf, id, names: KERNELS.slice() };
    if (isNode()) {
      const wt = await import('node:worker_threads');
      const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: data });
      w.unref(); // an idle pool must not keep the process alive
      ready.push(new Promise((res, rej) => { w.once('message', () => res()); w.once('error', rej); }));
      workers.push(w);
    } else {
      const W = (globalThis as unknown as { Worker?: new (url: string) => Worker }).Worker;
      if (!W) throw new Error('threads need Web Workers, which this environment lacks');
      const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
      const w = new W(url);
      ready.push(new Promise((res, rej) => { w.onmessage = () => res(); w.onerror = (e) => rej(e); }));
      w.postMessage(data);
      workers.push(w);
    }
  }
  await Promise.all(ready);
  return { workers, known: KERNELS.length, ctrl: new Int32Array(ctrlBuf), args: new Float64Array(argBuf), seq: 0 };
}

function stopPool(): void {
  if (!pool) return;
  for (let i = 0; i < pool.workers.length; i++) {
    Atomics.store(pool.ctrl, i * SLOT, -1);
    Atomics.notify(pool.ctrl, i * SLOT);
    void pool.workers[i]!.terminate();
  }
  pool = null;
}

/** Into how many row ranges `parallelRows` splits N rows of `nsPerRow` estimated work. */
export function parallelParts(N: number, nsPerRow: number): number {
  if (!pool || N < 2) return 1;
  const threads = pool.workers.length + 1;
  if (N * nsPerRow < crossoverNs) return 1;
  return Math.min(threads, N);
}

/**
 * Run wasm kernel `name` over rows [0, N) in `parts` contiguous ranges: range 0
 * on the calling thread, the others on workers. `args(r0, r1, part)` builds the
 * kernel's argument list for one range.
 */
export function parallelRows(
  name: string, N: number, nsPerRow: number,
  args: (r0: number, r1: number, part: number) => number[],
  parts = parallelParts(N, nsPerRow),
): void {
  const fn = wasmState()!.exports[name] as (...a: number[]) => void;
  if (typeof fn !== 'function') throw new Error(`the WebAssembly module has no export '${name}'`);
  if (parts <= 1 || !pool) { fn(...args(0, N, 0)); return; }
  const fi = KERNEL_INDEX.get(name);
  if (fi === undefined) throw new Error(`export '${name}' is not registered for threads (declare its kernel's split in src/kernels/wasm/kernels.ts)`);
  const bound = (k: number) => Math.round((N * k) / parts);
  // a kernel registered after the workers started runs on this thread (its parts in order)
  if (fi >= pool.known) {
    for (let k = 0; k < parts; k++) fn(...args(bound(k), bound(k + 1), k));
    return;
  }
  const p = pool;
  const seq = ++p.seq;
  for (let k = 1; k < parts; k++) {
    const w = k - 1;
    const a = args(bound(k), bound(k + 1), k);
    if (a.length > MAX_ARGS) throw new Error(`kernel ${name} takes ${a.length} arguments; the pool passes at most ${MAX_ARGS}`);
    for (let i = 0; i < a.length; i++) p.args[w * MAX_ARGS + i] = a[i]!;
    p.ctrl[w * SLOT + 2] = fi;
    p.ctrl[w * SLOT + 3] = a.length;
    Atomics.store(p.ctrl, w * SLOT, seq);
    Atomics.notify(p.ctrl, w * SLOT);
  }
  fn(...args(0, bound(1), 0));
  const block = canBlock();
  for (let k = 1; k < parts; k++) {
    const at = (k - 1) * SLOT + 1;
    for (;;) {
      const done = Atomics.load(p.ctrl, at);
      if (done === seq) break;
      if (block) Atomics.wait(p.ctrl, at, done, 1000);
    }
  }
}
