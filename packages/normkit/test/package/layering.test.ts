/**
 * The library's imports flow one way (nn -> functional -> autograd ->
 * kernels -> tensor): autograd imports no op, and no module imports itself
 * back through others. Read from the TypeScript sources (type-only imports,
 * erased by tsc, do not count).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'assembly' ? [] : sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative value imports/exports of each source file (paths relative to src/). */
function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const code = readFileSync(file, 'utf8');
    const deps: string[] = [];
    for (const m of code.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'(\.[^']+)'/gm)) {
      deps.push(relative(SRC, normalize(join(dirname(file), m[1]!.replace(/\.js$/, '.ts')))).split('\\').join('/'));
    }
    g.set(relative(SRC, file).split('\\').join('/'), deps);
  }
  return g;
}

test('autograd imports only the tensor core and the kernels, never an op', () => {
  for (const [file, deps] of graph()) {
    if (!file.startsWith('autograd/')) continue;
    for (const d of deps) assert.ok(/^(autograd|tensor|kernels)\//.test(d), `${file} imports ${d}`);
  }
});

test('the tensor core imports nothing above it', () => {
  for (const [file, deps] of graph()) {
    if (!file.startsWith('tensor/')) continue;
    for (const d of deps) assert.ok(d.startsWith('tensor/') || d === 'options.ts', `${file} imports ${d}`);
  }
});

test('no import cycles in the library', () => {
  const g = graph();
  // Tarjan's strongly connected components
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1 || (g.get(v) ?? []).includes(v)) cycles.push(comp.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  assert.ok(g.size > 100, `read ${g.size} sources`);
  assert.deepEqual(cycles, [], `import cycles:\n${cycles.map((c) => c.join(' <-> ')).join('\n')}`);
});
