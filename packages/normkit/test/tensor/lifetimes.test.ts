/**
 * Explicit lifetimes (src/tensor/scope.ts, src/tensor/storage.ts): tidy(),
 * keep(), dispose(), backward()'s own temporaries and zeroGrad(), and the
 * wasm backend's blocks going back for reuse at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { getBackend, setBackend } from '../../src/kernels/backend.js';
import { wasmMemoryUsage } from '../../src/kernels/wasm/loader.js';

/** Large enough (>= 16,384 float32) to live in wasm memory. */
const BIG = [64, 512];

function onWasm(fn: () => void): void {
  const prev = getBackend();
  setBackend('wasm');
  try { fn(); } finally { setBackend(prev); }
}

test('tidy disposes what fn made and keeps what it returns, in arrays and objects too', () => {
  const x = nk.randn([3, 4]);
  let inner: nk.Tensor | null = null;
  const out = nk.tidy(() => {
    inner = nk.mul(x, 2);
    const a = nk.add(inner, 1);
    const b = nk.sum(a);
    return { a, pair: [b, 7] as const };
  });
  assert.equal(inner!.isDisposed, true);
  assert.throws(() => inner!.data, /shape \[3, 4\]\) was disposed, by dispose\(\) or at the end of tidy\(\)/);
  assert.equal(out.a.isDisposed, false);
  assert.ok(Math.abs(out.pair[0].item() - nk.sum(out.a).item()) < 1e-4);
  assert.equal(x.isDisposed, false, 'tensors made before tidy are not its business');
  assert.equal(String(inner), 'Tensor(shape=[3, 4], disposed)');
});

test('nested tidy hands what the inner one returns to the outer one', () => {
  let kept: nk.Tensor | null = null;
  let survived: nk.Tensor | null = null;
  nk.tidy(() => {
    survived = nk.tidy(() => nk.ones([2]));
    assert.equal(survived.isDisposed, false);
    kept = nk.keep(nk.zeros([2]));
  });
  assert.equal(survived!.isDisposed, true, 'the outer tidy disposed the inner result');
  assert.equal(kept!.isDisposed, false, 'keep() outlives every enclosing tidy');
});

test('tidy keeps parameters, module state and the gradients backward stored', () => {
  const rng = new nk.Rng(3);
  let lin: nk.nn.Linear | null = null;
  let bn: nk.BatchNorm1d | null = null;
  let leaf: nk.Tensor | null = null;
  nk.tidy(() => {
    lin = new nk.nn.Linear(4, 3, { rng });
    bn = new nk.BatchNorm1d(3);
    leaf = nk.randn([5, 4], { requiresGrad: true });
    nk.sum(bn.forward(lin.forward(leaf))).backward();
  });
  assert.equal(lin!.weight!.isDisposed, false);
  assert.equal(lin!.weight!.grad!.isDisposed, false);
  assert.equal(leaf!.grad!.isDisposed, false);
  assert.equal(bn!.runningMean!.isDisposed, false);
  assert.equal(bn!.getBuffer('num_batches_tracked')!.item(), 1);
});

test('tidy rejects async functions and disposes on a throw', () => {
  let made: nk.Tensor | null = null;
  assert.throws(() => nk.tidy(() => { made = nk.ones([2]); throw new Error('boom'); }), /boom/);
  assert.equal(made!.isDisposed, true);
  assert.throws(() => nk.tidy((async () => nk.ones([1])) as never), /returned a Promise; tidy needs a synchronous function/);
  assert.throws(() => nk.tidy(5 as never), /fn must be a function, got number/);
});

test('dispose frees a wasm block for the very next allocation, with no garbage collection', () => onWasm(() => {
  const a = nk.randn(BIG);
  const ptr = a.data.byteOffset;
  const before = wasmMemoryUsage().residentBytes;
  a.dispose();
  assert.equal(wasmMemoryUsage().residentBytes, before - 64 * 512 * 4);
  const b = nk.zeros(BIG);
  assert.equal(b.data.byteOffset, ptr, 'the freed block is reused');
  assert.ok(b.data.every((v) => v === 0), 'zeros() zeroes a reused block');
  a.dispose(); // twice is a no-op
  assert.equal(b.isDisposed, false);
}));

test('no block is freed while another tensor on it is alive (reshape, detach)', () => onWasm(() => {
  const a = nk.randn(BIG);
  const r = nk.reshape(a, [512, 64]);
  const d = a.detach();
  const ptr = a.data.byteOffset;
  const v0 = r.data[5];
  a.dispose();
  const c = nk.randn(BIG);
  assert.notEqual(c.data.byteOffset, ptr, 'the view still holds the block');
  assert.equal(r.data[5], v0);
  r.dispose();
  const e = nk.randn(BIG);
  assert.notEqual(e.data.byteOffset, ptr, 'detach() shares the block too');
  d.dispose();
  const f = nk.zeros(BIG);
  assert.equal(f.data.byteOffset, ptr, 'freed once the last tensor on it is disposed');
}));

test('a training loop in tidy keeps wasm memory flat (without it, it grows)', () => onWasm(() => {
  const rng = new nk.Rng(1);
  const l1 = new nk.nn.Linear(256, 256, { rng });
  const l2 = new nk.nn.Linear(256, 10, { rng });
  const ln = new nk.LayerNorm([256]);
  const opt = new nk.optim.Adam([...l1.parameters(), ...l2.parameters(), ...ln.parameters()], { lr: 1e-3 });
  const x = nk.randn([128, 256], { rng });
  const y = Array.from({ length: 128 }, (_, i) => i % 10);
  const step = (): number => {
    opt.zeroGrad();
    const loss = nk.F.crossEntropy(l2.forward(nk.F.gelu(ln.forward(l1.forward(x)))), y);
    loss.backward();
    opt.step();
    return loss.item();
  };
  nk.tidy(step);
  const base = wasmMemoryUsage().residentBytes;
  for (let i = 0; i < 50; i++) nk.tidy(step);
  assert.equal(wasmMemoryUsage().residentBytes, base, 'every step returns all its blocks');
  for (let i = 0; i < 5; i++) step();
  assert.ok(wasmMemoryUsage().residentBytes > base, 'a loop without tidy holds its forward tensors until a garbage collection');
}));

