/**
 * Loads normkit's WebAssembly module and owns its linear memory.
 *
 * Design (measured in docs/BENCHMARKS.md): normalization kernels are
 * memory-bound, so copying a tensor into wasm memory and back costs more
 * than the kernel itself. Large float32 tensors therefore *live* in the wasm
 * memory: `allocate()` (src/tensor/dtype.ts) asks `allocateResident` for a
 * Float32Array view of a block of this memory, freed by a FinalizationRegistry
 * when the view is garbage-collected. Kernels get resident arrays by pointer
 * (zero copy); anything else (small tensors, float64, views of JS arrays) is
 * copied into a temporary block for the call, which keeps both paths correct.
 *
 * The memory is a shared WebAssembly.Memory (a SharedArrayBuffer) when the
 * platform allows it (Node; browsers when cross-origin isolated): growing a
 * shared memory never detaches existing views, and worker threads can run
 * kernels on the same memory. Otherwise an ordinary memory is used and only
 * temporaries live in it (views of an ordinary memory detach on grow).
 *
 * Node compiles the module synchronously at import; browsers forbid
 * synchronous compilation of modules over 4 KiB on the main thread, so there
 * `initWasm()` compiles asynchronously and the backend switches when ready.
 *
 * Of the four builds (shared or ordinary memory, each with or without relaxed
 * SIMD) it compiles the relaxed one where the engine validates relaxed SIMD
 * and `NORMKIT_RELAXED_SIMD` is not 0 (src/kernels/wasm/relaxed-simd.ts).
 */
import { WASM_PLAIN_BASE64, WASM_PLAIN_RELAXED_BASE64, WASM_SHARED_BASE64, WASM_SHARED_RELAXED_BASE64 } from './generated.js';
import { relaxedSimdSupported, relaxedSimdWanted } from './relaxed-simd.js';
import { forgetStorage } from '../../tensor/storage.js';

/** The kernels exported by src/kernels/wasm/assembly/index.ts (pointers are byte addresses). */
export interface WasmExports {
  gemmRows(a: number, b: number, c: number, M: number, N: number, K: number,
    transA: number, transB: number, accumulate: number, scratch: number, bias: number, packed: number, m0: number, m1: number): void;
  packB(dst: number, src: number, N: number, K: number, transB: number): void;
  /** Zero `bytes` bytes at `ptr` (memory.fill). */
  zeroBytes(ptr: number, bytes: number): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [name: string]: any;
}

/** One loaded instance and its memory. */
export interface WasmState {
  exports: WasmExports;
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  /** True when `memory` is shared (resident tensors and threads possible). */
  shared: boolean;
  /** True when the relaxed-SIMD build runs (fused multiply-add in the matmul and GELU). */
  relaxedSimd: boolean;
}

const PAGE = 65536;
/** The first 64 KiB are left to the module (it declares no data, but keep address 0 unused). */
const HEAP_BASE = PAGE;
/** Blocks are 64-byte aligned (a cache line; v128 loads are then aligned too). */
const ALIGN = 64;
/**
 * float32 tensors at least this large live in wasm memory (4 KiB). Below it a
 * kernel call copies the tensor in and out, which for a small model's
 * activations (32 x 100) cost more than the kernels: at 16384 elements
 * (64 KiB), the threshold until the third session of round two, an MLP
 * training step took 0.91-0.93 ms against 0.56-0.60 ms at 1024
 * (bench/steady-steps.ts). Smaller arrays stay on the JS heap, where a
 * block per tensor would cost more than the copy.
 */
export const RESIDENT_MIN_ELEMENTS = 1024;
/**
 * Resident tensors stop being placed in wasm memory beyond this many bytes in
 * use. FinalizationRegistry callbacks only run when the event loop turns, so a
 * long synchronous training loop cannot free its dead tensors until it yields;
 * past the cap new tensors go back to the JS heap (still correct, copied per call).
 */
let residentCapBytes = 1024 * 1024 * 1024;

let state: WasmState | null = null;
let loadError: string | null = null;

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function sharedMemoryPossible(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  const g = globalThis as { crossOriginIsolated?: boolean; process?: { versions?: { node?: string } } };
  if (g.process?.versions?.node) return true;
  return g.crossOriginIsolated === true;
}

function makeMemory(shared: boolean): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: 16, maximum: 65536, shared } as WebAssembly.MemoryDescriptor);
}

