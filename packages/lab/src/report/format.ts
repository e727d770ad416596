/** Number and time formatting shared by the Markdown, HTML and terminal reports. */

/** A number for humans: 4 significant digits, exponent notation when tiny or huge, `-` for null. */
export function fmtNum(v: number | string | null | undefined): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

/** Wall time: ms, s or min. */
export function fmtWall(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60000).toFixed(1)} min`;
}

/** A one-line summary of the runs of an experiment. */
export function fmtRunCounts(c: { expected: number; stored: number; ok: number; diverged: number; error: number }): string {
  const parts = [`${c.stored}/${c.expected} runs`];
  if (c.diverged > 0) parts.push(`${c.diverged} diverged`);
  if (c.error > 0) parts.push(`${c.error} failed`);
  return parts.join(', ');
}
