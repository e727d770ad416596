/**
 * How a declared kernel (src/kernels/kernel.ts) gets its WebAssembly
 * implementation: `implementWasm(kernel, spec)` names the module's export
 * and, where it pays, how to split rows over the worker pool; everything
 * else is derived from the kernel's declaration:
 *
 * - the fallback to the TypeScript kernel: float64 data in a 'float'
 *   argument, an empty array, a `when` that does not hold, or wasm memory
 *   that cannot hold the call's temporaries;
 * - argument marshalling: each array becomes a pointer (int32 index arrays too). Tensors' storage
 *   already lives in wasm memory (the backend owns it, src/tensor/storage.ts),
 *   so this is free; other arrays are copied in ('in', 'inout') and written
 *   back ('out', 'inout') around the call. An array passed twice (in place)
 *   is placed once. 'sum' arguments get one zeroed float64 block per thread,
 *   added in thread order and written to the output afterwards;
 * - the export's parameters: the declared arguments in order (pointers, then
 *   numbers, flags as 0/1, choices as their index), the scratch blocks, and
 *   the row range [r0, r1) when the kernel splits over threads;
 * - the thread pool's kernel index (every export that splits is registered).
 *
 * A kernel whose export takes other parameters gives `call`, which receives
 * the derived pointers; marshalling and fallback stay derived.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { setWasmImplementation, type ArgSpec, type ArgTypes, type ArraySpec, type Kernel, type ScalarSpec } from '../kernel.js';
import { Frame, memoryViews, wasmState, type WasmExports } from './loader.js';
import { getThreads, parallelParts, parallelRows, registerParallelKernel } from '../threads/pool.js';

/** How the wasm backend runs one declared kernel. */
export interface WasmKernelSpec<A extends readonly ArgSpec[]> {
  /** The module's export (default: the kernel's name). */
  readonly export?: string;
  /** Run in wasm only when this also holds (else the TypeScript kernel). */
  readonly when?: (...args: ArgTypes<A>) => boolean;
  /** Split rows [0, rows) over the worker pool, at an estimated `nsPerRow` of single-thread work each. */
  readonly split?: { readonly rows: (...args: ArgTypes<A>) => number; readonly nsPerRow: (...args: ArgTypes<A>) => number };
  /** Scratch blocks (bytes each, not zeroed) for the call. */
  readonly scratch?: (...args: ArgTypes<A>) => readonly number[];
  /**
   * Call an export whose parameters are not the declared list: `p[i]` is the
   * pointer of array argument i (0 for null), `s` the scratch pointers, and
   * `split(argsOf)` runs the `export` over `split`'s rows on the worker pool
   * (`argsOf(r0, r1, part)`: one range's parameters), so a custom call does not
   * restate the export's name, its rows or their cost.
   */
  readonly call?: (w: WasmExports, p: readonly number[], s: readonly number[], split: SplitRun, ...args: ArgTypes<A>) => void;
}

/** Runs a kernel's export over its rows on the worker pool (see `WasmKernelSpec.call`). */
export type SplitRun = (argsOf: (r0: number, r1: number, part: number) => number[]) => void;

const NO_SCRATCH: number[] = [];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

