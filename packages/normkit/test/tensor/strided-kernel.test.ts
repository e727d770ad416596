/**
 * permute / transpose / expand through the declared `stridedCopy` kernel
 * (src/kernels/js/strided.ts, assembly/strided.ts): on both backends, in
 * float32 and float64, bit for bit equal to the scalar loop gatherStrided
 * was before (copied here as the reference), at awkward shapes: dims of 1,
 * 3, 5, 17, size-0 dims, more than 6 dims (the loop path), and tensors of
 * >= 16,384 float32 elements, which live in wasm memory (the zero-copy path).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { getBackend, setBackend, type BackendName } from '../../src/kernels/backend.js';
import { isResident } from '../../src/kernels/wasm/loader.js';
import { hasWasmImplementation, type Kernel } from '../../src/kernels/kernel.js';
import { stridedCopy } from '../../src/kernels/js/strided.js';
import { broadcastStrides, stridesOf } from '../../src/tensor/shape.js';

/** gatherStrided as it was before the kernel (the semantics to keep). */
function oldGather(src: ArrayLike<number>, st: readonly number[], shape: readonly number[], out: Float32Array | Float64Array): void {
  const nd = shape.length;
  const n = out.length;
  if (nd === 0) {
    if (n) out[0] = src[0]!;
    return;
  }
  const idx = new Array<number>(nd).fill(0);
  const last = shape[nd - 1]!;
  const sl = st[nd - 1]!;
  let off = 0;
  for (let o = 0; o < n; o += last) {
    if (sl === 1) for (let j = 0; j < last; j++) out[o + j] = src[off + j]!;
    else for (let j = 0; j < last; j++) out[o + j] = src[off + j * sl]!;
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      off += st[d]!;
      if (idx[d]! < shape[d]!) break;
      off -= st[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Distinct values, with -0, infinities, a subnormal and float32's extremes among them. */
function fill(a: Float32Array | Float64Array): void {
  const special = [-0, Infinity, -Infinity, 1.401298464324817e-45, 3.4028234663852886e38, -1.1754943508222875e-38];
  for (let i = 0; i < a.length; i++) a[i] = i % 97 === 13 ? special[(i / 97 | 0) % special.length]! : Math.fround((i * 0.618034) % 7 - 3.5);
}

function assertBits(got: Float32Array | Float64Array, want: Float32Array | Float64Array, where: string): void {
  assert.equal(got.constructor, want.constructor, `${where}: dtype`);
  assert.equal(got.length, want.length, `${where}: length`);
  const g = new Uint8Array(got.buffer, got.byteOffset, got.byteLength);
  const w = new Uint8Array(want.buffer, want.byteOffset, want.byteLength);
  if (Buffer.compare(g, w) !== 0) {
    const i = got.findIndex((v, k) => !Object.is(v, want[k]));
    assert.fail(`${where}: differs at ${i}: ${got[i]} vs ${want[i]}`);
  }
}

function onBackend(b: BackendName, fn: () => void): void {
  const prev = getBackend();
  setBackend(b);
  try { fn(); } finally { setBackend(prev); }
}

const BACKENDS: BackendName[] = ['js', 'wasm'];
const DTYPES = ['float32', 'float64'] as const;

function source(shape: readonly number[], dtype: 'float32' | 'float64'): nk.Tensor {
  const x = nk.zeros(shape, { dtype });
  fill(x.data);
  return x;
}

/** permute on every backend and dtype against the old loop. */
function checkPermute(shape: number[], perm: number[]): void {
  for (const b of BACKENDS) {
    for (const dtype of DTYPES) {
      onBackend(b, () => {
        const x = source(shape, dtype);
        const y = nk.permute(x, perm);
        const inSt = stridesOf(shape);
        const outShape = perm.map((a) => shape[a]!);
        const want = dtype === 'float32' ? new Float32Array(numel(shape)) : new Float64Array(numel(shape));
        oldGather(x.data, perm.map((a) => inSt[a]!), outShape, want);
        assert.deepEqual(y.shape, outShape);
        assertBits(y.data, want, `permute [${shape}] by [${perm}] (${b}, ${dtype})`);
        if (b === 'wasm' && dtype === 'float32' && x.size >= 16384) {
          assert.ok(isResident(x.data) && isResident(y.data), 'large float32 tensors live in wasm memory');
        }
      });
    }
  }
}

test('the wasm backend implements stridedCopy', () => {
  assert.ok(hasWasmImplementation(stridedCopy as unknown as Kernel));
});

test('permute at awkward shapes matches the old loop bit for bit (both backends, f32 and f64)', () => {
  const cases: [number[], number[]][] = [
    [[3, 5, 17, 1], [0, 2, 1, 3]],
    [[2, 17, 5, 3], [0, 2, 1, 3]],
    [[1, 3, 1, 5], [0, 2, 1, 3]],
    [[4, 16, 8, 16], [0, 2, 1, 3]], // attention's head split [B,T,H,dh] -> [B,H,T,dh]
    [[4, 8, 16, 16], [0, 2, 1, 3]], // and merge
    [[5, 17], [1, 0]],
    [[17, 5], [1, 0]],
    [[1, 17], [1, 0]],
    [[3, 5, 17], [0, 2, 1]],
    [[2, 3, 5, 17], [0, 1, 3, 2]],
    [[3, 5, 17, 4], [3, 1, 0, 2]],
    [[2, 3, 1, 5, 17, 2], [5, 4, 3, 2, 1, 0]],
    [[2, 3, 2, 5, 3, 2], [1, 3, 5, 0, 2, 4]],
    [[2, 2, 3, 2, 3, 2, 2], [6, 0, 5, 1, 4, 2, 3]], // 7 dims: the loop in gatherStrided
    [[2, 1, 3, 1, 2, 1, 3, 2], [7, 6, 5, 4, 3, 2, 1, 0]], // 8 dims, coalesced to <= 6: the kernel
    [[3, 0, 5], [2, 0, 1]],
    [[0], [0]],
    [[1], [0]],
    [[7], [0]],
    [[1, 1, 1], [2, 1, 0]],
    [[2, 3, 4], [0, 1, 2]], // the identity
  ];
  for (const [shape, perm] of cases) checkPermute(shape, perm);
});

test('permute of tensors >= 16,384 elements (resident in wasm memory) matches the old loop', () => {
  const cases: [number[], number[]][] = [
    [[4, 64, 8, 32], [0, 2, 1, 3]],
    [[4, 8, 64, 32], [0, 2, 1, 3]],
    [[3, 129, 5, 17], [0, 2, 1, 3]],
    [[129, 257], [1, 0]],
    [[3, 67, 131], [0, 2, 1]],
    [[5, 17, 3, 65], [3, 2, 1, 0]],
    [[2, 5, 33, 3, 17], [4, 0, 3, 1, 2]],
  ];
  for (const [shape, perm] of cases) checkPermute(shape, perm);
});

test('transpose at awkward shapes matches the old loop', () => {
  const cases: [number[], number, number][] = [
    [[3, 5, 17], -2, -1], [[17, 3, 5], 0, 2], [[2, 17, 1, 5], 1, 3], [[64, 300], 0, 1], [[3, 65, 129], 1, 2],
  ];
  for (const b of BACKENDS) {
    for (const dtype of DTYPES) {
      onBackend(b, () => {
        for (const [shape, a, c] of cases) {
          const x = source(shape, dtype);
          const y = nk.transpose(x, a, c);
          const nd = shape.length, A = (a + nd) % nd, C = (c + nd) % nd;
          const perm = shape.map((_, i) => (i === A ? C : i === C ? A : i));
          const inSt = stridesOf(shape);
          const want = dtype === 'float32' ? new Float32Array(x.size) : new Float64Array(x.size);
          oldGather(x.data, perm.map((p) => inSt[p]!), perm.map((p) => shape[p]!), want);
          assertBits(y.data, want, `transpose [${shape}] ${a},${c} (${b}, ${dtype})`);
        }
      });
    }
  }
});

test('expand (stride-0 broadcast) at awkward shapes matches the old loop', () => {
  const cases: [number[], number[]][] = [
    [[1, 17], [129, 17]],
    [[17, 1], [17, 1000]], // 17,000 elements: a resident output
    [[3, 1, 5], [2, 3, 7, 5]],
    [[1], [20000]],
    [[5, 1, 1], [5, 3, 17]],
    [[1, 3, 1, 5, 1], [2, 3, 4, 5, 3]],
    [[2, 1, 3, 1, 2, 1, 2], [2, 3, 3, 2, 2, 3, 2]], // 7 dims
    [[1, 1], [1, 1]],
    [[3, 1], [3, 0]],
    [[4, 1, 64], [4, 32, 64]],
  ];
  for (const b of BACKENDS) {
    for (const dtype of DTYPES) {
      onBackend(b, () => {
        for (const [from, to] of cases) {
          const x = source(from, dtype);
          const y = nk.expand(x, to);
          const want = dtype === 'float32' ? new Float32Array(numel(to)) : new Float64Array(numel(to));
          oldGather(x.data, broadcastStrides(from, to), to, want);
          assert.deepEqual(y.shape, to);
          assertBits(y.data, want, `expand [${from}] -> [${to}] (${b}, ${dtype})`);
        }
      });
    }
  }
});

test('stridedCopy called directly: random shapes and strides, wasm equals the TypeScript kernel and the old loop', () => {
  let s = 12345;
  const rnd = (n: number) => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s >>> 8) % n; };
  const dims = [1, 1, 2, 3, 4, 5, 8, 17];
  for (let it = 0; it < 300; it++) {
    const shape = Array.from({ length: 6 }, () => dims[rnd(dims.length)]!);
    while (numel(shape) > 40000) shape[rnd(6)] = 1;
    // strides: a permutation of a row-major layout, some dims broadcast (0), occasionally a gap
    const perm = [0, 1, 2, 3, 4, 5];
    for (let d = 5; d > 0; d--) { const e = rnd(d + 1); [perm[d], perm[e]] = [perm[e]!, perm[d]!]; }
    if (rnd(3) === 0) [perm[4], perm[5]] = [perm[5]!, perm[4]!];
    const gap = rnd(4) === 0 ? 2 : 1;
    const srcShape = perm.map((p) => shape[p]!);
    const srcSt = stridesOf(srcShape).map((t) => t * gap);
    const st = shape.map((_, d) => (rnd(5) === 0 ? 0 : srcSt[perm.indexOf(d)]!));
    const len = gap * numel(srcShape) + 3;
    const src = new Float32Array(len);
    fill(src);
    const want = new Float32Array(numel(shape));
    oldGather(src, st, shape, want);
    for (const b of BACKENDS) {
      onBackend(b, () => {
        const out = new Float32Array(want.length).fill(7.77);
        stridedCopy(src, out, shape[0]!, shape[1]!, shape[2]!, shape[3]!, shape[4]!, shape[5]!, st[0]!, st[1]!, st[2]!, st[3]!, st[4]!, st[5]!);
        assertBits(out, want, `stridedCopy [${shape}] strides [${st}] (${b})`);
      });
    }
  }
});

test('permute forward and backward (autograd) agree across backends', () => {
  const shape = [2, 17, 5, 16];
  const results: Float32Array[] = [];
  for (const b of BACKENDS) {
    onBackend(b, () => {
      const x = source(shape, 'float32');
      x.requiresGrad = true;
      const w = source([2, 5, 17, 16], 'float32');
      const y = nk.permute(x, [0, 2, 1, 3]);
      nk.sum(nk.mul(y, w)).backward();
      results.push(Float32Array.from(x.grad!.data));
    });
  }
  assertBits(results[1]!, results[0]!, 'gradient through permute');
});
