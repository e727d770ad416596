/**
 * Seeded random numbers. Everything random in normkit (initializers, data,
 * dropout, the lab) draws from an `Rng`, so the same seed gives the same
 * numbers on every platform: xoshiro128** for uniforms (fast, 32-bit, good
 * statistical quality) and Box-Muller for normals.
 */
export class Rng {
  /**
   * The four words of state, as int32 in a typed array: as plain fields they
   * switched between unsigned (the seeding) and signed (after an XOR) values
   * beyond the small-integer range, which V8 stores as heap numbers, so each
   * draw allocated. Same bits, same stream.
   */
  private readonly s = new Int32Array(4);
  private spare: number | null = null;

  constructor(seed = 0) {
    // splitmix32 spreads the seed over the four words of state.
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    const s = this.s;
    s[0] = next();
    s[1] = next();
    s[2] = next();
    s[3] = next();
  }

  /**
   * The generator's four words (int32), shared, not copied: for kernels that
   * draw many numbers in a loop of their own (dropout's mask) and advance it.
   * @internal
   */
  stateWords(): Int32Array {
    return this.s;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const s0 = s[0]!, s1 = s[1]!;
    let s2 = s[2]!, s3 = s[3]!;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s[1] = s1 ^ s2;
    s[0] = s0 ^ s3;
    s[2] = s2 ^ t;
    s[3] = rotl(s3, 11);
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal draw (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(a: T[] | Int32Array | Uint32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }

  /** A permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    this.shuffle(p);
    return p;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k)); // int32 bits (the state's representation)
}

let globalRng = new Rng(0);

/** Seed the global generator used by `randn`, `rand` and layer initializers (like `torch.manual_seed`). */
export function manualSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new RangeError(`manualSeed expects a finite number, got ${seed}`);
  globalRng = new Rng(seed);
}

/** The global generator. */
export function defaultRng(): Rng {
  return globalRng;
}
