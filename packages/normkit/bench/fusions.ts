/**
 * The sixth session's fused paths, timed through the public API
 * (`node [--experimental-wasm-relaxed-simd] dist/bench/fusions.js [--dist <other build's dist>]`
 * after `npm run build`):
 *
 * - attention: `F.attentionSoftmax(q k^T, scale, causal)` against the three
 *   ops it replaces (`mul(q, scale)`, `add` of the -inf mask, `softmax`),
 *   forward and backward including the two products, at the score shapes of
 *   the d64 x6 copy-task step ([16, 4, 32, 32], head size 16) and of the
 *   d128 step ([32, 4, 64, 64], head size 32); both paths in this build,
 *   called alternately;
 * - GELU forward + backward under autograd (ns per element) at the FFN's
 *   [512, 256] and at [4096, 1024], and 2x2 max pooling on the CNN's two
 *   shapes: this build, and with `--dist` the other build called
 *   alternately in the same process (each with its own module and memory).
 *
 * Prints medians and fastest of alternated calls; this 2-core host's noise
 * moves medians by up to ~30%. Not a test.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import * as nk from '../src/index.js';

type Nk = typeof nk;
const at = process.argv.indexOf('--dist');
const other = at > 0 ? (await import(pathToFileURL(resolve(process.argv[at + 1]!, 'src/index.js')).href)) as Nk : null;

/** Median and fastest (in `unit` per call) of `reps` alternated calls of each function. */
function alternate(fns: Record<string, () => void>, reps: number, perCall = 1, unit = 'us'): string {
  const names = Object.keys(fns);
  const t: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) for (let i = 0; i < 20; i++) fns[n]!();
  for (let r = 0; r < reps; r++) {
    for (const n of r % 2 ? names : [...names].reverse()) {
      const t0 = performance.now();
      fns[n]!();
      t[n]!.push(((performance.now() - t0) * (unit === 'us' ? 1e3 : 1e6)) / perCall);
    }
  }
  return names.map((n) => {
    const a = t[n]!.sort((x, y) => x - y);
    return `${n} ${a[a.length >> 1]!.toFixed(unit === 'us' ? 0 : 2)} (fastest ${a[0]!.toFixed(unit === 'us' ? 0 : 2)}) ${unit}`;
  }).join(' | ');
}

console.log(`backend ${nk.getBackend()}${nk.wasmInfo().relaxedSimd ? ' (relaxed SIMD)' : ''}${other ? `; other build: ${process.argv[at + 1]}` : ''}`);

for (const [B, H, T, dh] of [[16, 4, 32, 16], [32, 4, 64, 32]] as const) {
  const q = nk.keep(nk.randn([B, H, T, dh], { requiresGrad: true })), k = nk.keep(nk.randn([B, H, dh, T], { requiresGrad: true }));
  const g = nk.keep(nk.randn([B, H, T, T]));
  const mask = nk.keep(nk.zeros([T, T]));
  for (let i = 0; i < T; i++) mask.data.fill(-Infinity, i * T + i + 1, (i + 1) * T);
  const scale = 1 / Math.sqrt(dh);
  const reset = () => { q.grad = null; k.grad = null; };
  const line = alternate({
    fused: () => nk.tidy(() => { reset(); nk.F.attentionSoftmax(nk.matmul(q, k), scale, true).backward(g); }),
    'mul + add + softmax': () => nk.tidy(() => { reset(); nk.softmax(nk.add(nk.matmul(nk.mul(q, scale), k), mask), -1).backward(g); }),
  }, 200);
  console.log(`causal attention weights, scores [${B}, ${H}, ${T}, ${T}], head ${dh}, forward + backward with q k^T: ${line}`);
}

/** One function per build: `make(nk)` for this one and for --dist's. */
function builds(make: (m: Nk) => () => void): Record<string, () => void> {
  return other ? { this: make(nk), other: make(other) } : { this: make(nk) };
}

for (const shape of [[512, 256], [4096, 1024]] as const) {
  const n = shape[0] * shape[1];
  const line = alternate(builds((m) => {
    const x = m.keep(m.randn([...shape], { requiresGrad: true })), g = m.keep(m.randn([...shape]));
    return () => m.tidy(() => { x.grad = null; m.gelu(x).backward(g); });
  }), shape[0] === 512 ? 300 : 40, n, 'ns');
  console.log(`GELU forward + backward [${shape.join(', ')}], per element: ${line}`);
}

{
  const line = alternate(builds((m) => {
    const x = m.keep(m.randn([32, 16, 28, 28])), x2 = m.keep(m.randn([32, 16, 14, 14]));
    return () => m.tidy(() => { m.noGrad(() => { m.F.maxPool2d(x, 2); m.F.maxPool2d(x2, 2); }); });
  }), 300);
  console.log(`maxPool2d(2) on [32, 16, 28, 28] and [32, 16, 14, 14]: ${line}`);
}
