/**
 * Gradient mode. Inside `noGrad` no op is recorded, as in `torch.no_grad()`:
 * evaluation, optimizer updates and backward rules run there.
 */
let enabled = true;

/** True when ops are being recorded for autograd. */
export function isGradEnabled(): boolean {
  return enabled;
}

/** Run `fn` with recording off, restoring the previous mode afterwards (also on throw). */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/** Run `fn` with recording on (used by backward rules that need a differentiable sub-computation). */
export function enableGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = true;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
