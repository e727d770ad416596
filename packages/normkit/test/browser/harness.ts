/**
 * What the Chromium tests share: Debian's Chromium driven by playwright-core
 * (skipped with the reason when either is missing), a server for a test page
 * at /plain.html and /isolated.html (the latter cross-origin isolated by
 * COOP/COEP headers) and for files under dist/ only, and a page runner that
 * records every console error, uncaught exception, failed request and 4xx.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { extname, join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DIST = join(ROOT, 'dist');
/** Debian's Chromium; NORMKIT_CHROMIUM overrides the path (e.g. to check the skip). */
export const CHROMIUM = process.env.NORMKIT_CHROMIUM ?? '/usr/bin/chromium';
export const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

async function loadPlaywright(): Promise<typeof import('playwright-core') | string> {
  try {
    return await import('playwright-core');
  } catch (e) {
    return `playwright-core cannot be imported: ${(e as Error).message}`;
  }
}

export const playwright = existsSync(CHROMIUM) ? await loadPlaywright() : null;
export const skipReason = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is missing (install Debian's chromium package to run the browser test)`
  : typeof playwright === 'string' ? playwright : !existsSync(join(DIST, 'src', 'index.js')) ? 'dist/src/index.js is missing (run tsc first)' : false;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.map': 'application/json', '.json': 'application/json', '.wasm': 'application/wasm' };
const COI: Record<string, string> = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/**
 * Serve `page` at /plain.html and /isolated.html, and files under dist/ only;
 * records every 4xx. `isolateFiles`: the files carry the isolation headers
 * too (a module worker's policy comes from its own script's response).
 */
export function startServer(page: string, failures: string[], opts: { isolateFiles?: boolean } = {}): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const isolated = url.pathname === '/isolated.html';
      if (url.pathname === '/plain.html' || isolated) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...(isolated ? COI : {}) }).end(page);
        return;
      }
      const file = normalize(join(ROOT, decodeURIComponent(url.pathname)));
      if (!url.pathname.startsWith('/dist/') || !file.startsWith(DIST + sep)) {
        failures.push(`server: 404 outside dist/: ${url.pathname}`);
        res.writeHead(404).end();
        return;
      }
      try {
        if (!(await stat(file)).isFile()) throw new Error('not a file');
        const body = await readFile(file);
        res.writeHead(200, {
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'cross-origin-resource-policy': 'same-origin',
          'cache-control': 'no-store',
          ...(opts.isolateFiles ? COI : {}),
        }).end(body);
      } catch {
        failures.push(`server: 404 ${url.pathname}`);
        res.writeHead(404).end();
      }
    })();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
}

/**
 * Open `path` in a fresh context, wait for the page's module script to set
 * `__loaded`, and return what its `__run()` resolves to; every console error,
 * uncaught exception, failed request, 4xx/5xx and crash goes into `failures`.
 */
export async function runModulePage<T>(browser: import('playwright-core').Browser, origin: string, path: string, failures: string[]): Promise<T> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const tag = (s: string) => `${path}: ${s}`;
  page.on('console', (m) => { if (m.type() === 'error') failures.push(tag(`console error: ${m.text()}`)); });
  page.on('pageerror', (e) => failures.push(tag(`uncaught exception: ${e.stack ?? e.message}`)));
  page.on('requestfailed', (r) => failures.push(tag(`request failed: ${r.url()} (${r.failure()?.errorText})`)));
  page.on('response', (r) => { if (r.status() >= 400) failures.push(tag(`HTTP ${r.status()} for ${r.url()}`)); });
  page.on('crash', () => failures.push(tag('page crashed')));
  try {
    const resp = await page.goto(`${origin}${path}`, { waitUntil: 'load' });
    assert.equal(resp?.status(), 200, tag('page did not load'));
    await page.waitForFunction(() => (globalThis as { __loaded?: boolean }).__loaded === true, null, { timeout: 15_000 })
      .catch((e: Error) => { throw new Error(tag(`the module script did not finish loading (${e.message}); failures so far: ${failures.join(' | ')}`)); });
    return await page.evaluate(() => (globalThis as unknown as { __run(): Promise<T> }).__run());
  } finally {
    await context.close();
  }
}
