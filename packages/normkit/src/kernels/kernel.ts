/**
 * Kernel declarations: every kernel of normkit is declared once, here typed
 * by its argument list, with each argument's role and size:
 *
 * ```ts
 * export const rmsnormForward = declareKernel('rmsnormForward', [
 *   output('out', 'N*C'), output('rstd', 'N', { elem: 'f64' }), input('inp', 'N*C'),
 *   input('weight', 'C', { nullable: true }), int('N'), int('C'), num('eps'),
 * ], function rmsnormForwardJs(out, rstd, inp, weight, N, C, eps) { ... });
 * ```
 *
 * The declaration gives the kernel its TypeScript signature (derived from the
 * argument list), its reference implementation in plain TypeScript (the `js`
 * backend, and the path for float64 data), and everything the other backends
 * need to call it without restating it: the wasm backend derives argument
 * marshalling (which arrays are copied in, written back, summed over threads),
 * the fallback (float64 data, empty shapes) and the thread pool's kernel index
 * from it (src/kernels/wasm/implement.ts). The declaration-driven test
 * (test/kernels/declared.test.ts) runs every declared kernel on every backend
 * against a float64 run at awkward shapes.
 *
 * Roles of array arguments:
 * - `in`: read only.
 * - `out`: every element written; the old contents are never read.
 * - `inout`: read and written (in-place updates, explicit accumulation).
 * - `sum`: a reduction over rows (a parameter's gradient, a batch statistic):
 *   overwritten with the sum, which the wasm backend accumulates in float64
 *   blocks, one per thread, added in a fixed order.
 *
 * The gradient contract, the same for every kernel: backward kernels
 * overwrite the gradients they produce (`out` or `sum`); accumulating a
 * parameter's gradient over several uses is autograd's job, not the kernels'.
 */
import type { TypedArray } from '../tensor/dtype.js';

/** What an array argument holds: float32 or float64 data ('float'), or always one type ('i32': indices). */
export type Elem = 'float' | 'f32' | 'f64' | 'i32';
/** How a kernel uses an array argument (see the module comment). */
export type Role = 'in' | 'out' | 'inout' | 'sum';

type ElemType<E extends Elem> = E extends 'f32' ? Float32Array : E extends 'f64' ? Float64Array : E extends 'i32' ? Int32Array : TypedArray;

/** One declared argument; `T` is its TypeScript type (phantom, for the signature). */
export type ArgSpec<T = unknown> = ArraySpec<T> | ScalarSpec<T>;

/** An array argument. */
export interface ArraySpec<T = unknown> {
  readonly kind: 'array';
  readonly name: string;
  readonly role: Role;
  readonly elem: Elem;
  /** Elements used, as a product of integer arguments and literals ('N*C'), or 'all' (the whole array). */
  readonly size: string;
  /** The integer argument giving the first element used (default 0). */
  readonly offset?: string;
  readonly nullable: boolean;
  readonly __type?: T;
}

/** A scalar argument: an integer, a real number, a flag, or one of a set of names. */
export interface ScalarSpec<T = unknown> {
  readonly kind: 'scalar';
  readonly name: string;
  readonly type: 'int' | 'number' | 'boolean' | 'choice';
  /** For 'choice': the allowed values. */
  readonly choices?: readonly (string | number)[];
  readonly __type?: T;
}

interface ArrayOptions<E extends Elem, N extends boolean> { elem?: E; nullable?: N; offset?: string }

function array<E extends Elem, N extends boolean>(role: Role, name: string, size: string, o?: ArrayOptions<E, N>): ArraySpec<ElemType<E> | (N extends true ? null : never)> {
  return { kind: 'array', name, role, elem: o?.elem ?? 'float', size, offset: o?.offset, nullable: o?.nullable ?? false };
}

/** A read-only array of `size` elements. */
export const input = <E extends Elem = 'float', N extends boolean = false>(name: string, size: string, o?: ArrayOptions<E, N>) => array<E, N>('in', name, size, o);
/** An array the kernel overwrites. */
export const output = <E extends Elem = 'float', N extends boolean = false>(name: string, size: string, o?: ArrayOptions<E, N>) => array<E, N>('out', name, size, o);
/** An array the kernel reads and writes. */
export const inout = <E extends Elem = 'float', N extends boolean = false>(name: string, size: string, o?: ArrayOptions<E, N>) => array<E, N>('inout', name, size, o);
/** An array overwritten with a sum over rows (see `Role`). */
export const sum = <E extends Elem = 'float', N extends boolean = false>(name: string, size: string, o?: ArrayOptions<E, N>) => array<E, N>('sum', name, size, o);
/** An integer (a dimension, an offset). */
export const int = (name: string): ScalarSpec<number> => ({ kind: 'scalar', name, type: 'int' });
/** A real number (an epsilon, a learning rate). */
export const num = (name: string): ScalarSpec<number> => ({ kind: 'scalar', name, type: 'number' });
/** A flag. */
export const flag = (name: string): ScalarSpec<boolean> => ({ kind: 'scalar', name, type: 'boolean' });
/** One of a fixed set of values (an op's name or number). */
export const choice = <const C extends readonly (string | number)[]>(name: string, choices: C): ScalarSpec<C[number]> =>
  ({ kind: 'scalar', name, type: 'choice', choices });

