/**
 * Max pooling's WebAssembly kernel against its TypeScript loop, value for
 * value and position for position, with emphasis on the 2x2 / stride 2 case
 * that runs four windows per step in SIMD lanes: widths even and odd, below
 * and above the eight values a step reads, ties on a coarse grid, and NaNs
 * (a NaN is taken and ends its row of the window; a later row's NaN wins).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import '../../src/index.js';
import { maxPool2dForward, scatterAdd } from '../../src/kernels/js/pool.js';
import { getBackend, setBackend } from '../../src/kernels/backend.js';

function both(x: Float32Array, NC: number, H: number, W: number, k: number, s: number, p: number): void {
  const OH = Math.floor((H + 2 * p - k) / s) + 1, OW = Math.floor((W + 2 * p - k) / s) + 1;
  if (OH < 1 || OW < 1) return;
  const n = NC * OH * OW;
  const oJ = new Float32Array(n), aJ = new Int32Array(n), oW = new Float32Array(n).fill(7), aW = new Int32Array(n).fill(-7);
  maxPool2dForward.js(x, oJ, aJ, NC, H, W, k, k, s, s, p, p, OH, OW);
  const prev = getBackend();
  setBackend('wasm');
  try { maxPool2dForward(x, oW, aW, NC, H, W, k, k, s, s, p, p, OH, OW); } finally { setBackend(prev); }
  const where = `NC ${NC} H ${H} W ${W} k ${k} s ${s} p ${p}`;
  for (let i = 0; i < n; i++) {
    assert.ok(Object.is(oW[i], oJ[i]) || (Number.isNaN(oW[i]!) && Number.isNaN(oJ[i]!)), `${where}: window ${i} max ${oW[i]} vs ${oJ[i]}`);
    assert.equal(aW[i], aJ[i], `${where}: window ${i} position`);
  }
}

test('2x2 stride 2 max pooling in SIMD lanes equals the TypeScript loop (ties, NaNs, every width)', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 40 }), fc.double({ min: 0, max: 0.2 }), fc.integer(),
    (NC, H, W, nanRate, seed) => {
      let s = seed >>> 0;
      const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
      const x = Float32Array.from({ length: NC * H * W }, () => (rnd() < nanRate ? NaN : Math.round(rnd() * 6) - 3));
      both(x, NC, H, W, 2, 2, 0);
    },
  ), { numRuns: 300, seed: 3 });
});

test('other windows (3x3, stride 1 and 2, padding) equal the TypeScript loop too', () => {
  for (const [k, s, p] of [[3, 1, 1], [3, 2, 1], [2, 1, 0], [2, 2, 1], [1, 1, 0]] as const) {
    for (const W of [1, 5, 8, 17]) {
      const x = Float32Array.from({ length: 3 * 9 * W }, (_, i) => (i % 23 === 5 ? NaN : ((i * 7) % 5) - 2));
      both(x, 3, 9, W, k, s, p);
    }
  }
});

test('scatterAdd adds in order, repeated positions included, on both backends', () => {
  const idx = Int32Array.from({ length: 200 }, (_, i) => (i * 37) % 50);
  const dy = Float32Array.from({ length: 200 }, (_, i) => Math.fround(Math.sin(i)));
  const gJ = new Float32Array(50), gW = new Float32Array(50);
  scatterAdd.js(gJ, dy, idx);
  const prev = getBackend();
  setBackend('wasm');
  try { scatterAdd(gW, dy, idx); } finally { setBackend(prev); }
  assert.deepEqual(Array.from(gW), Array.from(gJ));
});
