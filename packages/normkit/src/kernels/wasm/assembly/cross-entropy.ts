/**
 * Cross-entropy with class-index targets over rows of logits [N, C], forward
 * above backward, 128-bit SIMD: the WebAssembly twins of
 * src/kernels/js/cross-entropy.ts.
 *
 *   forward:   lse_n  = m_n + log sum_c exp(x_nc - m_n)    (m_n = max_c x_nc)
 *              loss_n = lse_n - x_{n,t_n}
 *   backward:  dx_nc  = scale (exp(x_nc - lse_n) - [c = t_n])
 *
 * Shapes: logits, dlogits [N, C] f32; lse, loss [N] f64; targets [N] i32
 * (class indices, checked by the caller). Kernels work on rows [r0, r1).
 *
 * Numerics as the softmax kernels (assembly/softmax.ts): x - m is one f32
 * subtraction, exp the f32x4 polynomial expf4 (about 1 ulp of f32), the sum
 * in f64; lse and loss are formed in f64. The backward rounds x - lse (an
 * f64 difference) once to f32 before its exp.
 */
import { expf1, expf4, rowMax } from './softmax';
import { hi, hsum, join, lo } from './lanes';

/** Forward on rows [r0, r1): lse and the row's loss term. */
export function crossEntropyForward(lse: usize, loss: usize, logits: usize, targets: usize, N: i32, C: i32, r0: i32, r1: i32): void {
  const rowBytes = <usize>C << 2;
  for (let n = r0; n < r1; n++) {
    const x = logits + <usize>n * rowBytes;
    const m = rowMax(x, C); // a row of all -inf: 0
    let s: f64 = 0;
    if (m == Infinity) {
      // a +inf logit: m = 0 as the TypeScript kernel, whose sum then
      // overflows to inf (or is NaN); the f32 polynomial saturates below
      // inf, so this rare row takes f64 exp
      for (let c = 0; c < C; c++) s += Math.exp(<f64>load<f32>(x + (<usize>c << 2)));
    } else {
      const mv = f32x4.splat(m);
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const e = expf4(f32x4.sub(v128.load(x + (<usize>c << 2)), mv));
        a0 = f64x2.add(a0, lo(e)); a1 = f64x2.add(a1, hi(e));
      }
      s = hsum(f64x2.add(a0, a1));
      for (; c < C; c++) s += <f64>expf1(load<f32>(x + (<usize>c << 2)) - m);
    }
    const l = (m == Infinity ? 0 : <f64>m) + Math.log(s);
    const t = load<i32>(targets + (<usize>n << 2));
    store<f64>(lse + (<usize>n << 3), l);
    store<f64>(loss + (<usize>n << 3), l - <f64>load<f32>(x + (<usize>t << 2)));
  }
}

/** Backward on rows [r0, r1): dlogits from the logits, the forward's lse and the targets. */
export function crossEntropyBackward(dlogits: usize, logits: usize, lse: usize, targets: usize, N: i32, C: i32, scale: f64, r0: i32, r1: i32): void {
  const rowBytes = <usize>C << 2;
  const sS = <f32>scale;
  const sv = f32x4.splat(sS);
  for (let n = r0; n < r1; n++) {
    const x = logits + <usize>n * rowBytes, g = dlogits + <usize>n * rowBytes;
    const l = load<f64>(lse + (<usize>n << 3));
    const lv = f64x2.splat(l);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const v = v128.load(x + (<usize>c << 2));
      // x - lse in f64, rounded once: lse is no f32 value
      const d = join(f64x2.sub(lo(v), lv), f64x2.sub(hi(v), lv));
      v128.store(g + (<usize>c << 2), f32x4.mul(expf4(d), sv));
    }
    for (; c < C; c++) {
      store<f32>(g + (<usize>c << 2), expf1(<f32>(<f64>load<f32>(x + (<usize>c << 2)) - l)) * sS);
    }
    // the one-hot term, subtracted from the rounded softmax term as the TypeScript kernel does
    const p = g + (<usize>load<i32>(targets + (<usize>n << 2)) << 2);
    store<f32>(p, <f32>(<f64>load<f32>(p) - scale));
  }
}
