/**
 * A small static analyzer for the "no Node-only code in the library core"
 * rule: it lexes TypeScript sources just enough to tell code from comments,
 * strings and template text, finds every import/export specifier, and walks
 * the relative imports from an entry file.
 *
 * What is flagged (in code, never in comments or strings):
 * - a static `import ... from 'X'`, `import 'X'` or `export ... from 'X'` of a
 *   Node built-in (`node:*`, `fs`, `path`, `worker_threads`, `os`,
 *   `child_process`, `url`, `module`, and every other name in Node's
 *   `builtinModules`), unless it is type-only (`import type`, `export type`,
 *   or braces holding only `type X` names): those are erased by tsc;
 * - a static import of a bare package name: the core must be self-contained
 *   ES modules so a browser can load dist/ without a bundler or import map;
 * - a dynamic `import('X')` of a Node built-in, and any use of the globals
 *   `process.` / `process?.`, `Buffer`, `require(`, `__dirname`, `__filename`,
 *   unless the use is *environment guarded* (below). `globalThis.process`,
 *   `typeof process` and `typeof require` are how browser-safe code probes the
 *   environment, so they are allowed anywhere.
 *
 * How an environment guard is recognised: the use sits inside a `{ ... }`
 * block (at any depth) that is the body of `if (COND)` or of the `else` of
 * such an `if`, where COND is an environment check: it mentions
 * `typeof process`, `typeof window`, `typeof document`, `typeof require`,
 * `versions.node` / `versions?.node`, or calls a function defined in the same
 * file whose body does (e.g. `const isNode = () => !!globalThis.process?.versions?.node`).
 * A browser evaluates neither the import nor the global there unless the
 * check says it runs under Node, so the branch is Node-only by construction.
 * Ternaries and `&&` short-circuits are not recognised: write an `if`.
 */
import { builtinModules } from 'node:module';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** A string literal found in code: its value and where its opening quote is. */
export interface StringLit {
  value: string;
  start: number;
  end: number;
}

/** The source with comments and literal text blanked out (same length, same offsets). */
export interface Lexed {
  /** Code only: comments, string contents, template text and regex bodies are spaces. */
  code: string;
  /** String literals in code (quoted '...' or "..."; template literals without `${}` too). */
  strings: StringLit[];
}

const REGEX_PREFIX_WORDS = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'yield', 'await', 'instanceof']);

/**
 * Lex `src`: blank comments and literal text, keep code and the positions of
 * string literals. Template literals are followed through `${ ... }` nesting;
 * a `/` starts a regex literal when the previous token cannot end an operand.
 */
