"""Coefficients of the float32 GELU kernel (src/kernels/wasm/assembly/gelu.ts).

Run: python3 scripts/fit-gelu.py  (needs numpy and scipy; not part of the build).

- erf(z) / z = Q(z^2) on z in [0, 0.35], degree 4, least squares in relative error.
- erfcx(z) = erfc(z) exp(z^2) = R(t), t = 1 / (1 + p z), p = 0.3275911 (Abramowitz
  and Stegun 7.1.26's variable), degree 10 on z in [0.35, 14.5], least squares in
  relative error at Chebyshev-distributed t, reweighted towards the worst points.
Prints each fit's max relative error on a fine grid, with float64 coefficients and
with the coefficients rounded to float32 (what the kernel uses).
"""
import numpy as np
from scipy.special import erf, erfcx

P, Z0, Z1 = 0.3275911, 0.35, 14.5


def fit_tail(deg=10, m=4000):
    t0, t1 = 1 / (1 + P * Z1), 1 / (1 + P * Z0)
    k = np.arange(m)
    t = (t0 + t1) / 2 + (t1 - t0) / 2 * np.cos(np.pi * (k + 0.5) / m)
    R = erfcx((1 / t - 1) / P)
    w = 1 / R
    for _ in range(30):
        c, *_ = np.linalg.lstsq(np.vander(t, deg + 1, increasing=True) * w[:, None], R * w, rcond=None)
        err = (np.polyval(c[::-1], t) - R) / R
        w = w * (1 + 30 * np.abs(err) / np.abs(err).max())
    return c


def fit_central(deg=4, m=2000):
    k = np.arange(m)
    s = Z0 * Z0 / 2 + Z0 * Z0 / 2 * np.cos(np.pi * (k + 0.5) / m)
    z = np.sqrt(s)
    f = erf(z) / z
    q, *_ = np.linalg.lstsq(np.vander(s, deg + 1, increasing=True) / f[:, None], np.ones_like(s), rcond=None)
    return q


c, q = fit_tail(), fit_central()
zz = np.linspace(Z0, Z1, 200001)
zc = np.linspace(1e-6, Z0, 100001)
for name, cc, qq in (('float64', c, q), ('float32', c.astype(np.float32).astype(np.float64), q.astype(np.float32).astype(np.float64))):
    et = np.abs(np.polyval(cc[::-1], 1 / (1 + P * zz)) / erfcx(zz) - 1).max()
    ec = np.abs(np.polyval(qq[::-1], zc * zc) * zc / erf(zc) - 1).max()
    print(f'{name} coefficients: tail max rel err {et:.2e}, central {ec:.2e}')
print('R (t^0 .. t^10):', [float(np.float32(v)) for v in c])
print('Q (s^0 .. s^4):', q.tolist())