/** The build to compile here: shared memory where possible, relaxed SIMD where the engine has it and it is wanted. */
function chooseBuild(): { shared: boolean; relaxedSimd: boolean; bytes: Uint8Array } {
  const shared = sharedMemoryPossible();
  const relaxedSimd = relaxedSimdWanted() && relaxedSimdSupported();
  const b64 = shared ? (relaxedSimd ? WASM_SHARED_RELAXED_BASE64 : WASM_SHARED_BASE64) : relaxedSimd ? WASM_PLAIN_RELAXED_BASE64 : WASM_PLAIN_BASE64;
  return { shared, relaxedSimd, bytes: decodeBase64(b64) };
}

function adopt(module: WebAssembly.Module, instance: WebAssembly.Instance, memory: WebAssembly.Memory, shared: boolean, relaxedSimd: boolean): WasmState {
  state = { exports: instance.exports as unknown as WasmExports, memory, module, shared, relaxedSimd };
  heap = new Heap(memory, shared);
  // the call stack of frames' temporaries, reserved once (so memory() counts it from the start)
  stackBase = -1;
  stackAlloc(0);
  for (const cb of readyCallbacks) cb(state);
  return state;
}

const readyCallbacks: ((s: WasmState) => void)[] = [];

/** Run `cb` once the module is loaded (immediately if it already is). */
export function onWasmReady(cb: (s: WasmState) => void): void {
  readyCallbacks.push(cb);
  if (state) cb(state);
}

/** Try to load synchronously (always works in Node and workers). Returns null on failure. */
export function loadWasmSync(): WasmState | null {
  if (state) return state;
  if (typeof WebAssembly === 'undefined') { loadError = 'WebAssembly is not defined here'; return null; }
  const { shared, relaxedSimd, bytes } = chooseBuild();
  try {
    const module = new WebAssembly.Module(bytes as BufferSource);
    const memory = makeMemory(shared);
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return adopt(module, instance, memory, shared, relaxedSimd);
  } catch (e) {
    loadError = `synchronous WebAssembly compile failed: ${(e as Error).message}`;
    return null;
  }
}

let pending: Promise<WasmState | null> | null = null;

/**
 * Load the WebAssembly kernels asynchronously (what browsers need); resolves to
 * true when the 'wasm' backend is usable. Safe to call many times.
 */
export function initWasm(): Promise<boolean> {
  if (state) return Promise.resolve(true);
  if (!pending) {
    pending = (async () => {
      if (typeof WebAssembly === 'undefined') { loadError = 'WebAssembly is not defined here'; return null; }
      const { shared, relaxedSimd, bytes } = chooseBuild();
      try {
        const module = await WebAssembly.compile(bytes as BufferSource);
        const memory = makeMemory(shared);
        const instance = await WebAssembly.instantiate(module, { env: { memory } });
        return state ?? adopt(module, instance, memory, shared, relaxedSimd);
      } catch (e) {
        loadError = `WebAssembly compile failed: ${(e as Error).message}`;
        return null;
      }
    })();
  }
  return pending.then((s) => s !== null);
}

/** The loaded module, or null. */
export function wasmState(): WasmState | null {
  return state;
}

/** Why the module is not loaded (null when it is). */
export function wasmLoadError(): string | null {
  return state ? null : loadError ?? 'WebAssembly kernels not loaded yet';
}

// ---------------------------------------------------------------------------
// The heap: a first-fit free list over [HEAP_BASE, memory size), coalescing on free.

class Heap {
  /** Free blocks sorted by address: [ptr, size] pairs. */
  private free: number[][] = [];
  private readonly used = new Map<number, number>();
  /** Every ArrayBuffer object this memory has had (one per grow for shared memories). */
  readonly buffers = new WeakSet<ArrayBufferLike>();
  residentBytes = 0;

  constructor(private readonly memory: WebAssembly.Memory, readonly shared: boolean) {
    this.buffers.add(memory.buffer);
    this.free.push([HEAP_BASE, memory.buffer.byteLength - HEAP_BASE]);
  }

  /**
   * Freed blocks by exact size, not yet merged into the free list. A training
   * step allocates the same sizes every step, so almost every allocation is
   * a pop from its bin; before, each free was spliced into a sorted list and
   * each allocation scanned it first-fit, which took a fifth of a Transformer
   * step once the list had thousands of fragments. Bins are merged back
   * (with coalescing) only when an allocation finds nothing else.
   */
  private bins = new Map<number, number[]>();