export function lex(src: string): Lexed {
  const out = src.split('');
  const strings: StringLit[] = [];
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  // Stack of open template literals: the brace depth at which each `${` was opened.
  const templateBraces: number[] = [];
  let braceDepth = 0;
  let i = 0;
  const n = src.length;
  let lastSignificant = ''; // last non-space code character
  let lastWord = '';
  const scanTemplate = (from: number): number => {
    // from: just after the backtick or after the closing } of an interpolation
    let j = from;
    const textStart = from;
    while (j < n) {
      const c = src[j]!;
      if (c === '\\') { j += 2; continue; }
      if (c === '`') {
        blank(textStart, j);
        return j + 1; // template finished
      }
      if (c === '$' && src[j + 1] === '{') {
        blank(textStart, j);
        templateBraces.push(braceDepth);
        braceDepth++;
        return -(j + 2); // negative: continue lexing code inside the interpolation
      }
      j++;
    }
    blank(textStart, n);
    return n;
  };
  while (i < n) {
    const c = src[i]!;
    const d = src[i + 1];
    if (c === '/' && d === '/') {
      const e = src.indexOf('\n', i);
      const end = e < 0 ? n : e;
      blank(i, end);
      i = end;
      continue;
    }
    if (c === '/' && d === '*') {
      const e = src.indexOf('*/', i + 2);
      const end = e < 0 ? n : e + 2;
      blank(i, end);
      i = end;
      continue;
    }
    if (c === '\'' || c === '"') {
      let j = i + 1;
      let value = '';
      while (j < n && src[j] !== c && src[j] !== '\n') {
        if (src[j] === '\\') { value += src[j + 1] ?? ''; j += 2; continue; }
        value += src[j];
        j++;
      }
      strings.push({ value, start: i, end: j + 1 });
      blank(i + 1, j);
      i = j + 1;
      lastSignificant = c;
      lastWord = '';
      continue;
    }
    if (c === '`') {
      const start = i;
      const r = scanTemplate(i + 1);
      if (r >= 0) {
        // a template without interpolation is a plain string for our purposes
        const raw = src.slice(start + 1, r - 1);
        strings.push({ value: raw, start, end: r });
        i = r;
      } else {
        i = -r;
      }
      lastSignificant = '`';
      lastWord = '';
      continue;
    }
    if (c === '{') { braceDepth++; i++; lastSignificant = c; lastWord = ''; continue; }
    if (c === '}') {
      braceDepth--;
      if (templateBraces.length && templateBraces[templateBraces.length - 1] === braceDepth) {
        templateBraces.pop();
        const r = scanTemplate(i + 1);
        i = r >= 0 ? r : -r;
        lastSignificant = '`';
        lastWord = '';
        continue;
      }
      i++;
      lastSignificant = c;
      lastWord = '';
      continue;
    }
    if (c === '/') {
      const regexAllowed = lastSignificant === '' || '(,=:[!&|?{};+-*%<>~^'.includes(lastSignificant) || REGEX_PREFIX_WORDS.has(lastWord);
      if (regexAllowed) {
        let j = i + 1;
        let inClass = false;
        while (j < n && src[j] !== '\n') {
          const e = src[j]!;
          if (e === '\\') { j += 2; continue; }
          if (e === '[') inClass = true;
          else if (e === ']') inClass = false;
          else if (e === '/' && !inClass) break;
          j++;
        }
        blank(i + 1, j);
        i = j + 1;
        while (i < n && /[a-z]/i.test(src[i]!)) i++; // flags
        lastSignificant = '/';
        lastWord = '';
        continue;
      }
    }
    if (/[A-Za-z_$]/.test(c)) {
      let j = i;
      while (j < n && /[\w$]/.test(src[j]!)) j++;
      lastWord = src.slice(i, j);
      lastSignificant = 'a';
      i = j;
      continue;
    }
    if (!/\s/.test(c)) {
      lastSignificant = c;
      lastWord = '';
    }
    i++;
  }
  return { code: out.join(''), strings };
}

/** One import/export/require/dynamic import found in a file. */
export interface ImportRef {
  specifier: string;
  kind: 'static' | 'dynamic' | 'require';
  /** Erased by tsc (import type / export type / only `type` names). */
  typeOnly: boolean;
  /** Offset of the statement or call. */
  pos: number;
  /** Inside an environment-guarded block (see the module comment). */
  guarded: boolean;
  /** The statement as written (first line), for messages. */
  text: string;
}

/** A use of a Node-only global. */
export interface GlobalUse {
  name: string;
  pos: number;
  guarded: boolean;
  text: string;
}

const ENV_CHECK = /typeof\s+(process|window|document|require)\b|versions\s*(\?\.|\.)\s*node\b/;

