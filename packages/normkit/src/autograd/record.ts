/**
 * Recording an op on the tape: the output gets a node pointing at its inputs
 * when grad mode is on and some input requires a gradient.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { OpName, OpSaved } from './ops.js';
import { isGradEnabled } from './grad-mode.js';

/** True when an op over these inputs must be recorded. */
export function needsRecord(inputs: readonly (Tensor | null | undefined)[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t && t.requiresGrad) return true;
  return false;
}

/**
 * Attach a node to `out` if recording is needed; returns `out`.
 * `saved` may be a thunk so that ops skip building it when nothing is recorded.
 * `owned`: tensors made for the backward alone, disposed with `out` (the
 * caller disposes them itself when nothing was recorded).
 */
export function record<K extends OpName>(
  out: Tensor,
  op: K,
  inputs: readonly (Tensor | null | undefined)[],
  saved: OpSaved[K] | (() => OpSaved[K]),
  owned?: readonly Tensor[],
): Tensor {
  if (!needsRecord(inputs)) return out;
  out.requiresGrad = true;
  out.node = {
    op,
    inputs: inputs.map((t) => t ?? null),
    saved: typeof saved === 'function' ? (saved as () => OpSaved[K])() : saved,
    ...(owned ? { owned } : {}),
  };
  return out;
}
