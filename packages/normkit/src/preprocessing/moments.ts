/**
 * Running mean and variance that merge exactly across batches.
 *
 * Each batch is summarised by a two-pass computation in float64 (mean first,
 * then the sum of squared deviations `M2`), and batches are combined with the
 * parallel update of Chan, Golub & LeVeque (1983, "Algorithms for computing
 * the sample variance: analysis and recommendations"):
 *
 *   n   = nA + nB
 *   d   = meanB - meanA
 *   mean = meanA + d * nB / n
 *   M2  = M2A + M2B + d^2 * nA * nB / n
 *
 * so the result does not depend on how the data was split, and never uses the
 * cancellation-prone `E[x^2] - E[x]^2`. Population variance is `M2 / n`.
 *
 * Each group is also shifted by the first value it sees (K): the moments are
 * those of `x - K`, which is exact when x is close to K, so a large common
 * offset (1e8 + noise) costs no digits in the block means or in the merge.
 *
 * Shape legend: G = number of groups (features) that keep separate statistics.
 */

/** Per-group count, mean and sum of squared deviations, all float64. */
export class RunningMoments {
  /** Number of values seen per group. */
  readonly count: Float64Array;
  /** Sum of squared deviations from the mean per group. */
  readonly m2: Float64Array;
  /** Per-group shift K (the first value seen); statistics are kept for x - K. */
  private readonly shift: Float64Array;
  /** Mean of x - K per group. */
  private readonly meanShifted: Float64Array;

  constructor(readonly groups: number) {
    this.count = new Float64Array(groups);
    this.m2 = new Float64Array(groups);
    this.shift = new Float64Array(groups);
    this.meanShifted = new Float64Array(groups);
  }

  /** Mean per group (a fresh array: K + mean(x - K)). */
  get mean(): Float64Array {
    return Float64Array.from(this.meanShifted, (m, g) => this.shift[g]! + m);
  }

  /** Forget everything seen so far. */
  reset(): void {
    this.count.fill(0);
    this.m2.fill(0);
    this.shift.fill(0);
    this.meanShifted.fill(0);
  }

  /**
   * Merge one group's batch summary `(nB, meanB, m2B)`, with `meanB` the mean
   * of `x - shift[g]`, into the running state (Chan et al. 1983).
   */
  private mergeShifted(g: number, nB: number, meanB: number, m2B: number): void {
    if (nB === 0) return;
    const nA = this.count[g]!;
    if (nA === 0) {
      this.count[g] = nB;
      this.meanShifted[g] = meanB;
      this.m2[g] = m2B;
      return;
    }
    const n = nA + nB;
    const d = meanB - this.meanShifted[g]!;
    this.meanShifted[g] = this.meanShifted[g]! + (d * nB) / n;
    this.m2[g] = this.m2[g]! + m2B + (d * d * nA * nB) / n;
    this.count[g] = n;
  }

  /** Merge a group's summary given with an absolute mean. */
  mergeGroup(g: number, nB: number, meanB: number, m2B: number): void {
    if (nB === 0) return;
    if (this.count[g] === 0) this.shift[g] = meanB;
    this.mergeShifted(g, nB, meanB - this.shift[g]!, m2B);
  }

  /** Merge another RunningMoments of the same size (Chan et al. 1983). */
  merge(other: RunningMoments): void {
    if (other.groups !== this.groups) throw new RangeError(`cannot merge moments of ${other.groups} groups into ${this.groups}`);
    for (let g = 0; g < this.groups; g++) {
      const nB = other.count[g]!;
      if (nB === 0) continue;
      if (this.count[g] === 0) this.shift[g] = other.shift[g]!;
      // (K_other - K_this) is exact when the shifts are close; add the small shifted mean after.
      this.mergeShifted(g, nB, other.shift[g]! - this.shift[g]! + other.meanShifted[g]!, other.m2[g]!);
    }
  }

  /** Take the first non-NaN value of each still-empty group as its shift. */
  private initShifts(values: ArrayLike<number>, groupOf: (i: number) => number, skipNaN: boolean): void {
    let pending = 0;
    for (let g = 0; g < this.groups; g++) if (this.count[g] === 0) pending++;
    if (pending === 0) return;
    const done = new Uint8Array(this.groups);
    for (let i = 0; i < values.length && pending > 0; i++) {
      const v = values[i]!;
      if (skipNaN && Number.isNaN(v)) continue;
      const g = groupOf(i);
      if (this.count[g] === 0 && !done[g]) {
        this.shift[g] = Number.isFinite(v) ? v : 0;
        done[g] = 1;
        pending--;
      }
    }
  }

  /**
   * Summarise a batch whose element `i` belongs to group `groupOf[i]` and merge it.
   * Two passes in float64 over the shifted values; NaN values are skipped when
   * `skipNaN` (scikit-learn's convention), otherwise they propagate into the statistics.
   */
  updateGrouped(values: ArrayLike<number>, groupOf: ArrayLike<number>, skipNaN = false): void {
    const G = this.groups;
    this.initShifts(values, (i) => groupOf[i]!, skipNaN);
    const K = this.shift;
    const n = new Float64Array(G);
    const s = new Float64Array(G);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (skipNaN && Number.isNaN(v)) continue;
      const g = groupOf[i]!;
      n[g]!++;
      s[g]! += v - K[g]!;
    }
    for (let g = 0; g < G; g++) if (n[g]! > 0) s[g] = s[g]! / n[g]!;
    const m2 = new Float64Array(G);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (skipNaN && Number.isNaN(v)) continue;
      const g = groupOf[i]!;
      const d = v - K[g]! - s[g]!;
      m2[g]! += d * d;
    }
    for (let g = 0; g < G; g++) this.mergeShifted(g, n[g]!, s[g]!, m2[g]!);
  }

  /**
   * Summarise a row-major `[rows, G]` block (the last axis is the group) and merge it.
   */
  updateRows(values: ArrayLike<number>, rows: number, skipNaN = false): void {
    const G = this.groups;
    if (values.length !== rows * G) throw new RangeError(`expected ${rows} x ${G} = ${rows * G} values, got ${values.length}`);
    this.initShifts(values, (i) => i % G, skipNaN);
    const K = this.shift;
    const n = new Float64Array(G);
    const s = new Float64Array(G);
    for (let r = 0, o = 0; r < rows; r++, o += G) {
      for (let g = 0; g < G; g++) {
        const v = values[o + g]!;
        if (skipNaN && Number.isNaN(v)) continue;
        n[g]!++;
        s[g]! += v - K[g]!;
      }
    }
    for (let g = 0; g < G; g++) if (n[g]! > 0) s[g] = s[g]! / n[g]!;
    const m2 = new Float64Array(G);
    for (let r = 0, o = 0; r < rows; r++, o += G) {
      for (let g = 0; g < G; g++) {
        const v = values[o + g]!;
        if (skipNaN && Number.isNaN(v)) continue;
        const d = v - K[g]! - s[g]!;
        m2[g]! += d * d;
      }
    }
    for (let g = 0; g < G; g++) this.mergeShifted(g, n[g]!, s[g]!, m2[g]!);
  }

  /** Population variance `M2 / n` per group (NaN for a group that saw nothing). */
  variance(): Float64Array {
    const out = new Float64Array(this.groups);
    for (let g = 0; g < this.groups; g++) out[g] = this.count[g]! > 0 ? this.m2[g]! / this.count[g]! : NaN;
    return out;
  }
}