/** Names of functions/arrow constants in this file whose bodies are environment checks. */
function envCheckFunctions(code: string): Set<string> {
  const names = new Set<string>();
  const defs = [...code.matchAll(/\b(?:function\s+([A-Za-z_$][\w$]*)\s*\(|(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]*)?=\s*(?:\([^)]*\)|[A-Za-z_$][\w$]*)\s*(?::\s*[^=]*?)?=>)/g)];
  for (const m of defs) {
    const name = m[1] ?? m[2]!;
    // the body: up to the end of the statement (arrow) or the matching brace (function)
    const start = m.index! + m[0].length;
    let end = start;
    let depth = 0;
    for (let k = start; k < code.length; k++) {
      const ch = code[k];
      if (ch === '{' || ch === '(' || ch === '[') depth++;
      else if (ch === '}' || ch === ')' || ch === ']') {
        depth--;
        if (depth < 0) { end = k; break; }
        if (depth === 0 && ch === '}' && m[1]) { end = k + 1; break; }
      } else if (ch === ';' && depth === 0) { end = k; break; }
      end = k + 1;
    }
    if (ENV_CHECK.test(code.slice(start, end))) names.add(name);
  }
  return names;
}

/** Offsets of the `{` of every block enclosing `pos`, innermost last. */
function enclosingBraces(code: string, pos: number): number[] {
  const stack: number[] = [];
  for (let k = 0; k < pos; k++) {
    if (code[k] === '{') stack.push(k);
    else if (code[k] === '}') stack.pop();
  }
  return stack;
}

/** The condition of the `if (...)` whose body opens at `brace`, or null. */
function ifConditionBefore(code: string, brace: number): string | null {
  let k = brace - 1;
  while (k >= 0 && /\s/.test(code[k]!)) k--;
  if (code[k] === ')') {
    let depth = 0;
    const close = k;
    for (; k >= 0; k--) {
      if (code[k] === ')') depth++;
      else if (code[k] === '(') { depth--; if (depth === 0) break; }
    }
    const open = k;
    let w = open - 1;
    while (w >= 0 && /\s/.test(code[w]!)) w--;
    if (code.slice(Math.max(0, w - 1), w + 1) === 'if' && !/[\w$]/.test(code[w - 2] ?? ' ')) return code.slice(open + 1, close);
    return null;
  }
  // `else {`: the condition of the matching if
  if (code.slice(k - 3, k + 1) === 'else' && !/[\w$]/.test(code[k - 4] ?? ' ')) {
    let j = k - 4;
    while (j >= 0 && /\s/.test(code[j]!)) j--;
    if (code[j] !== '}') return null;
    let depth = 0;
    for (; j >= 0; j--) {
      if (code[j] === '}') depth++;
      else if (code[j] === '{') { depth--; if (depth === 0) break; }
    }
    return ifConditionBefore(code, j);
  }
  return null;
}

function isGuarded(code: string, pos: number, envFns: Set<string>): boolean {
  for (const b of enclosingBraces(code, pos)) {
    const cond = ifConditionBefore(code, b);
    if (cond === null) continue;
    if (ENV_CHECK.test(cond)) return true;
    for (const f of envFns) if (new RegExp(`(^|[^\\w$.])${f.replace(/\$/g, '\\$')}\\s*\\(`).test(cond)) return true;
  }
  return false;
}

function lineOf(src: string, pos: number): string {
  const s = src.lastIndexOf('\n', pos - 1) + 1;
  const e = src.indexOf('\n', pos);
  return src.slice(s, e < 0 ? src.length : e).trim();
}

