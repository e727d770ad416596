/**
 * The library package must run in browsers: nothing in packages/normkit/src,
 * and nothing reachable from any entry of its package.json `exports`, may
 * import a Node built-in or a bare package, or touch `process`, `Buffer`,
 * `require` outside an environment-checked branch. Node-only code (the CLI,
 * the lab, the CSV/IDX file readers) lives in the separate @normkit/lab
 * package. How guards are recognised is documented in ./import-graph.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { findImports, findNodeGlobals, lex, walkImportGraph, isNodeBuiltin } from './import-graph.js';

// dist/test/browser/ -> the library package's root (packages/normkit)
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ENTRY = join(ROOT, 'src', 'index.ts');

/** Every source module of the package's `exports` (./dist/src/X.js -> src/X.ts). */
function exportEntries(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { import: string }> };
  return Object.values(pkg.exports).flatMap((v) => {
    const target = typeof v === 'string' ? v : v.import;
    const m = /^\.\/dist\/(src\/.*)\.js$/.exec(target);
    return m ? [join(ROOT, `${m[1]}.ts`)] : [];
  });
}

/** Every TypeScript source of the library package (the AssemblyScript sources compile to wasm, not JS). */
function allSources(dir = join(ROOT, 'src')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return p.endsWith(join('wasm', 'assembly')) ? [] : allSources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

test('every entry of the package exports, and every source file of the library package, is browser-safe', () => {
  const entries = exportEntries();
  assert.ok(entries.length >= 8, `expected the package's subpath exports, found ${entries.length}`);
  const sources = allSources();
  assert.ok(sources.length >= 80, `expected the library's sources, found ${sources.length}`);
  const cache = new Map<string, string>();
  const read = (f: string): string => cache.get(f) ?? (cache.set(f, readFileSync(f, 'utf8')), cache.get(f)!);
  const bad = new Set<string>();
  for (const file of [...entries, ...sources]) {
    assert.ok(existsSync(file), `export target ${file} does not exist`);
    for (const v of walkImportGraph(file, ROOT, read).violations) bad.add(`  ${v.file}: ${v.why}\n      ${v.what}`);
  }
  assert.deepEqual([...bad], [], `Node-only code in the library package (browsers cannot load it):\n${[...bad].join('\n')}`);
});

test('no module reachable from src/index.ts imports Node built-ins, bare packages, or Node globals', () => {
  assert.ok(existsSync(ENTRY), `expected the public entry at ${ENTRY}`);
  const report = walkImportGraph(ENTRY, ROOT);
  const lines = report.violations.map((v) => `  ${v.file}: ${v.why}\n      ${v.what}`);
  assert.equal(lines.length, 0, `Node-only code reachable from src/index.ts (browsers cannot load it):\n${lines.join('\n')}`);
  // the walk really covered the core, including the wasm backend and the thread pool
  const visited = report.visited.map((f) => f.split('\\').join('/'));
  for (const must of ['src/index.ts', 'src/kernels/wasm/loader.ts', 'src/kernels/wasm/index.ts', 'src/kernels/threads/pool.ts',
    'src/io/safetensors.ts', 'src/onnx/export.ts', 'src/nn/norm/layer-norm.ts', 'src/functional/backward-rules.ts']) {
    assert.ok(visited.includes(must), `the walk from src/index.ts should reach ${must}; reached ${visited.length} modules`);
  }
  assert.ok(visited.length >= 40, `only ${visited.length} modules reached from src/index.ts`);
});

test('the worker_threads imports of the thread pool and DataParallel are the only guarded Node-only code, and they are guarded', () => {
  const report = walkImportGraph(ENTRY, ROOT);
  // Listed so that a new guarded Node path is noticed and reviewed here.
  const guarded = report.guardedNodeOnly.map((v) => `${v.file.split('\\').join('/')}: ${v.why}`);
  for (const g of guarded) {
    // the thread pool's workers, and DataParallel's replicas (their program, and the WorkerPool that starts them) (worker_threads in Node, module Web Workers elsewhere)
    assert.ok(/^src\/(kernels\/threads\/pool|parallel\/worker|parallel\/worker-pool)\.ts: /.test(g), `unexpected Node-only code (guarded, but review it and list it here): ${g}`);
  }
  assert.ok(guarded.some((g) => g.includes("'node:worker_threads'")), `expected the pool's guarded import('node:worker_threads'); found ${JSON.stringify(guarded)}`);
});

// ---------------------------------------------------------------------------
// The checker itself: each rule fires on a small source and stays quiet on the safe forms.

function check(files: Record<string, string>): ReturnType<typeof walkImportGraph> {
  return walkImportGraph('/r/src/index.ts', '/r', (f) => {
    const s = files[f.replace(/^\/r\//, '')];
    if (s === undefined) throw new Error(`test source ${f} missing`);
    return s;
  }, (from, spec) => {
    const dir = from.slice(0, from.lastIndexOf('/'));
    const parts = `${dir}/${spec}`.split('/');
    const out: string[] = [];
    for (const p of parts) { if (p === '..') out.pop(); else if (p !== '.') out.push(p); }
    const path = out.join('/').replace(/\.js$/, '.ts');
    return files[path.replace(/^\/r\//, '')] !== undefined ? path : null;
  });
}

test('checker: flags static Node imports in any reached module and names file and import', () => {
  const r = check({
    'src/index.ts': "export * from './a.js';\nexport { b } from './b.js';",
    'src/a.ts': "import { readFileSync } from 'node:fs';\nexport const a = 1;",
    'src/b.ts': "import * as p from 'path';\nimport 'os';\nexport const b = 2;",
  });
  assert.deepEqual(r.visited, ['src/index.ts', 'src/a.ts', 'src/b.ts']);
  assert.equal(r.violations.length, 3, JSON.stringify(r.violations));
  assert.match(r.violations[0]!.file, /src\/a\.ts/);
  assert.match(r.violations[0]!.what, /import \{ readFileSync \} from 'node:fs'/);
  assert.match(r.violations[1]!.why, /'path'/);
  assert.match(r.violations[2]!.why, /'os'/);
});

test('checker: type-only imports, comments and strings are not imports', () => {
  const r = check({
    'src/index.ts': [
      "import type { Worker } from 'node:worker_threads';",
      "import { type Stats, type Dirent } from 'node:fs';",
      "// import { x } from 'node:fs'",
      "/* require('fs') */",
      "const s = `require('worker_threads') process.env ${1 + 1} import('node:os')`;",
      "const t = \"process.exit(1) Buffer.from('x')\";",
      "const re = /import\\('node:fs'\\)/;",
      'export const ok = s.length + t.length + (re.source.length / 2);',
    ].join('\n'),
  });
  assert.deepEqual(r.violations, []);
});

test('checker: Node globals at top level or in unguarded functions are flagged; probes are not', () => {
  const bad = check({ 'src/index.ts': "export const env = process.env.X;\nexport function f() { return Buffer.from('a'); }\nexport const g = () => require('fs');" });
  assert.deepEqual(bad.violations.map((v) => v.why.match(/'([^']+)'/)![1]), ['fs', 'process', 'Buffer']);
  const ok = check({
    'src/index.ts': [
      'const g = globalThis as { process?: { versions?: { node?: string } } };',
      'export const isNode = typeof process !== "undefined" && !!g.process?.versions?.node;',
      'export const ab = new ArrayBuffer(8); export const sab = typeof SharedArrayBuffer;',
    ].join('\n'),
  });
  assert.deepEqual(ok.violations, []);
});

test('checker: dynamic Node imports pass only inside an environment-checked if block', () => {
  const guardedByHelper = check({
    'src/index.ts': [
      "const isNode = (): boolean => !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;",
      'export async function start() {',
      '  if (isNode()) {',
      "    const wt = await import('node:worker_threads');",
      '    return wt;',
      '  } else {',
      "    return new Worker('x');",
      '  }',
      '}',
    ].join('\n'),
  });
  assert.deepEqual(guardedByHelper.violations, []);
  assert.equal(guardedByHelper.guardedNodeOnly.length, 1);
  const guardedElse = check({
    'src/index.ts': "export async function f() { if (typeof window !== 'undefined') { return 1; } else { return (await import('node:os')).cpus(); } }",
  });
  assert.deepEqual(guardedElse.violations, []);
  const unguarded = check({ 'src/index.ts': "export async function f() { if (x > 1) { return import('node:fs'); } return null; }\nlet x = 2;" });
  assert.equal(unguarded.violations.length, 1);
  assert.match(unguarded.violations[0]!.why, /'node:fs' in a dynamic import not inside an environment-checked if block/);
  const ternary = check({ 'src/index.ts': "export const f = async () => (isNode() ? import('node:fs') : null);\nconst isNode = () => typeof process !== 'undefined';" });
  assert.equal(ternary.violations.length, 1, 'ternaries are not recognised as guards (documented)');
});

test('checker: bare packages and computed dynamic imports are flagged; relative dynamic imports are followed', () => {
  const r = check({
    'src/index.ts': "import protobuf from 'protobufjs';\nexport const m = () => import(name);\nexport const l = () => import('./lazy.js');\nconst name = 'x';",
    'src/lazy.ts': "import { spawn } from 'child_process';\nexport { spawn };",
  });
  assert.deepEqual(r.visited, ['src/index.ts', 'src/lazy.ts']);
  const whys = r.violations.map((v) => v.why);
  assert.equal(whys.length, 3, JSON.stringify(whys));
  assert.ok(whys.some((w) => /bare package 'protobufjs'/.test(w)));
  assert.ok(whys.some((w) => /computed specifier/.test(w)));
  assert.ok(whys.some((w) => /'child_process'/.test(w)));
});

test('checker: lexer handles nested templates, regexes with quotes, and division', () => {
  const src = "const a = `x${`y${'z'}`}w`; const r = /['\"`]/g; const d = 4 / 2 / 1; import { q } from './q.js';";
  const refs = findImports(src);
  assert.deepEqual(refs.map((x) => x.specifier), ['./q.js']);
  assert.equal(findNodeGlobals("const o = { Buffer: 1 }; const p = o.Buffer;").length, 0);
  assert.equal(lex("'a' + \"b\"").strings.length, 2);
  for (const b of ['node:fs', 'fs', 'fs/promises', 'path', 'worker_threads', 'os', 'child_process', 'url', 'module', 'crypto']) assert.ok(isNodeBuiltin(b), b);
  for (const b of ['./fs.js', 'fast-check', 'protobufjs']) assert.ok(!isNodeBuiltin(b), b);
});

test('the only computed dynamic imports are of the user\'s DataParallel replica module, marked as such', () => {
  const report = walkImportGraph(ENTRY, ROOT);
  const sites = report.userModuleImports.map((v) => v.file.split('\\').join('/')).sort();
  // worker.ts's import of the same URL is reached by the every-source-file walk above, not from src/index.ts
  assert.deepEqual(sites, ['src/parallel/data-parallel.ts']);
});
