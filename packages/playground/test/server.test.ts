/**
 * The static server behind `normkit playground` (packages/lab/src/cli/playground.ts,
 * imported from the lab's build): serves the built page with the
 * cross-origin isolation headers (or without, on request), GET and HEAD
 * only, nothing outside its directory; `--open` without a browser opener
 * does not fail; a missing build says how to make it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

interface PlaygroundServer { url: string; port: number; dir: string; close(): Promise<void> }
interface ServerModule {
  startPlaygroundServer(o?: { dir?: string; port?: number; host?: string; isolation?: boolean }): Promise<PlaygroundServer>;
  findPlaygroundDir(explicit?: string): string;
  openBrowser(url: string): string;
}

// dist/test/ -> packages/playground -> packages/lab/dist/src/cli/playground.js
const MODULE = new URL('../../../lab/dist/src/cli/playground.js', import.meta.url);
const skip = existsSync(fileURLToPath(MODULE)) ? false : `${fileURLToPath(MODULE)} is missing (build the lab first)`;

/** A raw request (fetch would normalize '..' away). */
function get(port: number, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

test('serves files with types and COOP/COEP, refuses paths outside and other methods', { skip }, async () => {
  const m = (await import(MODULE.href)) as ServerModule;
  const root = mkdtempSync(join(tmpdir(), 'nk-playground-'));
  const dir = join(root, 'web');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(dir, 'assets', 'a.js'), 'export {};');
  writeFileSync(join(root, 'secret.txt'), 'TOP-SECRET-CONTENT');
  const s = await m.startPlaygroundServer({ dir, port: 0 });
  try {
    assert.equal(s.url, `http://127.0.0.1:${s.port}/`);
    const index = await get(s.port, '/');
    assert.equal(index.status, 200);
    assert.match(String(index.headers['content-type']), /text\/html/);
    assert.equal(index.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(index.headers['cross-origin-embedder-policy'], 'require-corp');
    assert.match(String((await get(s.port, '/assets/a.js')).headers['content-type']), /text\/javascript/);
    const head = await get(s.port, '/assets/a.js', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const r = await get(s.port, p);
      assert.equal(r.status, 404, `${p}: ${r.status}`);
      assert.ok(!r.body.includes('TOP-SECRET-CONTENT'), p);
    }
    assert.equal((await get(s.port, '/nope.js')).status, 404);
    assert.equal((await get(s.port, '/', 'POST')).status, 405);
  } finally {
    await s.close();
  }
  const plain = await m.startPlaygroundServer({ dir, port: 0, isolation: false });
  try {
    assert.equal((await get(plain.port, '/')).headers['cross-origin-opener-policy'], undefined);
  } finally {
    await plain.close();
  }
});

test('finds the built playground; a missing build says how to build it; --open without an opener is fine', { skip }, async () => {
  const m = (await import(MODULE.href)) as ServerModule;
  const built = fileURLToPath(new URL('../web/', import.meta.url));
  if (existsSync(join(built, 'index.html'))) assert.equal(m.findPlaygroundDir(), built.replace(/\/$/, ''));
  assert.throws(() => m.findPlaygroundDir(join(tmpdir(), 'no-such-playground')), /not built .*npm run build/);
  const path = process.env.PATH;
  process.env.PATH = mkdtempSync(join(tmpdir(), 'nk-empty-path-'));
  try {
    assert.match(m.openBrowser('http://127.0.0.1:1/'), /no browser opener found.*open http:\/\/127\.0\.0\.1:1\/ yourself/);
  } finally {
    process.env.PATH = path;
  }
});