  /** A block of at least `bytes` bytes, or -1 when the memory cannot grow enough. */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const bin = this.bins.get(size);
    if (bin !== undefined && bin.length > 0) {
      const p = bin.pop()!;
      this.used.set(p, size);
      return p;
    }
    let ptr = this.take(size);
    if (ptr < 0 && this.bins.size > 0) {
      this.flushBins();
      ptr = this.take(size);
    }
    if (ptr < 0) {
      const have = this.memory.buffer.byteLength;
      const want = Math.max(Math.ceil(size / PAGE), Math.ceil(have / 2 / PAGE));
      const can = 65536 - have / PAGE;
      const pages = Math.min(want, can);
      if (pages * PAGE < size && pages < Math.ceil(size / PAGE)) return -1;
      try {
        this.memory.grow(pages);
      } catch {
        return -1;
      }
      this.buffers.add(this.memory.buffer);
      this.insertFree(have, pages * PAGE);
      ptr = this.take(size);
      if (ptr < 0) return -1;
    }
    this.used.set(ptr, size);
    return ptr;
  }

  release(ptr: number): void {
    const size = this.used.get(ptr);
    if (size === undefined) throw new Error(`wasm heap: free of unknown block ${ptr}`);
    this.used.delete(ptr);
    let bin = this.bins.get(size);
    if (bin === undefined) this.bins.set(size, (bin = []));
    bin.push(ptr);
  }

  /** Return every binned block to the address-ordered free list, coalescing neighbours. */
  private flushBins(): void {
    for (const [size, ptrs] of this.bins) for (const p of ptrs) this.insertFree(p, size);
    this.bins.clear();
  }

  private take(size: number): number {
    for (let i = 0; i < this.free.length; i++) {
      const blk = this.free[i]!;
      if (blk[1]! >= size) {
        const ptr = blk[0]!;
        if (blk[1] === size) this.free.splice(i, 1);
        else { blk[0] = ptr + size; blk[1] = blk[1]! - size; }
        return ptr;
      }
    }
    return -1;
  }

  private insertFree(ptr: number, size: number): void {
    const f = this.free;
    let i = 0;
    while (i < f.length && f[i]![0]! < ptr) i++;
    f.splice(i, 0, [ptr, size]);
    // coalesce with the next, then the previous block
    if (i + 1 < f.length && ptr + size === f[i + 1]![0]) { f[i]![1] = f[i]![1]! + f[i + 1]![1]!; f.splice(i + 1, 1); }
    if (i > 0 && f[i - 1]![0]! + f[i - 1]![1]! === ptr) { f[i - 1]![1] = f[i - 1]![1]! + f[i]![1]!; f.splice(i, 1); }
  }

  /** Size of an allocated block (0 when unknown). */
  sizeOf(ptr: number): number {
    return this.used.get(ptr) ?? 0;
  }

  /** Bytes in use (resident tensors and live temporaries). */
  usedBytes(): number {
    let s = 0;
    for (const v of this.used.values()) s += v;
    return s;
  }
}

let heap: Heap | null = null;

const registry = typeof FinalizationRegistry !== 'undefined'
  ? new FinalizationRegistry<number>((ptr) => {
    if (heap) {
      heap.residentBytes -= heapBlockSize(ptr);
      heap.release(ptr);
      forgetStorage(ptr);
    }
  })
  : null;

function heapBlockSize(ptr: number): number {
  return heap ? heap.sizeOf(ptr) : 0;
}

/** Set the most bytes resident tensors may occupy in wasm memory (default 1 GiB). */
export function setResidentCap(bytes: number): void {
  if (!(bytes >= 0)) throw new RangeError(`resident cap must be >= 0 bytes, got ${bytes}`);
  residentCapBytes = bytes;
}

/**
 * A registered block of `bytes` bytes for a resident array, zeroed when asked,
 * or -1 when the memory is not shared, the cap is reached or the memory
 * cannot grow (the caller then uses the JS heap).
 */