/** Imports, exports-from, dynamic imports and require calls of one source text. */
export function findImports(src: string, lexed: Lexed = lex(src)): ImportRef[] {
  const { code, strings } = lexed;
  const at = new Map(strings.map((s) => [s.start, s]));
  const envFns = envCheckFunctions(code);
  const refs: ImportRef[] = [];
  const skipSpace = (k: number): number => {
    while (k < code.length && /\s/.test(code[k]!)) k++;
    return k;
  };
  // static: import ... from 'x' / import 'x' / export ... from 'x'
  for (const m of code.matchAll(/(?<![\w$.])(import|export)(?![\w$])/g)) {
    const kw = m.index!;
    let k = skipSpace(kw + m[1]!.length);
    if (code[k] === '(' || code[k] === '.') continue; // dynamic import / import.meta
    // import 'x'
    const direct = at.get(k);
    if (direct && m[1] === 'import') {
      refs.push({ specifier: direct.value, kind: 'static', typeOnly: false, pos: kw, guarded: false, text: lineOf(src, kw) });
      continue;
    }
    // declarations (`export function`, `export const`, ...) import nothing
    if (/^(?:(?:function|class|const|let|var|interface|enum|abstract|async|default|declare|namespace)(?![\w$])|type\s+[\w$]+\s*[=<])/.test(code.slice(k, k + 40))) continue;
    // read the clause up to `from` or the end of the statement
    let depth = 0;
    let fromAt = -1;
    for (; k < code.length; k++) {
      const ch = code[k]!;
      if (ch === '{' || ch === '(' || ch === '[') depth++;
      else if (ch === '}' || ch === ')' || ch === ']') depth--;
      else if (depth === 0 && (ch === ';' || ch === '=')) break;
      else if (depth === 0 && code.startsWith('from', k) && !/[\w$]/.test(code[k - 1] ?? ' ') && !/[\w$]/.test(code[k + 4] ?? ' ')) {
        const s = at.get(skipSpace(k + 4));
        if (s) { fromAt = s.start; break; }
      }
      if (depth < 0) break;
    }
    if (fromAt < 0) continue;
    const clause = code.slice(kw + m[1]!.length, fromAt).replace(/\bfrom\s*$/, '').trim();
    let typeOnly = /^type\b/.test(clause);
    const braces = /^\{([\s\S]*)\}$/.exec(clause);
    if (!typeOnly && braces) {
      const names = braces[1]!.split(',').map((x) => x.trim()).filter(Boolean);
      typeOnly = names.length > 0 && names.every((x) => /^type\b/.test(x));
    }
    refs.push({ specifier: at.get(fromAt)!.value, kind: 'static', typeOnly, pos: kw, guarded: false, text: lineOf(src, kw) });
  }
  // dynamic: import('x'), require('x')
  for (const m of code.matchAll(/(?<![\w$.])(import|require)\s*\(/g)) {
    const s = at.get(skipSpace(m.index! + m[0].length));
    const pos = m.index!;
    refs.push({
      specifier: s ? s.value : '<computed>',
      kind: m[1] === 'import' ? 'dynamic' : 'require',
      typeOnly: false,
      pos,
      guarded: isGuarded(code, pos, envFns),
      text: lineOf(src, pos),
    });
  }
  return refs;
}

/** Uses of Node-only globals: `process.`, `Buffer`, `__dirname`, `__filename` (require is an import). */
export function findNodeGlobals(src: string, lexed: Lexed = lex(src)): GlobalUse[] {
  const { code } = lexed;
  const envFns = envCheckFunctions(code);
  const uses: GlobalUse[] = [];
  const re = /(?<![\w$.])(?<!\?\.)(process\s*(?:\?\.|\.)|Buffer\b|__dirname\b|__filename\b)/g;
  for (const m of code.matchAll(re)) {
    const pos = m.index!;
    // `typeof process` probes without touching; type positions (`process?: {`) do not match the regex
    if (/typeof\s+$/.test(code.slice(Math.max(0, pos - 12), pos))) continue;
    // an object key or type member named Buffer (`Buffer:`), not the global
    if (/^Buffer\s*\??:/.test(code.slice(pos, pos + 10))) continue;
    uses.push({ name: m[1]!.replace(/\s|\?|\./g, ''), pos, guarded: isGuarded(code, pos, envFns), text: lineOf(src, pos) });
  }
  return uses;
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((b) => [b, b.split('/')[0]!]));
for (const b of ['fs', 'path', 'worker_threads', 'os', 'child_process', 'url', 'module']) NODE_BUILTINS.add(b);

/** True for `node:*` and Node's built-in module names (with or without a subpath). */
export function isNodeBuiltin(spec: string): boolean {
  return spec.startsWith('node:') || NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(spec.split('/')[0]!);
}

/** One problem: the file (relative to the root), the offending import or use, and why. */
export interface Violation {
  file: string;
  what: string;
  why: string;
}

/** Result of walking the graph. */
export interface GraphReport {
  /** Every module reached (paths relative to root), in visit order. */
  visited: string[];
  violations: Violation[];
  /** Node-only imports and globals that were accepted because they are guarded. */
  guardedNodeOnly: Violation[];
  /**
   * Dynamic imports of a URL the *user* supplies (a DataParallel replica
   * module), accepted when the line carries the marker comment
   * `// user module URL`: what they load is the caller's code, which a
   * browser imports like any module URL. Listed so each one is reviewed.
   */
  userModuleImports: Violation[];
}

/** The .ts file a relative specifier names, or null. */
export function resolveTs(fromFile: string, spec: string): string | null {
  const base = resolve(dirname(fromFile), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, join(base, 'index.ts'), base];
  for (const c of candidates) if (c.endsWith('.ts') && existsSync(c)) return c;
  return null;
}

/**
 * Walk the import graph from `entry` (a .ts file) following relative static
 * imports/exports (type-only ones too are skipped: erased) and unguarded
 * relative dynamic imports, and check every reached module.
 * `readSource` is injectable for tests of the checker itself.
 */
export function walkImportGraph(entry: string, root: string, readSource: (file: string) => string = (f) => readFileSync(f, 'utf8'),
  resolver: (from: string, spec: string) => string | null = resolveTs): GraphReport {
  const visited: string[] = [];
  const violations: Violation[] = [];
  const guardedNodeOnly: Violation[] = [];
  const userModuleImports: Violation[] = [];
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const rel = relative(root, file);
    visited.push(rel);
    const src = readSource(file);
    const lexed = lex(src);
    for (const ref of findImports(src, lexed)) {
      if (ref.typeOnly) continue;
      const relSpec = ref.specifier.startsWith('./') || ref.specifier.startsWith('../');
      if (ref.kind === 'require') {
        const v = { file: rel, what: ref.text, why: `require('${ref.specifier}') is CommonJS/Node-only; browsers have no require` };
        (ref.guarded ? guardedNodeOnly : violations).push(v);
        continue;
      }
      if (relSpec) {
        if (ref.kind === 'dynamic' && ref.guarded) continue; // a Node-only branch: not loaded by browsers
        const target = resolver(file, ref.specifier);
        if (!target) violations.push({ file: rel, what: ref.text, why: `cannot resolve '${ref.specifier}' to a .ts file` });
        else queue.push(target);
        continue;
      }
      if (ref.specifier === '<computed>') {
        if (ref.kind === 'dynamic' && ref.text.includes('// user module URL')) {
          userModuleImports.push({ file: rel, what: ref.text, why: 'dynamic import of a user-supplied module URL' });
          continue;
        }
        violations.push({ file: rel, what: ref.text, why: 'dynamic import of a computed specifier: cannot prove it is browser-safe' });
        continue;
      }
      if (isNodeBuiltin(ref.specifier)) {
        const v = { file: rel, what: ref.text, why: `imports the Node built-in '${ref.specifier}'` };
        if (ref.kind === 'dynamic' && ref.guarded) guardedNodeOnly.push(v);
        else violations.push({ ...v, why: ref.kind === 'dynamic' ? `${v.why} in a dynamic import not inside an environment-checked if block` : v.why });
        continue;
      }
      violations.push({ file: rel, what: ref.text, why: `imports the bare package '${ref.specifier}': the core must load in a browser from dist/ without a bundler or import map` });
    }
    for (const g of findNodeGlobals(src, lexed)) {
      const v = { file: rel, what: g.text, why: `uses the Node-only global '${g.name}'` };
      if (g.guarded) guardedNodeOnly.push(v);
      else violations.push({ ...v, why: `${v.why} outside an environment-checked if block (browsers would throw ReferenceError)` });
    }
  }
  return { visited, violations, guardedNodeOnly, userModuleImports };
}