test('a CNN training step in tidy keeps wasm memory flat: conv2d\'s columns go with its output, its scratch at once, also without grad', () => onWasm(() => {
  const rng = new nk.Rng(2);
  const m = new nk.nn.Sequential(
    new nk.nn.Conv2d(1, 8, 3, { padding: 1, bias: false, rng }), new nk.BatchNorm2d(8), new nk.nn.ReLU(), new nk.nn.MaxPool2d(2),
    new nk.nn.Conv2d(8, 8, 3, { padding: 1, rng }), new nk.nn.ReLU(), new nk.nn.Flatten(), new nk.nn.Linear(8 * 7 * 7, 10, { rng }),
  );
  const opt = new nk.optim.Adam(m.parameters(), { lr: 1e-3 });
  const x = nk.rand([16, 1, 14, 14], { rng });
  const y = Array.from({ length: 16 }, (_, i) => i % 10);
  const step = (): void => { opt.zeroGrad(); nk.F.crossEntropy(m.forward(x), y).backward(); opt.step(); };
  nk.tidy(step);
  const base = wasmMemoryUsage().residentBytes;
  for (let i = 0; i < 20; i++) nk.tidy(step);
  assert.equal(wasmMemoryUsage().residentBytes, base, 'every step returns all its blocks (the columns were 5.5 MB a step of a larger CNN, left to the GC)');
  nk.noGrad(() => { for (let i = 0; i < 5; i++) nk.tidy(() => { m.forward(x); }); });
  assert.equal(wasmMemoryUsage().residentBytes, base, 'an inference forward returns its scratch columns too');
  // the columns stay while the output that needs them for backward is alive (returned from tidy), and go with it
  const conv = new nk.nn.Conv2d(1, 8, 3, { padding: 1, rng });
  const out = nk.tidy(() => conv.forward(x));
  const held = wasmMemoryUsage().residentBytes;
  assert.ok(held > base, 'the output and its columns are alive');
  nk.tidy(() => { nk.sum(out).backward(); });
  const gw = conv.weight!.grad;
  assert.ok(gw !== null && gw.data.some((v) => v !== 0), 'backward read the columns');
  nk.dispose(out);
  conv.zeroGrad();
  assert.equal(wasmMemoryUsage().residentBytes, base, 'disposing the output gave the columns back');
}));

test('backward frees its own temporaries as it goes, and the first gradient is taken, not copied', () => onWasm(() => {
  const w = nk.randn([256, 256], { requiresGrad: true });
  const x = nk.randn([128, 256]);
  const h = nk.F.gelu(nk.matmul(x, w));
  const loss = nk.sum(nk.mul(h, h));
  const before = wasmMemoryUsage().residentBytes;
  loss.backward();
  // what remains is w.grad alone (256 x 256 floats): dh, d(h*h) and the matmul's input gradient went back
  assert.equal(wasmMemoryUsage().residentBytes - before, 256 * 256 * 4);
  assert.deepEqual(w.grad!.shape, [256, 256]);
}));

test('a second backward accumulates into the gradient in place; zeroGrad releases it', () => {
  const w = nk.tensor([[1, 2], [3, 4]], null, { requiresGrad: true });
  const x = nk.tensor([[1, -1], [2, 0.5]]);
  nk.sum(nk.matmul(x, w)).backward();
  const g = w.grad!;
  const first = g.toArray();
  nk.sum(nk.matmul(x, w)).backward();
  assert.equal(w.grad, g, 'the same tensor, added into');
  assert.deepEqual(g.toArray(), (first as number[][]).map((r) => r.map((v) => 2 * v)));
  const opt = new nk.optim.SGD([w], { lr: 0.1 });
  opt.zeroGrad();
  assert.equal(w.grad, null);
  assert.equal(g.isDisposed, true, "backward's gradient is released");
  const mine = nk.ones([2, 2]);
  w.grad = mine;
  opt.zeroGrad();
  assert.equal(mine.isDisposed, false, 'a gradient the user assigned is only dropped');
});

test('the seed gradient passed to backward is never disposed or aliased', () => {
  const x = nk.randn([4, 3], { requiresGrad: true });
  const seed = nk.ones([4, 3]);
  nk.add(x, 0).backward(seed);
  assert.equal(seed.isDisposed, false);
  assert.notEqual(x.grad!.data, seed.data);
  x.grad!.data[0] = 5;
  assert.equal(seed.data[0], 1);
});

test('switching backends with live tensors keeps them working, and dispose still frees', () => {
  const prev = getBackend();
  try {
    setBackend('wasm');
    const a = nk.randn(BIG);
    const s = nk.sum(a).item();
    setBackend('js');
    const y = nk.F.layerNorm(a, [512]);
    assert.ok(Math.abs(nk.sum(a).item() - s) < 1e-2);
    assert.equal(y.shape[1], 512);
    const used = wasmMemoryUsage().residentBytes;
    a.dispose();
    assert.equal(wasmMemoryUsage().residentBytes, used - 64 * 512 * 4);
    setBackend('wasm');
    const b = nk.F.layerNorm(y, [512]);
    assert.ok(Math.abs(b.data[3]! - y.data[3]!) < 1e-3);
  } finally {
    setBackend(prev);
  }
});
