/**
 * What `npm install normkit` gets: `npm pack` of the library holds only its
 * compiled library code, README and LICENSE (no lab, CLI, experiments or chart
 * renderer), and its package.json declares no dependencies of any kind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

// dist/test/package/ -> packages/normkit
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface PackResult { name: string; files: { path: string }[]; entryCount: number }

test('npm pack of the library contains no lab code', () => {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `npm pack failed: ${r.stderr}`);
  const [pack] = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as PackResult[];
  assert.equal(pack!.name, 'normkit');
  const files = pack!.files.map((f) => f.path).sort();
  for (const must of ['package.json', 'README.md', 'LICENSE', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/nn/norm/layer-norm.js', 'dist/src/kernels/wasm/generated.js']) {
    assert.ok(files.includes(must), `the packed library lacks ${must}`);
  }
  const outside = files.filter((f) => !['package.json', 'README.md', 'LICENSE'].includes(f) && !f.startsWith('dist/src/'));
  assert.deepEqual(outside, [], 'only dist/src, README.md, LICENSE and package.json are packed (no tests, benches or sources of other packages)');
  const labLike = files.filter((f) => /(^|\/)(lab|cli|experiments|report|bin)(\/|$)|vega|commander|progress|csv|idx|datasets/i.test(f));
  assert.deepEqual(labLike, [], 'lab, CLI or Node-only reader code in the packed library');
});

test('the library declares no dependencies, and its exports point into the packed files', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'bundleDependencies', 'bundledDependencies']) {
    const v = pkg[field];
    assert.ok(v === undefined || (typeof v === 'object' && v !== null && Object.keys(v).length === 0), `normkit declares ${field}: ${JSON.stringify(v)}`);
  }
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.bin, undefined, 'the `normkit` command belongs to @normkit/lab');
  const exportsMap = pkg.exports as Record<string, string | { types: string; import: string }>;
  for (const [sub, target] of Object.entries(exportsMap)) {
    if (typeof target === 'string') continue;
    assert.match(target.import, /^\.\/dist\/src\/.*\.js$/, `${sub} must point into dist/src`);
    assert.equal(target.types, target.import.replace(/\.js$/, '.d.ts'), `${sub}: types beside the code`);
  }
});
