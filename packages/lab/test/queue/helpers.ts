/**
 * Helpers of the queue tests: a real redis-server on a free loopback port
 * (persistence off, stopped at the end), `normkit worker` processes, and the
 * execution log of the `queue-slow` fixture.
 */
import { after, before } from 'node:test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BIN, ROOT } from '../lab/helpers.js';

/** The compiled queue fixture (queue-slow). */
export const SLOW = join(ROOT, 'dist', 'test', 'queue', 'fixtures', 'slow-experiments.js');

/** Whether redis-server is installed (`.ci/run` installs Debian's package when missing). */
export const HAS_REDIS = spawnSync('redis-server', ['--version']).status === 0;

/** A free TCP port on 127.0.0.1 (the kernel's choice, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  port: number;
  /** `redis://127.0.0.1:PORT/db`. */
  url: (db: number) => string;
  proc: ChildProcess;
  stop: () => Promise<void>;
}

/** Start redis-server on a free loopback port with persistence off; resolves once it accepts connections. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start on port ${port}: ${out}`)), 10_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${out}`));
    });
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    port,
    url: (db) => `redis://127.0.0.1:${port}/${db}`,
    proc,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** A running child process with its output so far. */
export interface Child {
  proc: ChildProcess;
  out: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>;
}

/** Start `node bin/normkit.js args...` (stdout and stderr together in `out`). */
export function startNormkit(args: string[], env: Record<string, string | undefined> = {}): Child {
  const merged: Record<string, string | undefined> = { ...process.env, ...env };
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  const proc = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: merged as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  proc.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, out: text })));
  return { proc, out: () => text, done };
}

/** Start a queue worker and wait until it says it is waiting for runs. */
export async function startWorker(url: string, args: string[], env: Record<string, string | undefined> = {}): Promise<Child> {
  const w = startNormkit(['worker', '--queue', url, ...args], env);
  await until(() => /waiting for runs/.test(w.out()) || w.proc.exitCode !== null, 15_000, () => `worker did not start: ${w.out()}`);
  if (w.proc.exitCode !== null) throw new Error(`worker exited with ${w.proc.exitCode}: ${w.out()}`);
  return w;
}

/** Poll `cond` every 20 ms; throws `what()` after `ms`. */
export async function until(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The `queue-slow` execution log: per run id, the pids that started and that ended it. */
export function execLog(path: string): Map<string, { starts: number[]; ends: number[] }> {
  const m = new Map<string, { starts: number[]; ends: number[] }>();
  if (!existsSync(path)) return m;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [what, id, pid] = line.split(' ');
    if (!id || (what !== 'start' && what !== 'end')) continue;
    const e = m.get(id) ?? { starts: [], ends: [] };
    (what === 'start' ? e.starts : e.ends).push(Number(pid));
    m.set(id, e);
  }
  return m;
}

/** Run ids of the coordinator's progress lines (`[k/N] EXPERIMENT ID ...`), one entry per line. */
export function storedLines(out: string, experiment: string): string[] {
  const re = new RegExp(`^\\[\\d+/\\d+\\] ${experiment} (\\S+) `, 'gm');
  return [...out.matchAll(re)].map((m) => m[1]!);
}

/**
 * The set-up of a queue test file: one redis-server started before its tests
 * and stopped after them, and `worker()` to start `normkit worker` processes
 * that are SIGKILLed after the tests if still running. `skip` says why the
 * tests cannot run (no redis-server), or false. Call once at the top level.
 */
export function queueTestFixture(): { skip: string | false; readonly redis: RedisServer; worker(url: string, args: string[], env?: Record<string, string | undefined>): Promise<Child> } {
  let redis: RedisServer | undefined;
  const children: Child[] = [];
  before(async () => {
    if (HAS_REDIS) redis = await startRedis();
  });
  after(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await redis?.stop();
  });
  return {
    skip: HAS_REDIS ? false : 'redis-server is not installed (.ci/run installs Debian\'s package)',
    get redis(): RedisServer {
      if (!redis) throw new Error('redis-server is not running (queueTestFixture: before() has not run)');
      return redis;
    },
    async worker(url, args, env = {}) {
      const w = await startWorker(url, args, env);
      children.push(w);
      return w;
    },
  };
}
