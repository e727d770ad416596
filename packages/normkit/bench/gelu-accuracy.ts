/**
 * Accuracy sweep of the GELU kernels against the float64 formula
 * (`node dist/bench/gelu-accuracy.js` after `npm run build`): 3M float32
 * points over [-40, 40] and [-14, 0] on the active backend (wasm by default;
 * `--js` for the TypeScript loops), reporting the worst relative error of the
 * forward (normal results), the worst error in subnormal ulps, and the worst
 * error of the derivative (from geluWithDerivative, the training path) beyond
 * an absolute 6e-8, then the speed on 131072
 * floats in wasm memory (fastest of 30 calls). The tolerances of
 * test/pointwise/activation-kernels.test.ts come from this sweep.
 * Not a test: never run by `npm test`.
 */
import '../src/index.js';
import { setBackend } from '../src/kernels/backend.js';
import { geluWithDerivative, pointwiseForward } from '../src/kernels/js/pointwise.js';
import { normalCdf } from '../src/kernels/js/erf.js';
import { allocate } from '../src/tensor/storage.js';

if (process.argv.includes('--js')) setBackend('js');
const geluRef = (x: number): number => x * normalCdf(x);
const gradRef = (x: number): number => normalCdf(x) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
const MIN_NORMAL = 1.1754944e-38, SUB_ULP = 1.401298464324817e-45;

for (const [lo, hi, n] of [[-40, 40, 2_000_001], [-14, 0, 1_000_001]] as const) {
  const xs = Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  const y = new Float32Array(n), g = new Float32Array(n);
  pointwiseForward('gelu', xs, y);
  geluWithDerivative(xs, new Float32Array(n), g);
  let fwdRel = 0, fwdAt = 0, subUlps = 0, bwdRel = 0, bwdAt = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i]!, ry = Math.fround(geluRef(x)), e = Math.abs(y[i]! - ry);
    if (Math.abs(ry) >= MIN_NORMAL) { if (e / Math.abs(ry) > fwdRel) { fwdRel = e / Math.abs(ry); fwdAt = x; } }
    else subUlps = Math.max(subUlps, Math.round(e / SUB_ULP));
    const rg = gradRef(x), excess = Math.abs(g[i]! - rg) - 6e-8;
    if (Math.abs(rg) > 1e-30 && excess / Math.abs(rg) > bwdRel) { bwdRel = excess / Math.abs(rg); bwdAt = x; }
  }
  console.log(`[${lo}, ${hi}]: forward max rel ${fwdRel.toExponential(2)} (x = ${fwdAt}), subnormals within ${subUlps} ulp; `
    + `derivative max rel beyond 6e-8 absolute ${bwdRel.toExponential(2)} (x = ${bwdAt})`);
}

{
  const n = 131072;
  const x = allocate('float32', n), y = allocate('float32', n), g = allocate('float32', n);
  for (let i = 0; i < n; i++) x[i] = 2 * Math.sin(i);
  const fastest = (fn: () => void): number => {
    for (let i = 0; i < 10; i++) fn();
    let best = Infinity;
    for (let i = 0; i < 30; i++) { const t0 = performance.now(); fn(); best = Math.min(best, performance.now() - t0); }
    return (best * 1e6) / n;
  };
  console.log(`speed: forward ${fastest(() => pointwiseForward('gelu', x, y)).toFixed(2)} ns/element, `
    + `forward with the derivative ${fastest(() => geluWithDerivative(x, y, g)).toFixed(2)} ns/element`);
}
