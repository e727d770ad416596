/**
 * `normkit playground [--port N] [--host H] [--open] [--no-isolation] [--dir DIR]`:
 * serve the playground (packages/playground, built to its dist/web/) from a
 * small static file server made of Node built-ins only; no network needed.
 *
 * Where the files come from: `--dir`, else $NORMKIT_PLAYGROUND_DIR, else the
 * `@normkit/playground` workspace package (resolved through node_modules,
 * where npm links the workspace; the lab does not declare it as a
 * dependency, so an installed lab without the playground says how to get
 * it), else packages/playground/dist/web next to this package in the
 * repository.
 *
 * The pages are served cross-origin isolated (COOP same-origin, COEP
 * require-corp) so the library can use shared memory and kernel threads;
 * `--no-isolation` serves them without (one kernel thread per worker).
 */
import { createServer, type Server } from 'node:http';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { delimiter, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError, type Command } from 'commander';

/** Content types of the files a Vite build writes. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.bin': 'application/octet-stream', '.map': 'application/json', '.txt': 'text/plain; charset=utf-8',
};

/** The built playground's directory (see the module comment for the order), or an Error saying how to build it. */
export function findPlaygroundDir(explicit?: string): string {
  const tried: string[] = [];
  const candidates: string[] = [];
  if (explicit) candidates.push(resolve(explicit));
  else {
    if (process.env.NORMKIT_PLAYGROUND_DIR) candidates.push(resolve(process.env.NORMKIT_PLAYGROUND_DIR));
    try {
      candidates.push(join(fileURLToPath(import.meta.resolve('@normkit/playground/package.json')), '..', 'dist', 'web'));
    } catch {
      // not linked into node_modules: fall back to the repository layout
    }
    // dist/src/cli/ -> packages/lab -> packages/playground/dist/web
    candidates.push(fileURLToPath(new URL('../../../../playground/dist/web', import.meta.url)));
  }
  for (const dir of candidates) {
    tried.push(dir);
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  throw new Error(`the playground is not built (no index.html in ${[...new Set(tried)].join(' or ')}); run "npm run build" at the repository root (or "npm run build -w @normkit/playground")`);
}

/** Options of `startPlaygroundServer`. */
export interface PlaygroundServerOptions {
  /** Directory to serve (default: `findPlaygroundDir()`). */
  dir?: string;
  /** Port (default 4173; 0 = any free port). */
  port?: number;
  /** Interface (default 127.0.0.1: this machine only). */
  host?: string;
  /** Send COOP/COEP so pages are cross-origin isolated (default true). */
  isolation?: boolean;
}

/** A running server. */
export interface PlaygroundServer {
  server: Server;
  url: string;
  port: number;
  dir: string;
  close(): Promise<void>;
}

/** Serve `dir` as static files: GET and HEAD only, nothing outside `dir`, index.html for directories. */
export async function startPlaygroundServer(o: PlaygroundServerOptions = {}): Promise<PlaygroundServer> {
  const dir = resolve(o.dir ?? findPlaygroundDir());
  const isolation = o.isolation ?? true;
  const host = o.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    void (async () => {
      const headers: Record<string, string> = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' };
      if (isolation) {
        headers['cross-origin-opener-policy'] = 'same-origin';
        headers['cross-origin-embedder-policy'] = 'require-corp';
        headers['cross-origin-resource-policy'] = 'same-origin';
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain' }).end(`method ${req.method} not allowed\n`);
        return;
      }
      let path: string;
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      } catch {
        res.writeHead(400, { ...headers, 'content-type': 'text/plain' }).end('bad path\n');
        return;
      }
      let file = normalize(join(dir, path));
      if (file !== dir && !file.startsWith(dir + sep)) {
        res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      try {
        if (statSync(file).isDirectory()) file = join(file, 'index.html');
        const body = await readFile(file);
        res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', 'content-length': String(body.length) });
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch {
        res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
      }
    })();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port ?? 4173, host, () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    server, port, dir, url: `http://${shown}:${port}/`,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

/** The first of `names` found on PATH (an executable file), or null. */
function onPath(names: string[]): string | null {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    for (const n of names) {
      const p = join(d, n);
      try {
        if (d && statSync(p).isFile()) return p;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/**
 * Try to open `url` in a browser with `open` (macOS) or `xdg-open` (elsewhere),
 * when one is on PATH. Never throws; returns what happened, in words.
 */
export function openBrowser(url: string): string {
  const opener = onPath(process.platform === 'darwin' ? ['open'] : ['xdg-open']);
  if (!opener) return `no browser opener found (${process.platform === 'darwin' ? 'open' : 'xdg-open'} is not on PATH); open ${url} yourself`;
  try {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
    return `opening ${url} with ${opener}`;
  } catch (e) {
    return `could not run ${opener}: ${(e as Error).message}; open ${url} yourself`;
  }
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535) throw new InvalidArgumentError(`expected a port number 0-65535 (0 = any free port), got "${value}"`);
  return n;
}

/** Add `normkit playground` to the program. */
export function registerPlayground(program: Command, write: (text: string) => void = (t) => void process.stdout.write(t)): Command {
  return program
    .command('playground')
    .description('serve the playground (train normalizations side by side in the browser, the Group Norm cube, a results.json viewer) on this machine')
    .option('--port <n>', 'port to listen on (0 = any free port)', portNumber, 4173)
    .option('--host <host>', 'interface to listen on (0.0.0.0 to reach it from other machines)', '127.0.0.1')
    .option('--open', 'open it in the default browser (xdg-open or open, when present)')
    .option('--no-isolation', 'serve without cross-origin isolation headers (the page then uses one kernel thread per worker)')
    .option('--dir <dir>', 'serve this built playground directory instead (default: packages/playground/dist/web)')
    .action(async (o: { port: number; host: string; open?: boolean; isolation: boolean; dir?: string }) => {
      const s = await startPlaygroundServer({ port: o.port, host: o.host, isolation: o.isolation, dir: o.dir ? findPlaygroundDir(o.dir) : undefined });
      write(`normkit playground: ${s.url}\n(serving ${s.dir}${o.isolation ? ', cross-origin isolated' : ''}; Ctrl+C to stop)\n`);
      if (o.open) write(`${openBrowser(s.url)}\n`);
      const stop = () => void s.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