/** Install the wasm implementation of `kernel` described by `spec`. */
export function implementWasm<A extends readonly ArgSpec[]>(kernel: Kernel<A>, spec: WasmKernelSpec<A>): void {
  const specs = kernel.args as readonly ArgSpec[];
  const name = spec.export ?? kernel.kernelName;
  const js = kernel.js as AnyFn;
  const arrays: number[] = [];
  const floats: number[] = [];
  const sums: number[] = [];
  specs.forEach((s, i) => {
    if (s.kind !== 'array') return;
    arrays.push(i);
    if (s.elem === 'float') floats.push(i);
    if (s.role === 'sum') sums.push(i);
  });
  const offsetIdx = specs.map((s) => (s.kind === 'array' && s.offset ? specs.findIndex((t) => t.name === s.offset) : -1));
  const when = spec.when as AnyFn | undefined;
  const split = spec.split as { rows: AnyFn; nsPerRow: AnyFn } | undefined;
  const scratch = spec.scratch as AnyFn | undefined;
  const call = spec.call as AnyFn | undefined;
  if (split) registerParallelKernel(name);
  let fn: AnyFn | null = null;
  const exportFn = (): AnyFn => {
    if (fn) return fn;
    const w = wasmState();
    if (!w) throw new Error('wasm kernels called before the WebAssembly module was loaded');
    fn = w.exports[name] as AnyFn;
    if (typeof fn !== 'function') throw new Error(`kernel '${kernel.kernelName}': the WebAssembly module has no export '${name}'`);
    return fn;
  };

  // per-call working arrays, reused (calls never nest: a kernel does not call kernels)
  const sizes: number[] = new Array(specs.length).fill(0);
  const p: number[] = new Array(specs.length).fill(0);
  const base: number[] = new Array(specs.length).fill(0);
  // base plus the row range [0, rows) of a split kernel run whole on this thread
  const withRows: number[] = new Array(specs.length + 2).fill(0);
  const sizeOf = kernel.sizeOf;
  // this call's rows, their cost and parts, for `run` (set before each call)
  let rows = 0, nsPerRow = 0, parts = 1;
  const run: SplitRun = (argsOf) => {
    if (!split) throw new Error(`kernel '${kernel.kernelName}': its call splits rows but its spec declares no split`);
    parallelRows(name, rows, nsPerRow, argsOf, parts);
  };

  const impl = (...a: unknown[]): void => {
    for (let k = 0; k < floats.length; k++) {
      const v = a[floats[k]!];
      if (v !== null && !(v instanceof Float32Array)) { js(...a); return; }
    }
    for (let k = 0; k < arrays.length; k++) {
      const i = arrays[k]!;
      if (a[i] === null) { sizes[i] = 0; continue; }
      const n = sizeOf(i, a);
      if (n === 0) { js(...a); return; }
      sizes[i] = n;
    }
    if (when && !when(...a)) { js(...a); return; }
    rows = split ? split.rows(...a) as number : 0;
    // without workers every call is one part: skip the cost estimate
    const pooled = split !== undefined && getThreads() > 1;
    nsPerRow = pooled ? split.nsPerRow(...a) as number : 0;
    parts = pooled ? parallelParts(rows, nsPerRow) : 1;
    const f = new Frame();
    try {
      for (let k = 0; k < arrays.length; k++) {
        const i = arrays[k]!;
        const v = a[i] as TypedArray | null;
        p[i] = 0;
        if (v === null) continue;
        const s = specs[i] as ArraySpec;
        if (s.role === 'sum') { p[i] = f.scratch(sizes[i]! * 8 * parts, true); continue; }
        let placed = false;
        for (let j = 0; j < k; j++) if (a[arrays[j]!] === v && (specs[arrays[j]!] as ArraySpec).role !== 'sum') { p[i] = p[arrays[j]!]!; placed = true; break; }
        if (placed) continue;
        // the same array may come again later (in place): place it once, for every use
        let reads = s.role !== 'out', writes = s.role !== 'in', n = sizes[i]!;
        for (let j = k + 1; j < arrays.length; j++) {
          const t = specs[arrays[j]!] as ArraySpec;
          if (a[arrays[j]!] !== v || t.role === 'sum') continue;
          reads ||= t.role !== 'out';
          writes ||= t.role !== 'in';
          n = Math.max(n, sizes[arrays[j]!]!);
        }
        const off = offsetIdx[i]! >= 0 ? (a[offsetIdx[i]!] as number) : 0;
        // int32 indices travel as the bits of a float32 view (same size; copies keep the bits)
        const f64 = (s.elem === 'i32' ? new Float32Array(v.buffer, v.byteOffset, v.length) : v) as Float32Array | Float64Array;
        p[i] = writes ? f.output(f64, off, n, reads) : f.input(f64, off, n);
      }
      const sc: number[] = scratch ? (scratch(...a) as number[]).map((b) => f.scratch(b)) : NO_SCRATCH;
      if (!f.ok) { f.release(); js(...a); return; }
      if (call) call(wasmState()!.exports, p, sc, run, ...a);
      else {
        for (let i = 0; i < specs.length; i++) {
          const s = specs[i]!;
          base[i] = s.kind === 'array' ? p[i]! : scalarValue(s, a[i]);
        }
        const args = sc.length ? base.concat(sc) : base;
        if (!split) exportFn().apply(null, args);
        else if (parts === 1) {
          // the whole range on this thread: the row bounds go in two slots
          // kept at the end of a reused array (a spread call allocated one)
          const at = sc.length ? args : withRows;
          if (sc.length) at.push(0, rows);
          else for (let i = 0; i < specs.length; i++) at[i] = base[i]!;
          at[at.length - 1] = rows;
          exportFn().apply(null, at);
        } else {
          run((r0, r1, part) => {
            const at = args.slice();
            for (let k = 0; k < sums.length; k++) if (p[sums[k]!]) at[sums[k]!] = p[sums[k]!]! + part * sizes[sums[k]!]! * 8;
            at.push(r0, r1);
            return at;
          });
        }
      }
      for (let k = 0; k < sums.length; k++) {
        const i = sums[k]!;
        const dst = a[i] as TypedArray | null;
        if (dst) sumParts(dst, p[i]!, sizes[i]!, parts);
      }
      f.finish();
    } catch (e) {
      f.release();
      throw e;
    }
  };
  Object.defineProperty(impl, 'name', { value: `${kernel.kernelName}Wasm` });
  setWasmImplementation(kernel, impl as unknown as (...args: ArgTypes<A>) => void);
}

function scalarValue(s: ScalarSpec, v: unknown): number {
  if (s.type === 'boolean') return v ? 1 : 0;
  if (s.type === 'choice' && typeof v === 'string') return s.choices!.indexOf(v);
  return v as number;
}

/** dst[c] = sum over parts of the f64 accumulators at ptr (n each), in part order. */
function sumParts(dst: TypedArray, ptr: number, n: number, parts: number): void {
  const acc = memoryViews().f64;
  const b = ptr >> 3;
  if (parts === 1) { dst.set(acc.subarray(b, b + n)); return; }
  for (let c = 0; c < n; c++) {
    let v = 0;
    for (let q = 0; q < parts; q++) v += acc[b + q * n + c]!;
    dst[c] = v;
  }
}