function allocateBlock(bytes: number, zero: boolean): number {
  if (!heap || !state || !state.shared || !registry) return -1;
  if (heap.residentBytes + bytes > residentCapBytes) return -1;
  const ptr = heap.alloc(bytes);
  if (ptr < 0) return -1;
  heap.residentBytes += heapBlockSize(ptr);
  // A reused block holds a dead tensor's values. memory.fill in wasm: JS's fill on a shared view is 7x slower.
  if (zero) state.exports.zeroBytes(ptr, bytes);
  return ptr;
}

/**
 * A Float32Array of n elements living in wasm memory, zeroed unless `zero` is
 * false (the caller overwrites every element), or null when the tensor is
 * small, the memory is not shared, or the cap is reached.
 */
export function allocateResident(n: number, zero = true): Float32Array | null {
  if (n < RESIDENT_MIN_ELEMENTS) return null;
  const ptr = allocateBlock(n * 4, zero);
  if (ptr < 0) return null;
  const view = new Float32Array(state!.memory.buffer, ptr, n);
  registry!.register(view, ptr, view);
  return view;
}

/**
 * A zeroed Float64Array of n elements in wasm memory for long-lived state
 * (optimizer moments), freed by the FinalizationRegistry when it is
 * garbage-collected; null where `allocateResident` would decline.
 */
export function allocateResident64(n: number): Float64Array | null {
  if (2 * n < RESIDENT_MIN_ELEMENTS) return null;
  const ptr = allocateBlock(n * 8, true);
  if (ptr < 0) return null;
  const view = new Float64Array(state!.memory.buffer, ptr, n);
  registry!.register(view, ptr, view);
  return view;
}

/**
 * The block `a` starts (its pointer), or -1 when `a` is not the start of a
 * resident block. Temporaries of a call frame are never tensors, so any live
 * block found here was handed out by `allocateResident`.
 */
export function residentBlockOf(a: ArrayBufferView): number {
  // isResident's size check first: every tensor construction comes through here
  if (!(a instanceof Float32Array) || !isResident(a)) return -1;
  return heap!.sizeOf(a.byteOffset) > 0 ? a.byteOffset : -1;
}

/**
 * Free a resident block now (the last tensor on it was disposed): it is
 * reused by the next allocation of its size, with no garbage collection.
 */
export function releaseResident(ptr: number, view: ArrayBufferView): void {
  if (heap === null) return;
  registry?.unregister(view);
  heap.residentBytes -= heapBlockSize(ptr);
  heap.release(ptr);
}

/** True when `a` is a view of the wasm memory (kernels can take it by pointer). */
export function isResident(a: ArrayBufferView): boolean {
  // Every block handed out is >= 4 KiB, so a smaller view is never one (a user's
  // short subarray of a block is then copied like any array: still correct).
  // This answers the common small case without touching `a.buffer`, which costs.
  if (heap === null || a.byteLength < RESIDENT_MIN_ELEMENTS * 4) return false;
  return heap.buffers.has(a.buffer);
}

/** Bytes of wasm memory in use and its total size (for tests and the benchmark). */
export function wasmMemoryUsage(): { usedBytes: number; residentBytes: number; totalBytes: number } {
  if (!heap || !state) return { usedBytes: 0, residentBytes: 0, totalBytes: 0 };
  return { usedBytes: heap.usedBytes(), residentBytes: heap.residentBytes, totalBytes: state.memory.buffer.byteLength };
}

// ---------------------------------------------------------------------------
// Call frames: turn typed-array arguments into pointers for one kernel call.

type F32or64 = Float32Array | Float64Array;

/**
 * Views of the whole wasm memory, made again only when the memory has grown
 * (a new buffer): a call frame copies through them instead of creating a
 * view per argument, which cost more than the copy for small tensors. They
 * are fetched right before each copy, after any allocation that may grow
 * the memory, so a detached view of an ordinary memory is never used.
 */
let viewsOf: ArrayBufferLike | null = null;
let views: { f32: Float32Array; f64: Float64Array } | null = null;
export function memoryViews(): { f32: Float32Array; f64: Float64Array } {
  const b = state!.memory.buffer;
  if (b !== viewsOf || views === null) {
    viewsOf = b;
    views = { f32: new Float32Array(b), f64: new Float64Array(b) };
  }
  return views;
}

/**
 * Where call frames take their temporaries: one block of wasm memory used as
 * a stack (a frame's temporaries are freed when the call returns, in reverse
 * order of the frames). Taking a temporary is then a pointer bump instead of
 * a heap allocation and release per argument, which was a third of a small
 * call's cost. Larger temporaries go to the heap.
 */
