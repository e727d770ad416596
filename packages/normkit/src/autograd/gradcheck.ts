/**
 * Gradient checking: compare autograd's gradients with central finite
 * differences, (f(x + h) - f(x - h)) / 2h, in float64. The scalar checked is
 * sum(fn(inputs) * w) for fixed random weights w, so every output element's
 * gradient path is exercised with a different weight.
 */
import { Tensor } from '../tensor/tensor.js';
import { Rng } from '../tensor/random.js';
import { noGrad } from './grad-mode.js';

/** Result of a gradient check. */
export interface GradcheckResult {
  ok: boolean;
  /** Largest |analytic - numeric| over all checked entries. */
  maxAbsError: number;
  /** Where it was: input index and flat element index. */
  worst: { input: number; index: number; analytic: number; numeric: number } | null;
}

/** Options: step `h`, tolerances (|a - n| <= atol + rtol * |n|), seed for the weights. */
export interface GradcheckOptions {
  h?: number;
  atol?: number;
  rtol?: number;
  seed?: number;
  /** Check at most this many entries per input (evenly spaced), to bound time. */
  maxPerInput?: number;
}

/**
 * Check d(sum(fn(...inputs) * w))/d(input) for every input that requires grad.
 * Inputs should be float64 leaves.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const h = opts.h ?? 1e-6;
  const atol = opts.atol ?? 1e-6;
  const rtol = opts.rtol ?? 1e-4;
  const rng = new Rng(opts.seed ?? 1234);
  const out0 = fn(...inputs);
  const w = new Float64Array(out0.size);
  for (let i = 0; i < w.length; i++) w[i] = rng.normal();
  const scalarOf = (t: Tensor) => {
    let s = 0;
    for (let i = 0; i < t.size; i++) s += t.data[i]! * w[i]!;
    return s;
  };
  for (const x of inputs) x.grad = null;
  out0.backward(new Tensor(out0.dtype === 'float64' ? Float64Array.from(w) : Float32Array.from(w), out0.shape));
  let maxAbsError = 0;
  let worst: GradcheckResult['worst'] = null;
  let ok = true;
  inputs.forEach((x, k) => {
    if (!x.requiresGrad) return;
    const n = x.size;
    const step = Math.max(1, Math.floor(n / (opts.maxPerInput ?? n)));
    for (let i = 0; i < n; i += step) {
      const orig = x.data[i]!;
      x.data[i] = orig + h;
      const fp = noGrad(() => scalarOf(fn(...inputs)));
      x.data[i] = orig - h;
      const fm = noGrad(() => scalarOf(fn(...inputs)));
      x.data[i] = orig;
      const numeric = (fp - fm) / (2 * h);
      const analytic = x.grad ? x.grad.data[i]! : 0;
      const err = Math.abs(analytic - numeric);
      if (err > atol + rtol * Math.abs(numeric)) ok = false;
      if (err > maxAbsError || worst === null) {
        if (err >= maxAbsError) {
          maxAbsError = err;
          worst = { input: k, index: i, analytic, numeric };
        }
      }
    }
  });
  return { ok, maxAbsError, worst };
}
