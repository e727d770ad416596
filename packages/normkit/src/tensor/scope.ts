/**
 * Explicit lifetimes: `tidy(fn)` disposes every tensor created while `fn`
 * runs, except what it returns and what is kept. TensorFlow.js's `tf.tidy`
 * has the same contract, for the same reason: JavaScript cannot tell when the
 * last reference to an array in backend memory goes away until the garbage
 * collector runs, and in a synchronous training loop it does not get to run
 * the finalizers (see src/tensor/storage.ts). Wrapping each step in `tidy`
 * returns its blocks at once and keeps memory flat over any number of steps.
 *
 * Never disposed by `tidy`: tensors returned by `fn` (directly, or in an
 * array or plain object), tensors passed to `keep()`, leaves that require a
 * gradient (parameters), gradients that `backward()` stored on leaves, and a
 * module's registered parameters and buffers. Disposed tensors throw a clear
 * error when read, so a tensor kept by mistake fails loudly instead of
 * reading reused memory.
 */
import type { Tensor } from './tensor.js';

export interface Scope {
  tracked: Set<Tensor>;
  parent: Scope | null;
}

let current: Scope | null = null;

/** Called by the Tensor constructor: remember `t` in the innermost scope. */
export function trackTensor(t: Tensor): void {
  if (current !== null) current.tracked.add(t);
}

/** True while a `tidy` (or `backward`'s own scope) is running. */
export function inScope(): boolean {
  return current !== null;
}

/** Open a scope; pair with `closeScope`. Exposed for backward(), which frees its temporaries. */
export function openScope(): Scope {
  const s: Scope = { tracked: new Set(), parent: current };
  current = s;
  return s;
}

/**
 * Close `s`: dispose its tensors except `survivors` and the always-kept kinds,
 * and hand the survivors to the enclosing scope (an outer `tidy` decides
 * about them then).
 */
export function closeScope(s: Scope, survivors: ReadonlySet<Tensor>): void {
  if (current !== s) throw new Error('internal: tidy scopes closed out of order');
  current = s.parent;
  for (const t of s.tracked) {
    if (t.isDisposed) continue;
    if (survivors.has(t) || t.kept || (t.requiresGrad && t.node === null)) {
      if (current !== null) current.tracked.add(t);
      continue;
    }
    t.dispose();
  }
  s.tracked.clear();
}

function collect(v: unknown, out: Set<Tensor>, depth: number, isTensor: (x: unknown) => x is Tensor): void {
  if (depth > 4 || v === null || typeof v !== 'object') return;
  if (isTensor(v)) { out.add(v); return; }
  if (Array.isArray(v)) { for (const x of v) collect(x, out, depth + 1, isTensor); return; }
  if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collect(x, out, depth + 1, isTensor);
}

let isTensorFn: ((x: unknown) => x is Tensor) | null = null;
/** Set by tensor.ts (avoids an import cycle). */
export function setTensorCheck(fn: (x: unknown) => x is Tensor): void {
  isTensorFn = fn;
}

/**
 * Run `fn` and dispose every tensor it created, except those it returns
 * (a tensor, or tensors inside arrays / plain objects up to 4 levels deep),
 * those passed to `keep()`, parameters (leaves with `requiresGrad`), leaf
 * gradients from `backward()` and module parameters and buffers.
 *
 * ```ts
 * for (let step = 0; step < 2000; step++) {
 *   const loss = nk.tidy(() => {
 *     const l = nk.F.crossEntropy(model.forward(x), y);
 *     l.backward();
 *     opt.step();
 *     opt.zeroGrad();
 *     return l.item(); // a number: nothing of the step survives
 *   });
 * }
 * ```
 * `fn` must be synchronous (a Promise is rejected with an error): tensors
 * made after an `await` would escape the scope.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`tidy(fn): fn must be a function, got ${typeof fn}`);
  const s = openScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    closeScope(s, new Set());
    throw e;
  }
  if (result instanceof Promise) {
    closeScope(s, new Set());
    throw new TypeError('tidy(fn): fn returned a Promise; tidy needs a synchronous function (tensors made after an await would escape the scope)');
  }
  const keepSet = new Set<Tensor>();
  if (isTensorFn !== null) collect(result, keepSet, 0, isTensorFn);
  closeScope(s, keepSet);
  return result;
}

/** Keep `t` alive past the end of every enclosing `tidy` (returns `t`). */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  return t;
}

/**
 * Dispose tensors now (a tensor, or arrays / plain objects of tensors): their
 * backend storage is reused as soon as no other tensor shares it. Reading a
 * disposed tensor throws.
 */
export function dispose(x: unknown): void {
  const set = new Set<Tensor>();
  if (isTensorFn !== null) collect(x, set, 0, isTensorFn);
  for (const t of set) t.dispose();
}
