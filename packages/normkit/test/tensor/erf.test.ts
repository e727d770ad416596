import { test } from 'node:test';
import assert from 'node:assert/strict';
import { erf, erfc, normalCdf } from '../../src/kernels/js/erf.js';

// erfc(x) computed with mpmath 1.3.0 at 40 significant digits (mp.erfc), printed to 17 digits.
const GOLDEN: [number, number][] = [
  [-5.5, 1.9999999999999926], [-3.1, 1.9999883513426328], [-2, 1.9953222650189527], [-1.3, 1.9340079449406524],
  [-0.7, 1.6778011938374184], [-0.2, 1.2227025892104785], [0.05, 0.94362802220298337], [0.3, 0.67137324054087258],
  [0.6, 0.39614390915207409], [0.9, 0.20309178757716786], [1.2, 0.089686021770364632], [1.7, 0.016209541409225439],
  [2.2, 0.0018628462979818899], [2.9, 4.1097878099458858e-5], [3.0, 2.2090496998585441e-5], [3.4, 1.5219933628622863e-6],
  [4.1, 6.7000276540849184e-9], [5.3, 6.6130818503408109e-14], [6.6, 1.0213251678575794e-20], [8.2, 4.290212022762982e-31],
  [10.5, 7.0359280901775227e-50], [13.9, 4.9803137411994287e-86], [17.7, 2.7710425007754267e-138], [21.3, 2.440645213496405e-199],
  [25.6, 5.2920352391172097e-287],
];

test('erfc matches mpmath to 2e-13 relative from -5.5 to 25.6', () => {
  for (const [x, e] of GOLDEN) {
    const r = Math.abs(erfc(x) - e) / e;
    assert.ok(r < 2e-13, `erfc(${x}) = ${erfc(x)}, mpmath ${e}: relative error ${r}`);
  }
});

test('erfc is smooth: no jumps between neighbouring points (a broken fit would show kinks)', () => {
  // erfc'(x) = -2/sqrt(pi) e^{-x^2}: the finite difference over a small step matches it
  for (let x = -4; x < 6; x += 0.0137) {
    const h = 1e-5;
    const fd = (erfc(x + h) - erfc(x - h)) / (2 * h);
    const d = (-2 / Math.sqrt(Math.PI)) * Math.exp(-x * x);
    assert.ok(Math.abs(fd - d) <= 1e-6 * Math.abs(d) + 1e-10, `derivative at ${x}: ${fd} vs ${d}`);
  }
});

test('erf, erfc and Phi: exact values and symmetries', () => {
  // closed forms: erf(0) = 0, erfc(0) = 1; erfc(inf) = 0, erfc(-inf) = 2; Phi(0) = 1/2
  assert.equal(erf(0), 0);
  assert.equal(erfc(0), 1);
  assert.equal(erfc(Infinity), 0);
  assert.equal(erfc(-Infinity), 2);
  assert.equal(normalCdf(0), 0.5);
  assert.ok(Number.isNaN(erfc(NaN)) && Number.isNaN(erf(NaN)));
  // erf(1) = 0.8427007929497149 and erfc(2) = 0.004677734981047266 (Abramowitz & Stegun table 7.1, to 16 digits)
  assert.ok(Math.abs(erf(1) - 0.8427007929497149) < 1e-15);
  assert.ok(Math.abs(erfc(2) / 0.004677734981047266 - 1) < 1e-13);
  // Phi(1.959963984540054) = 0.975, the two-sided 95% point of the normal distribution
  assert.ok(Math.abs(normalCdf(1.959963984540054) - 0.975) < 1e-15);
  for (const x of [1e-300, 1e-8, 0.1, 0.49, 0.51, 2, 5]) {
    assert.equal(erf(-x), -erf(x));
    // erf(x) = 2x/sqrt(pi) (1 - x^2/3 + ...): near 0 the relative accuracy is kept (1 - erfc(x) would lose it)
    if (x < 1e-4) assert.ok(Math.abs(erf(x) / ((2 / Math.sqrt(Math.PI)) * x * (1 - (x * x) / 3)) - 1) < 1e-15, `erf(${x})`);
  }
});