const CALL_STACK_BYTES = 1 << 20;
let stackBase = -1;
let stackTop = 0;
let stackEnd = 0;

function stackAlloc(bytes: number): number {
  if (stackBase < 0) {
    if (heap === null) return -1;
    stackBase = heap.alloc(CALL_STACK_BYTES);
    if (stackBase < 0) { stackBase = -1; return -1; }
    stackTop = stackBase;
    stackEnd = stackBase + CALL_STACK_BYTES;
  }
  const size = (bytes + ALIGN - 1) & ~(ALIGN - 1);
  if (stackTop + size > stackEnd) return -1;
  const p = stackTop;
  stackTop += size;
  return p;
}

/**
 * Marshals arguments for one call: resident arrays pass by pointer, others are
 * copied into temporary blocks (inputs before the call, outputs back after).
 * Copies go through `memoryViews()`, fetched right before each copy, so a
 * grow of an ordinary memory between two arguments cannot leave us holding a
 * detached view. Every frame must end with `finish()` or `release()`.
 */
export class Frame {
  private temps: number[] | null = null;
  private outs: { ptr: number; dst: F32or64; off: number; n: number }[] | null = null;
  private failed = false;
  /** The call stack's top when the frame began (restored when it ends). */
  private readonly mark = stackTop;

  /** Pointer to elements [off, off+n) of `a`, copied in unless resident. */
  input(a: F32or64, off: number, n: number): number {
    return this.place(a, off, n, true, false);
  }

  /** Pointer for an output region; `copyIn` when the kernel reads it too (accumulate). */
  output(a: F32or64, off: number, n: number, copyIn = false): number {
    return this.place(a, off, n, copyIn, true);
  }

  /** A scratch block of `bytes` bytes (pointer 0 for none), zeroed when asked (else garbage). */
  scratch(bytes: number, zero = false): number {
    if (bytes === 0) return 0;
    const ptr = this.temp(bytes);
    if (ptr < 0) return 0;
    if (zero) state!.exports.zeroBytes(ptr, bytes);
    return ptr;
  }

  /** False when the wasm memory could not hold the temporaries (caller falls back to JS). */
  get ok(): boolean {
    return !this.failed;
  }

  private temp(bytes: number): number {
    let ptr = stackAlloc(bytes);
    if (ptr >= 0) return ptr;
    ptr = heap!.alloc(bytes);
    if (ptr < 0) { this.failed = true; return -1; }
    (this.temps ??= []).push(ptr);
    return ptr;
  }

  private place(a: F32or64, off: number, n: number, copyIn: boolean, isOut: boolean): number {
    if (isResident(a)) return a.byteOffset + off * a.BYTES_PER_ELEMENT;
    const ptr = this.temp(n * a.BYTES_PER_ELEMENT);
    if (ptr < 0) return 0;
    if (copyIn) {
      const src = off === 0 && n === a.length ? a : a.subarray(off, off + n);
      if (a instanceof Float64Array) memoryViews().f64.set(src, ptr >> 3);
      else memoryViews().f32.set(src, ptr >> 2);
    }
    if (isOut) (this.outs ??= []).push({ ptr, dst: a, off, n });
    return ptr;
  }

  /** Copy outputs back and free temporaries. */
  finish(): void {
    if (this.outs !== null) {
      const v = memoryViews();
      for (const o of this.outs) {
        const from = o.dst instanceof Float64Array ? v.f64 : v.f32;
        const p = o.dst instanceof Float64Array ? o.ptr >> 3 : o.ptr >> 2;
        // A few float64 elements (statistics of one row): a loop, where a subarray view costs more
        // than the copy. Not float32: int32 words travel as float32 views (dropout's generator
        // state), and a float32 read into a JavaScript number and stored back sets the quiet bit
        // of any word whose bits spell a signaling NaN; set() copies the bytes.
        if (o.n <= 16 && from === v.f64) for (let i = 0; i < o.n; i++) o.dst[o.off + i] = from[p + i]!;
        else o.dst.set(from.subarray(p, p + o.n), o.off);
      }
    }
    this.release();
  }

  /** Free temporaries without copying back (after a failure). */
  release(): void {
    if (this.temps !== null) for (const p of this.temps) heap!.release(p);
    this.temps = null;
    this.outs = null;
    stackTop = this.mark;
  }
}
