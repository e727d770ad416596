/**
 * Every package of the workspace promises a Node range (`engines.node`) that
 * its whole installed dependency tree accepts: for each package, every
 * dependency it declares, and theirs, resolved as package-lock.json resolved
 * them, has an `engines.node` range that contains ours (semver subset). This
 * is what broke before the split: vega-lite 6.5 and commander 15 need Node 22
 * while normkit promised Node 20. The root (private) package is checked with
 * its dev tools too, since developers run them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, posix } from 'node:path';
import semver from 'semver';

// dist/test/package/ -> packages/lab -> the repository
const REPO = fileURLToPath(new URL('../../../../../', import.meta.url));

interface LockEntry { version?: string; engines?: { node?: string } | string[]; link?: boolean; resolved?: string; dev?: boolean; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }>; devDependencies?: Record<string, string> }
const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };

/** Node's lookup: LOC/node_modules/NAME, then each parent's node_modules, up to the root's. */
function resolveDep(from: string, name: string): string | null {
  let dir = from;
  for (;;) {
    const cand = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    const e = lock.packages[cand];
    if (e) return e.link && e.resolved !== undefined ? e.resolved : cand;
    if (!dir) return null;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i >= 0 ? dir.slice(0, i) : dir.startsWith('node_modules/') ? '' : posix.dirname(dir) === '.' ? '' : posix.dirname(dir);
  }
}

/** Every package reachable from `loc` through the given dependency fields, with the range that asked for it. */
function closure(loc: string, withDev: boolean): Map<string, string> {
  const seen = new Map<string, string>();
  // the root runs every workspace package (npm start runs the lab), so their trees are its too
  const workspaces = loc === '' ? ['packages/normkit', 'packages/lab', 'packages/playground'] : [];
  const queue: [string, boolean][] = [[loc, withDev], ...workspaces.map((w) => [w, false] as [string, boolean])];
  while (queue.length) {
    const [at, dev] = queue.shift()!;
    const e = lock.packages[at]!;
    const deps = { ...e.dependencies, ...e.optionalDependencies, ...(dev ? e.devDependencies : {}) };
    for (const [name, range] of Object.entries({ ...deps, ...e.peerDependencies })) {
      const optionalPeer = e.peerDependenciesMeta?.[name]?.optional === true && !(name in deps);
      const target = resolveDep(at, name);
      if (!target) {
        if (optionalPeer || name in (e.optionalDependencies ?? {}) || name in (e.peerDependencies ?? {})) continue;
        assert.fail(`${at || '(root)'} declares ${name}@${range}, which package-lock.json does not resolve`);
      }
      if (seen.has(target)) continue;
      seen.set(target, `${name}@${range} (from ${at || '(root)'})`);
      queue.push([target, false]);
    }
  }
  return seen;
}

for (const [loc, withDev] of [['packages/normkit', false], ['packages/lab', false], ['packages/playground', true], ['', true]] as const) {
  const pkg = lock.packages[loc]!;
  const label = loc || 'the repository root';
  test(`${label}: every dependency's engines.node contains ours`, () => {
    const ours = (pkg.engines as { node?: string } | undefined)?.node;
    assert.ok(ours && semver.validRange(ours), `${label} must declare engines.node (got ${ours})`);
    const bad: string[] = [];
    for (const [at, why] of closure(loc, withDev)) {
      const e = lock.packages[at]!;
      const theirs = Array.isArray(e.engines) ? undefined : e.engines?.node;
      if (theirs === undefined) continue;
      if (!semver.validRange(theirs)) { bad.push(`${at}@${e.version}: unparseable engines.node '${theirs}' (${why})`); continue; }
      if (!semver.subset(ours, theirs, { includePrerelease: false })) bad.push(`${at}@${e.version} needs node '${theirs}', ours is '${ours}' (${why})`);
    }
    assert.deepEqual(bad, [], `${label} promises Node '${ours}' but:\n${bad.join('\n')}`);
  });
}

test('the library declares no dependencies; the lab depends on this very version of it', () => {
  const lib = lock.packages['packages/normkit']!;
  assert.deepEqual({ ...lib.dependencies, ...lib.peerDependencies, ...lib.optionalDependencies }, {});
  assert.equal(closure('packages/normkit', false).size, 0);
  const lab = lock.packages['packages/lab']!;
  assert.ok(lab.dependencies?.normkit && semver.satisfies(lib.version!, lab.dependencies.normkit), `@normkit/lab wants normkit@${lab.dependencies?.normkit}, the workspace has ${lib.version}`);
  assert.equal(resolveDep('packages/lab', 'normkit'), 'packages/normkit', 'the lab resolves normkit to the workspace package');
});

test('the resolver follows Node\'s lookup (nested copies win over hoisted ones)', () => {
  // vega-lite's own yargs is hoisted; a nested node_modules copy, where one exists, is preferred
  const nested = Object.keys(lock.packages).find((k) => /^node_modules\/[^/]+(\/[^/]+)?\/node_modules\/[^/]+$/.test(k) && !k.includes('@'));
  assert.ok(nested, 'expected at least one nested dependency in package-lock.json');
  const [parent, name] = nested!.split(/\/node_modules\/(?=[^/]+$)/) as [string, string];
  assert.equal(resolveDep(parent, name), nested);
  assert.equal(resolveDep('packages/lab', 'vega-lite'), 'node_modules/vega-lite');
  assert.equal(resolveDep('packages/lab', 'no-such-package-anywhere'), null);
});
