/** The verdict table printed at the end of a study. */
import type { StudyResults } from './build.js';
import { fmtWall } from './format.js';

const COLORS = { reproduced: '\x1b[32m', 'not reproduced': '\x1b[31m', inconclusive: '\x1b[33m' } as const;

/** Render the verdict table (ANSI colors when `color`). */
export function verdictTable(r: StudyResults, color: boolean, width = 100): string {
  const rows = r.experiments.map((e) => [e.name, e.verdict, fmtWall(e.wallMs), e.explanation]);
  const head = ['experiment', 'verdict', 'wall', 'explanation'];
  const w = [0, 1, 2].map((i) => Math.max(head[i]!.length, ...rows.map((row) => row[i]!.length)));
  const expW = Math.max(30, width - w[0]! - w[1]! - w[2]! - 6);
  const line = (c: string[], verdict?: keyof typeof COLORS) => {
    const v = c[1]!.padEnd(w[1]!);
    const vc = verdict && color ? `${COLORS[verdict]}${v}\x1b[0m` : v;
    const ex = c[3]!.length > expW ? c[3]!.slice(0, expW - 1) + '…' : c[3]!;
    return `${c[0]!.padEnd(w[0]!)}  ${vc}  ${c[2]!.padStart(w[2]!)}  ${ex}`;
  };
  const out = [line(head), '-'.repeat(Math.min(width, w[0]! + w[1]! + w[2]! + 6 + expW))];
  r.experiments.forEach((e, i) => out.push(line(rows[i]!, e.verdict)));
  const n = (v: string) => r.experiments.filter((e) => e.verdict === v).length;
  out.push('', `${r.experiments.length} experiments: ${n('reproduced')} reproduced, ${n('not reproduced')} not reproduced, ${n('inconclusive')} inconclusive; profile ${r.study.profile}, total wall time ${fmtWall(r.study.wallMs)}.`);
  return out.join('\n');
}
