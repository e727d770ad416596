import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { loadSafetensors, parseSafetensorsHeader, saveSafetensors } from '../../src/io/safetensors.js';

/** Build a file by hand: 8-byte length, the header text, then raw data bytes. */
function build(header: string, data: number[] | Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

test('safetensors: write then read is bit-identical for F32, F64 and I64, with metadata', () => {
  const a = nk.randn([3, 5], { rng: new nk.Rng(1) });
  a.data[0] = -0;
  a.data[1] = 3.4028234663852886e38;
  a.data[2] = 1.401298464324817e-45; // smallest float32 subnormal
  const b = nk.randn([7], { dtype: 'float64', rng: new nk.Rng(2) });
  b.data[0] = Number.MIN_VALUE;
  const s = nk.tensor(2.5); // scalar, shape []
  const sd = { 'layer.weight': a, 'layer.running_var': b, 'layer.num_batches_tracked': nk.tensor([12345], [], { dtype: 'float64' }), s };
  const bytes = saveSafetensors(sd, { metadata: { format: 'pt' } });
  const hdr = parseSafetensorsHeader(bytes);
  assert.equal(hdr.dataStart % 8, 0, 'data starts 8-byte aligned');
  assert.deepEqual(hdr.metadata, { format: 'pt' });
  assert.equal(hdr.tensors['layer.num_batches_tracked']!.dtype, 'I64');
  assert.deepEqual(hdr.tensors['layer.num_batches_tracked']!.shape, []);
  assert.equal(hdr.tensors['layer.weight']!.dtype, 'F32');
  assert.equal(hdr.tensors['layer.running_var']!.dtype, 'F64');
  for (const e of Object.values(hdr.tensors)) assert.equal(e.dataOffsets[0] % (e.dtype === 'F32' ? 4 : 8), 0, 'aligned tensor data');
  const back = loadSafetensors(bytes);
  assert.deepEqual(Object.keys(back).sort(), Object.keys(sd).sort());
  for (const [k, t] of Object.entries(sd)) {
    assert.deepEqual(back[k]!.shape, t.shape, k);
    assert.equal(back[k]!.dtype, t.dtype, k);
    const bytesOf = (d: ArrayBufferView) => new Uint8Array(d.buffer, d.byteOffset, d.byteLength); // storage may be a view into a larger buffer
    assert.deepEqual(bytesOf(back[k]!.data), bytesOf(t.data), `${k} bit-identical`);
  }
  // writing the loaded tensors again gives the same bytes
  assert.deepEqual(saveSafetensors(back, { metadata: { format: 'pt' } }), bytes);
  assert.throws(() => saveSafetensors({ num_batches_tracked: nk.tensor([1.5]) }), /I64 but holds 1.5/);
});

test('safetensors: reads a hand-built file with known bytes (F32, I64, F16, BF16)', () => {
  // 1.0f = 00 00 80 3f, -2.0f = 00 00 00 c0; int64 7; f16 0x3c00 = 1, 0xc000 = -2; bf16 0x3f80 = 1
  const header = '{"b":{"dtype":"I64","shape":[],"data_offsets":[8,16]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
    '"h":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},"z":{"dtype":"BF16","shape":[1,1],"data_offsets":[20,22]},"__metadata__":{"x":"y"}}  ';
  const data = [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 7, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f];
  const t = loadSafetensors(build(header, data));
  assert.deepEqual(t.a!.toList(), [1, -2]);
  assert.equal(t.a!.dtype, 'float32');
  assert.equal(t.b!.item(), 7);
  assert.deepEqual(t.b!.shape, []);
  assert.deepEqual(t.h!.toList(), [1, -2]);
  assert.deepEqual(t.z!.toArray(), [[1]]);
});

test('safetensors: truncated and corrupt files are rejected with clear errors', () => {
  const good = saveSafetensors({ w: nk.ones([4]), v: nk.ones([2], { dtype: 'float64' }) });
  assert.throws(() => loadSafetensors(good.subarray(0, 5)), /truncated: 5 bytes/);
  assert.throws(() => loadSafetensors(good.subarray(0, 20)), /truncated: header length says/);
  assert.throws(() => loadSafetensors(good.subarray(0, good.length - 3)), /run past the end/);
  const big = new Uint8Array(16);
  new DataView(big.buffer).setBigUint64(0, 1n << 40n, true);
  assert.throws(() => loadSafetensors(big), /exceeds/);
  assert.throws(() => loadSafetensors(build('{"a":', [])), /not valid UTF-8 JSON/);
  assert.throws(() => loadSafetensors(build('[1,2]', [])), /must be a JSON object/);
  assert.throws(() => loadSafetensors(build('{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0])), /unknown dtype "Q4"/);
  assert.throws(() => loadSafetensors(build('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0])), /needs 8 bytes but data_offsets \[0, 4\] span 4/);
  assert.throws(() => loadSafetensors(build('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}', [0, 0, 0, 0])), /invalid data_offsets/);
  assert.throws(
    () => loadSafetensors(build('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Uint8Array(8))),
    /overlap/,
  );
  assert.throws(
    () => loadSafetensors(build('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', new Uint8Array(12))),
    /hole/,
  );
  assert.throws(() => loadSafetensors(build('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(6))), /trailing or missing/);
  assert.throws(() => loadSafetensors(build('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', new Uint8Array(4))), /invalid shape/);
  assert.throws(() => loadSafetensors(build('{"__metadata__":{"k":1}}', [])), /must be a string/);
  const huge = build('{"n":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}', [0, 0, 0, 0, 0, 0, 0x40, 0]);
  assert.throws(() => loadSafetensors(huge), /beyond the exactly representable/);
});

/** A small module with a parameter, a buffer and a child, defined here so the test only needs the Module base. */
class Affine extends nk.Module {
  weight: nk.Tensor;
  bias: nk.Tensor;
  constructor(n: number, seed: number) {
    super();
    this.weight = this.registerParameter('weight', nk.randn([n], { rng: new nk.Rng(seed) }))!;
    this.bias = this.registerParameter('bias', nk.randn([n], { rng: new nk.Rng(seed + 1) }))!;
    this.registerBuffer('num_batches_tracked', nk.tensor([seed], [], { dtype: 'float64' }));
  }
  forward(x: nk.Tensor): nk.Tensor {
    return nk.add(nk.mul(x, this.param('weight')!), this.param('bias')!);
  }
}
class Net extends nk.Module {
  constructor(seed: number) {
    super();
    this.registerModule('first', new Affine(4, seed));
    this.registerModule('second', new Affine(4, seed + 10));
  }
  forward(x: nk.Tensor): nk.Tensor {
    return (this._modules.get('second') as Affine).forward((this._modules.get('first') as Affine).forward(x));
  }
}

test("safetensors: a module's state round-trips through bytes (identical outputs)", () => {
  const a = new Net(1);
  const b = new Net(100);
  const x = nk.randn([3, 4], { rng: new nk.Rng(9) });
  assert.notDeepEqual(b.forward(x).toList(), a.forward(x).toList());
  const bytes = saveSafetensors(a.stateDict());
  const hdr = parseSafetensorsHeader(bytes);
  assert.deepEqual(Object.keys(hdr.tensors).sort(), ['first.bias', 'first.num_batches_tracked', 'first.weight', 'second.bias', 'second.num_batches_tracked', 'second.weight']);
  assert.equal(hdr.tensors['first.num_batches_tracked']!.dtype, 'I64');
  b.loadStateDict(loadSafetensors(bytes));
  assert.deepEqual(b.forward(x).toList(), a.forward(x).toList());
  assert.equal(b.stateDict()['second.num_batches_tracked']!.item(), 11);
  // through the public namespace too
  assert.deepEqual(nk.io.loadSafetensors(nk.io.saveSafetensors(a.stateDict()))['first.weight']!.toList(), a.stateDict()['first.weight']!.toList());
});
