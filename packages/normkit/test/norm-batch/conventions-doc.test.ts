import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, resolve } from 'node:path';

// dist/test/norm-batch -> packages/normkit; the docs are the repository's (two levels up)
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const doc = readFileSync(resolve(root, '../../docs/conventions.md'), 'utf8');
const blocks = [...doc.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
const lib = pathToFileURL(resolve(root, 'dist/src/index.js')).href;

test('docs/conventions.md has runnable examples', () => {
  assert.ok(blocks.length >= 4, `found ${blocks.length} js blocks`);
});

blocks.forEach((code, i) => {
  test(`docs/conventions.md example ${i + 1} runs and its assertions hold`, async () => {
    const src = code.replace(/from 'normkit'/g, `from '${lib}'`);
    const log = console.log;
    console.log = () => {};
    try {
      await import(`data:text/javascript,${encodeURIComponent(src)}`);
    } finally {
      console.log = log;
    }
  });
});