/** The TypeScript parameter types of a declared argument list. */
export type ArgTypes<A extends readonly ArgSpec[]> = { -readonly [K in keyof A]: A[K] extends ArgSpec<infer T> ? T : never };
/** A kernel's implementation: same parameters, writes its outputs, returns nothing. */
export type KernelFn<A extends readonly ArgSpec[]> = (...args: ArgTypes<A>) => void;

/** A declared kernel: callable (dispatches to the active backend), with its declaration. */
export type Kernel<A extends readonly ArgSpec[] = readonly ArgSpec[]> = KernelFn<A> & {
  readonly kernelName: string;
  readonly args: A;
  /** The TypeScript implementation (the `js` backend; the float64 path of every backend). */
  readonly js: KernelFn<A>;
  /** Elements of array argument `i` used by a call with these arguments. */
  readonly sizeOf: (i: number, args: readonly unknown[]) => number;
};

/** The backend whose implementations `declareKernel`'s dispatchers call (set by backend.ts). */
export interface DispatchState { wasmActive: boolean }
export const dispatchState: DispatchState = { wasmActive: false };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => void;

interface Entry { kernel: Kernel; setWasm(fn: AnyFn | null): void; wasm(): AnyFn | null }
const registry = new Map<string, Entry>();

/** Compile a size expression ('N*C*S', '4', 'all') over the argument list. */
function compileSize(kernel: string, args: readonly ArgSpec[], own: number, expr: string): (a: readonly unknown[]) => number {
  if (expr === 'all') return (a) => (a[own] as TypedArray | null)?.length ?? 0;
  const factors = expr.split('*').map((tok) => {
    const t = tok.trim();
    if (/^\d+$/.test(t)) return Number(t);
    const i = args.findIndex((s) => s.name === t);
    if (i < 0 || args[i]!.kind !== 'scalar' || (args[i] as ScalarSpec).type !== 'int') {
      throw new Error(`kernel '${kernel}': size '${expr}' of '${args[own]!.name}' names '${t}', which is not an integer argument`);
    }
    return -1 - i; // argument index, encoded negative
  });
  // specialized for the common lengths: this runs for every array of every call
  const get = factors.map((f) => (f >= 0 ? () => f : (a: readonly unknown[]) => a[-1 - f] as number));
  const idx = factors.map((f) => -1 - f);
  if (factors.every((f) => f < 0)) {
    if (idx.length === 1) { const [i] = idx as [number]; return (a) => a[i] as number; }
    if (idx.length === 2) { const [i, j] = idx as [number, number]; return (a) => (a[i] as number) * (a[j] as number); }
    if (idx.length === 3) { const [i, j, k] = idx as [number, number, number]; return (a) => (a[i] as number) * (a[j] as number) * (a[k] as number); }
  }
  return (a) => {
    let n = 1;
    for (const g of get) n *= g(a);
    return n;
  };
}

/**
 * Declare a kernel by its arguments and TypeScript implementation. Returns
 * the callable kernel (dispatching to the active backend's implementation
 * when it has one); names must be unique.
 */
export function declareKernel<const A extends readonly ArgSpec[]>(name: string, args: A, js: KernelFn<A>): Kernel<A> {
  if (registry.has(name)) throw new Error(`kernel '${name}' is declared twice`);
  const seen = new Set<string>();
  for (const s of args) {
    if (seen.has(s.name)) throw new Error(`kernel '${name}': argument '${s.name}' is declared twice`);
    seen.add(s.name);
  }
  const sizes = args.map((s, i) => (s.kind === 'array' ? compileSize(name, args, i, s.size) : () => 0));
  for (const s of args) {
    if (s.kind === 'array' && s.offset !== undefined && !args.some((t) => t.name === s.offset && t.kind === 'scalar')) {
      throw new Error(`kernel '${name}': offset '${s.offset}' of '${s.name}' is not an argument`);
    }
  }
  let wasm: AnyFn | null = null;
  const jsFn = js as AnyFn;
  // One closure per kernel, no lookup per call: the active backend's function or the TypeScript one.
  const dispatch = ((...a: unknown[]) => (dispatchState.wasmActive && wasm !== null ? wasm(...a) : jsFn(...a))) as unknown as Kernel<A>;
  Object.defineProperties(dispatch, {
    kernelName: { value: name },
    args: { value: args },
    js: { value: js },
    sizeOf: { value: (i: number, a: readonly unknown[]) => sizes[i]!(a) },
  });
  registry.set(name, { kernel: dispatch as unknown as Kernel, setWasm: (fn) => { wasm = fn; }, wasm: () => wasm });
  return dispatch;
}

/** Every declared kernel, in declaration order. */
export function declaredKernels(): readonly Kernel[] {
  return [...registry.values()].map((e) => e.kernel);
}

/** Install (or remove, with null) the wasm backend's implementation of a declared kernel. */
export function setWasmImplementation<A extends readonly ArgSpec[]>(kernel: Kernel<A>, fn: KernelFn<A> | null): void {
  const e = registry.get(kernel.kernelName);
  if (!e || e.kernel !== (kernel as unknown)) throw new Error(`kernel '${kernel.kernelName}' is not declared`);
  e.setWasm(fn as AnyFn | null);
}

/** Whether the wasm backend implements this kernel (else it runs the TypeScript one there too). */
export function hasWasmImplementation(kernel: Kernel): boolean {
  return registry.get(kernel.kernelName)?.wasm() != null;
}
