import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as nk from 'normkit';
import { detachNorm, adaNorm } from 'normkit/functional';
import { f64 } from '../helpers.js';

/** Row statistics of x [..., D] (two-pass, float64): mean and 1/sqrt(var + eps). */
function stats(x: Float64Array | Float32Array, d: number, eps: number) {
  const rows = x.length / d;
  const mean: number[] = [];
  const rstd: number[] = [];
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[r * d + j]!;
    const m = s / d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x[r * d + j]! - m) ** 2;
    mean.push(m);
    rstd.push(1 / Math.sqrt(v / d + eps));
  }
  return { mean, rstd };
}

/** Central finite differences of a scalar function of a flat array. */
function numericGrad(f: (x: Float64Array) => number, x0: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x0.length);
  const x = Float64Array.from(x0);
  for (let i = 0; i < x.length; i++) {
    const o = x[i]!;
    x[i] = o + h;
    const fp = f(x);
    x[i] = o - h;
    const fm = f(x);
    x[i] = o;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/** LayerNorm composed from differentiable primitives (full gradient through mean and variance). */
function composedLayerNorm(x: nk.Tensor, eps: number): nk.Tensor {
  const c = nk.sub(x, nk.mean(x, -1, true));
  const v = nk.mean(nk.mul(c, c), -1, true);
  return nk.div(c, nk.sqrt(nk.add(v, eps)));
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
};

test('detachNorm forward equals LayerNorm forward (float32 and float64, large offset)', () => {
  const x = f64([3, 4, 6], 1, 1000, 2);
  const y = detachNorm(x, 1e-5);
  close(y.data, composedLayerNorm(x.detach(), 1e-5).data, 1e-9, 'f64');
  const x32 = nk.tensor(Float32Array.from(x.data), x.shape);
  const y32 = detachNorm(x32, 1e-5);
  assert.equal(y32.dtype, 'float32');
  close(y32.data, y.data, 2e-4, 'f32');
});

test('REQUIRED: detachNorm backward = finite differences of the function with mean and std held constant, = rstd * (dy * gamma)', () => {
  const D = 5;
  const eps = 1e-5;
  const x = f64([3, D], 2, 0.3, 1.5);
  const gamma = f64([D], 3, 1, 0.5);
  const w = nk.randn([3, D], { dtype: 'float64', rng: new nk.Rng(4) }); // dy of the scalar sum(out * w)
  const out = nk.mul(detachNorm(x, eps), gamma);
  out.backward(w);
  const analytic = x.grad!.data;

  // The detached function: mean and std frozen at their values at x.
  const { mean, rstd } = stats(x.data, D, eps);
  const frozen = (xs: Float64Array) => {
    let s = 0;
    for (let i = 0; i < xs.length; i++) {
      const r = Math.floor(i / D);
      s += (xs[i]! - mean[r]!) * rstd[r]! * gamma.data[i % D]! * w.data[i]!;
    }
    return s;
  };
  close(analytic, numericGrad(frozen, Float64Array.from(x.data)), 1e-7, 'vs finite differences of the frozen function');

  // dx = rstd * (dy * gamma), written out.
  const expected = Array.from(analytic, (_, i) => rstd[Math.floor(i / D)]! * w.data[i]! * gamma.data[i % D]!);
  close(analytic, expected, 1e-12, 'vs rstd * dy * gamma');

  // ...which is LayerNorm's backward with the mean and variance terms removed:
  // LN: dx = rstd (g - mean(g) - y mean(g y)), g = dy * gamma.
  const xl = x.detach().clone().requiresGrad_();
  nk.mul(composedLayerNorm(xl, eps), gamma.detach()).backward(w);
  const y = composedLayerNorm(x.detach(), eps).data;
  for (let r = 0; r < 3; r++) {
    let mg = 0;
    let mgy = 0;
    for (let j = 0; j < D; j++) {
      const g = w.data[r * D + j]! * gamma.data[j]!;
      mg += g / D;
      mgy += (g * y[r * D + j]!) / D;
    }
    for (let j = 0; j < D; j++) {
      const i = r * D + j;
      const meanVarTerms = -rstd[r]! * (mg + y[i]! * mgy);
      assert.ok(Math.abs(xl.grad!.data[i]! - (analytic[i]! + meanVarTerms)) < 1e-10, `LN grad - DetachNorm grad at ${i} is not the mean/variance terms`);
    }
  }
  // The mean/variance terms are not negligible here, so the test separates the two backwards.
  assert.ok(Math.max(...Array.from(analytic, (a, i) => Math.abs(a - xl.grad!.data[i]!))) > 1e-3);
});

test('gamma receives the ordinary gradient through detachNorm', () => {
  const check = nk.gradcheck((x, g) => nk.mul(detachNorm(x, 1e-5), g), [f64([2, 4], 5).requiresGrad_(false), f64([4], 6)]);
  assert.ok(check.ok, JSON.stringify(check.worst));
});

test('adaNorm forward is C (1 - k y) y and its backward matches finite differences with (1 - k y) frozen', () => {
  const D = 6;
  const eps = 1e-5;
  const c = 1.3;
  const k = 0.1;
  const x = f64([4, D], 7, -1, 2);
  const w = nk.randn([4, D], { dtype: 'float64', rng: new nk.Rng(8) });
  const z = adaNorm(x, { c, k, eps });
  const y = composedLayerNorm(x.detach(), eps).data;
  close(z.data, Array.from(y, (v) => c * (1 - k * v) * v), 1e-12, 'forward');
  z.backward(w);
  const phi0 = Array.from(y, (v) => c * (1 - k * v));
  const frozen = (xs: Float64Array) => {
    const yy = composedLayerNorm(nk.tensor(Float64Array.from(xs), [4, D]), eps).data;
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += phi0[i]! * yy[i]! * w.data[i]!;
    return s;
  };
  close(x.grad!.data, numericGrad(frozen, Float64Array.from(x.data)), 1e-7, 'adaNorm vs finite differences');
  // Same as autograd through the composed form with the factor detached.
  const xc = x.detach().clone().requiresGrad_();
  const yc = composedLayerNorm(xc, eps);
  const factor = nk.add(nk.mul(yc.detach(), -k * c), c);
  nk.mul(factor, yc).backward(w);
  close(x.grad!.data, xc.grad!.data, 1e-10, 'adaNorm vs composed-with-detach');
});

test('detachNorm and adaNorm gradients match the frozen-statistics reference on random shapes (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 9 }), fc.integer({ min: 0, max: 1e6 }), (rows, d, seed) => {
      const x = f64([rows, d], seed, 0.5, 3);
      const w = nk.randn([rows, d], { dtype: 'float64', rng: new nk.Rng(seed + 1) });
      detachNorm(x).backward(w);
      const { rstd } = stats(x.data, d, 1e-5);
      for (let i = 0; i < x.size; i++) {
        if (Math.abs(x.grad!.data[i]! - w.data[i]! * rstd[Math.floor(i / d)]!) > 1e-9) return false;
      }
      // AdaNorm's gradient sums to zero per row (the mean term re-centers it).
      const x2 = x.detach().clone().requiresGrad_();
      adaNorm(x2).backward(w);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += x2.grad!.data[r * d + j]!;
        if (Math.abs(s) > 1e-8) return false;
      }
      return true;
    }),
    { numRuns: 40 },
  );
});

test('detachNorm and adaNorm reject bad inputs with clear messages', () => {
  assert.throws(() => detachNorm(nk.scalar(1)), /at least 1 dim/);
  assert.throws(() => detachNorm(nk.ones([2, 3]), -1), /eps must be >= 0, got -1/);
  assert.throws(() => adaNorm(nk.ones([2, 3]), { k: NaN }), /finite/);
});
