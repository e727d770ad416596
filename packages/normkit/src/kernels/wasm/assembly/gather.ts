/**
 * The gradient of a row gather (the twin of src/kernels/js/gather.ts):
 * g [outer, len, inner] = 0, then g[o, index[i], :] += dout[o, i, :] for i
 * in order, in f32x4 lanes (one float32 addition per element, as the
 * TypeScript loop). index: n int32.
 */
export function indexAddRows(g: usize, dout: usize, index: usize, outer: i32, len: i32, n: i32, inner: i32): void {
  memory.fill(g, 0, <usize>outer * <usize>len * <usize>inner << 2);
  const rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < n; i++) {
      const dst = g + (<usize>o * <usize>len + <usize>load<i32>(index + (<usize>i << 2))) * rowBytes;
      const src = dout + (<usize>o * <usize>n + <usize>i) * rowBytes;
      let j = 0;
      for (; j + 4 <= inner; j += 4) {
        const p = dst + (<usize>j << 2);
        v128.store(p, f32x4.add(v128.load(p), v128.load(src + (<usize>j << 2))));
      }
      for (; j < inner; j++) {
        const p = dst + (<usize>j << 2);
        store<f32>(p, load<f32>(p) + load<f32>(src + (<usize>j << 2)));
      }
    }
  }
}
