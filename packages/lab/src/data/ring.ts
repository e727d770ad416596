/**
 * The 2-D ring of Gaussians, the standard toy target for GAN mode collapse
 * (Metz et al. 2017, "Unrolled GANs"; Srivastava et al. 2017, VEEGAN):
 * `modes` isotropic Gaussians of standard deviation `std` with means evenly
 * spaced on a circle of radius `radius`. A generator that collapses covers
 * one or a few modes; a good one puts most samples within 3 std of a mode and
 * covers all of them.
 */
import { Rng } from 'normkit';

/** Ring geometry. Defaults: 8 modes, radius 2, std 0.05. */
export interface RingOptions {
  modes?: number;
  radius?: number;
  std?: number;
}

function resolve(opts: RingOptions): Required<RingOptions> {
  const r = { modes: opts.modes ?? 8, radius: opts.radius ?? 2, std: opts.std ?? 0.05 };
  if (!Number.isInteger(r.modes) || r.modes < 1) throw new RangeError(`modes must be a positive integer, got ${r.modes}`);
  if (!(r.radius > 0)) throw new RangeError(`radius must be > 0, got ${r.radius}`);
  if (!(r.std > 0)) throw new RangeError(`std must be > 0, got ${r.std}`);
  return r;
}

/** The mode centres, `[modes, 2]` row-major: (radius cos(2 pi k / modes), radius sin(2 pi k / modes)). */
export function ringCenters(opts: RingOptions = {}): Float64Array {
  const { modes, radius } = resolve(opts);
  const c = new Float64Array(modes * 2);
  for (let k = 0; k < modes; k++) {
    c[2 * k] = radius * Math.cos((2 * Math.PI * k) / modes);
    c[2 * k + 1] = radius * Math.sin((2 * Math.PI * k) / modes);
  }
  return c;
}

/** `n` samples from the ring, `[n, 2]` row-major, each from a uniformly chosen mode. */
export function sampleRing(rng: Rng, n: number, opts: RingOptions = {}): Float32Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  const o = resolve(opts);
  const c = ringCenters(o);
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const k = rng.int(o.modes);
    out[2 * i] = c[2 * k]! + o.std * rng.normal();
    out[2 * i + 1] = c[2 * k + 1]! + o.std * rng.normal();
  }
  return out;
}

/** How well a set of samples covers the ring. */
export interface RingScore {
  /** Modes that received at least `minCount` high-quality samples. */
  modesCovered: number;
  /** Share of samples within 3 std of their nearest mode centre. */
  highQualityShare: number;
  /** High-quality samples per mode. */
  perMode: number[];
  /** The count a mode needed to be covered. */
  minCount: number;
}

/**
 * Score samples `[n, 2]`: a sample is high quality when it lies within
 * 3 std of its nearest mode centre; a mode is covered when it receives at
 * least `minShare` of all samples as high-quality ones (default 20/2500, the
 * VEEGAN criterion of 20 samples out of 2500, at least 1 sample).
 * Non-finite samples count as low quality.
 */
export function scoreRing(samples: ArrayLike<number>, opts: RingOptions & { minShare?: number } = {}): RingScore {
  if (samples.length % 2 !== 0) throw new RangeError(`expected [n, 2] samples (even length), got length ${samples.length}`);
  const o = resolve(opts);
  const c = ringCenters(o);
  const n = samples.length / 2;
  const perMode = new Array<number>(o.modes).fill(0);
  const r2 = (3 * o.std) ** 2;
  let good = 0;
  for (let i = 0; i < n; i++) {
    const x = samples[2 * i]!;
    const y = samples[2 * i + 1]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    let best = Infinity;
    let arg = 0;
    for (let k = 0; k < o.modes; k++) {
      const d = (x - c[2 * k]!) ** 2 + (y - c[2 * k + 1]!) ** 2;
      if (d < best) {
        best = d;
        arg = k;
      }
    }
    if (best <= r2) {
      good++;
      perMode[arg]!++;
    }
  }
  const minCount = Math.max(1, Math.ceil(n * (opts.minShare ?? 20 / 2500)));
  return { modesCovered: perMode.filter((v) => v >= minCount).length, highQualityShare: n ? good / n : 0, perMode, minCount };
}
