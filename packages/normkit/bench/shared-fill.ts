/**
 * Why the wasm backend zeroes with `memory.fill` (docs/BENCHMARKS.md): JS's
 * TypedArray fill on a view of a shared WebAssembly.Memory against the same
 * fill on a plain ArrayBuffer, and a copy from a zero array, for one
 * 270 KB tensor (16 x 33 x 128 float32, an FFN activation of the lab's
 * Transformer). `node dist/bench/shared-fill.js` after `npm run build`.
 */
const n = 16 * 33 * 128;
const reps = 2000;
const mem = new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true });
const plain = new ArrayBuffer(n * 4);
const zeros = new Float32Array(n);
function us(label: string, f: () => void): void {
  for (let i = 0; i < 200; i++) f();
  const t = performance.now();
  for (let i = 0; i < reps; i++) f();
  console.log(`${label.padEnd(34)} ${(((performance.now() - t) / reps) * 1000).toFixed(1)} us`);
}
us('fill(0) on a shared wasm view', () => new Float32Array(mem.buffer, 0, n).fill(0));
us('fill(0) on a plain ArrayBuffer', () => new Float32Array(plain, 0, n).fill(0));
us('set(zeros) on a shared wasm view', () => new Float32Array(mem.buffer, 0, n).set(zeros));
us('new Float32Array(n)', () => new Float32Array(n));
