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
 * Shape legend: G = number of groups (features) that keep separate statistics.
 */

/** Per-group count, mean and sum of squared deviations, all float64. */
export class RunningMoments {
  /** Number of values seen per group. */
  readonly count: Float64Array;
  /** Mean per group. */
  readonly mean: Float64Array;
  /** Sum of squared deviations from the mean per group. */
  readonly m2: Float64Array;

  constructor(readonly groups: number) {
    this.count = new Float64Array(groups);
    this.mean = new Float64Array(groups);
    this.m2 = new Float64Array(groups);
  }

  /** Forget everything seen so far. */
  reset(): void {
    this.count.fill(0);
    this.mean.fill(0);
    this.m2.fill(0);
  }

  /**
   * Merge one group's batch summary `(nB, meanB, m2B)` into the running state
   * (Chan et al. 1983).
   */
  mergeGroup(g: number, nB: number, meanB: number, m2B: number): void {
    if (nB === 0) return;
    const nA = this.count[g]!;
    if (nA === 0) {
      this.count[g] = nB;
      this.mean[g] = meanB;
      this.m2[g] = m2B;
      return;
    }
    const n = nA + nB;
    const d = meanB - this.mean[g]!;
    this.mean[g] = this.mean[g]! + (d * nB) / n;
    this.m2[g] = this.m2[g]! + m2B + (d * d * nA * nB) / n;
    this.count[g] = n;
  }

  /** Merge another RunningMoments of the same size (Chan et al. 1983). */
  merge(other: RunningMoments): void {
    if (other.groups !== this.groups) throw new RangeError(`cannot merge moments of ${other.groups} groups into ${this.groups}`);
    for (let g = 0; g < this.groups; g++) this.mergeGroup(g, other.count[g]!, other.mean[g]!, other.m2[g]!);
  }

  /**
   * Summarise a batch whose element `i` belongs to group `groupOf[i]` and merge it.
   * Two passes in float64; NaN values are skipped when `skipNaN` (scikit-learn's
   * convention), otherwise they propagate into the statistics.
   */
  updateGrouped(values: ArrayLike<number>, groupOf: ArrayLike<number>, skipNaN = false): void {
    const G = this.groups;
    const n = new Float64Array(G);
    const s = new Float64Array(G);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (skipNaN && Number.isNaN(v)) continue;
      const g = groupOf[i]!;
      n[g]!++;
      s[g]! += v;
    }
    for (let g = 0; g < G; g++) if (n[g]! > 0) s[g] = s[g]! / n[g]!;
    const m2 = new Float64Array(G);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (skipNaN && Number.isNaN(v)) continue;
      const d = v - s[groupOf[i]!]!;
      m2[groupOf[i]!]! += d * d;
    }
    for (let g = 0; g < G; g++) this.mergeGroup(g, n[g]!, s[g]!, m2[g]!);
  }

  /**
   * Summarise a row-major `[rows, G]` block (the last axis is the group) and merge it.
   */
  updateRows(values: ArrayLike<number>, rows: number, skipNaN = false): void {
    const G = this.groups;
    if (values.length !== rows * G) throw new RangeError(`expected ${rows} x ${G} = ${rows * G} values, got ${values.length}`);
    const n = new Float64Array(G);
    const s = new Float64Array(G);
    for (let r = 0, o = 0; r < rows; r++, o += G) {
      for (let g = 0; g < G; g++) {
        const v = values[o + g]!;
        if (skipNaN && Number.isNaN(v)) continue;
        n[g]!++;
        s[g]! += v;
      }
    }
    for (let g = 0; g < G; g++) if (n[g]! > 0) s[g] = s[g]! / n[g]!;
    const m2 = new Float64Array(G);
    for (let r = 0, o = 0; r < rows; r++, o += G) {
      for (let g = 0; g < G; g++) {
        const v = values[o + g]!;
        if (skipNaN && Number.isNaN(v)) continue;
        const d = v - s[g]!;
        m2[g]! += d * d;
      }
    }
    for (let g = 0; g < G; g++) this.mergeGroup(g, n[g]!, s[g]!, m2[g]!);
  }

  /** Population variance `M2 / n` per group (NaN for a group that saw nothing). */
  variance(): Float64Array {
    const out = new Float64Array(this.groups);
    for (let g = 0; g < this.groups; g++) out[g] = this.count[g]! > 0 ? this.m2[g]! / this.count[g]! : NaN;
    return out;
  }
}
