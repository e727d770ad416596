/**
 * Every ```js example in the library's README.md (and the repository's root
 * README.md) runs, as a user would run it: a module inside the package
 * importing `normkit` by name (package self-reference through `exports`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/docs -> packages/normkit -> the repository
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const repo = resolve(root, '../..');
const jsBlocks = (file: string): string[] => [...readFileSync(file, 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
const blocks = [...jsBlocks(join(root, 'README.md')), ...jsBlocks(join(repo, 'README.md'))];

test('README has runnable examples', () => {
  assert.ok(blocks.length >= 8, `expected at least 8 js examples, found ${blocks.length}`);
});

const dir = join(root, '.tmp', 'readme-examples');
blocks.forEach((code, i) => {
  const title = code.split('\n').find((l) => l.includes('new nk.') || l.includes('nk.'))?.trim().slice(0, 60) ?? `block ${i}`;
  test(`README example ${i + 1} runs: ${title}`, () => {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `example-${i + 1}.mjs`);
    writeFileSync(file, code);
    try {
      const r = spawnSync(process.execPath, [file], { encoding: 'utf8', cwd: root, timeout: 60_000 });
      assert.equal(r.status, 0, `example ${i + 1} failed:\n${code}\n--- stderr ---\n${r.stderr}`);
      // Examples that print a `true` check must print true, never false.
      assert.ok(!/^false$/m.test(r.stdout), `example ${i + 1} printed false:\n${r.stdout}`);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
