/**
 * A pool of worker threads (src/worker.ts) that execute runs, shared by the
 * local runner (src/runner.ts) and the queue worker (src/queue/worker.ts).
 * Threads start lazily, up to `size`; each executes one run at a time and then
 * takes the next waiting one (first come, first served). A thread that dies
 * (uncaught error, out of memory) fails only its own run, as an `error`
 * result, and a fresh thread takes its place.
 */
import { Worker } from 'node:worker_threads';
import type { StoredRun } from './store.js';
import type { RunRequest } from './worker.js';

/** How a run handed to the pool ended. */
export type ThreadReply =
  /** The run finished (ok, diverged or error; a crashed thread gives an error result). */
  | { type: 'done'; result: StoredRun }
  /** The run could not start: unknown experiment, or the registry failed to load in the thread. */
  | { type: 'fatal'; error: string }
  /** The pool was terminated before the run finished; nothing was stored. */
  | { type: 'cancelled' };

/** Callbacks of one run. */
export interface RunHooks {
  /** Called when a thread takes the run (it may first wait for a free one). */
  onStart?: () => void;
  /** Fraction done (0..1), as the experiment reports it, at most every 200 ms. */
  onProgress?: (fraction: number) => void;
}

/** An `error` result for a request that produced none (crashed thread). */
export function errorResult(req: Omit<RunRequest, 'type'>, error: string): StoredRun {
  return { id: req.spec.id, seed: req.spec.seed, config: req.spec.config, experiment: req.experiment, status: 'error', error, metrics: {}, wallMs: 0 };
}

export class ThreadPool {
  private readonly idle: Worker[] = [];
  private readonly waiting: ((w: Worker | null) => void)[] = [];
  private readonly live = new Set<Worker>();
  /** Settles the run in flight on each thread when the pool is terminated. */
  private readonly cancel = new Map<Worker, () => void>();
  private terminated = false;

  /** `size`: the most threads running at once (a positive integer). */
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`thread pool size must be a positive integer, got ${size}`);
  }

  /** Execute one run on the next free thread. Never rejects. */
  async run(req: Omit<RunRequest, 'type'>, hooks: RunHooks = {}): Promise<ThreadReply> {
    const w = await this.acquire();
    if (!w) return { type: 'cancelled' };
    // A thread keeps the process alive only while it computes (see spawn).
    w.ref();
    hooks.onStart?.();
    return new Promise<ThreadReply>((resolve) => {
      const settle = (reply: ThreadReply, healthy: boolean) => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        this.cancel.delete(w);
        w.unref();
        if (healthy) this.release(w);
        else this.replace(w);
        resolve(reply);
      };
      const onMessage = (msg: { type: string; fraction?: number; result?: StoredRun; error?: string }) => {
        if (msg.type === 'progress') hooks.onProgress?.(msg.fraction ?? 0);
        else if (msg.type === 'done' && msg.result) settle({ type: 'done', result: msg.result }, true);
        else if (msg.type === 'fatal') settle({ type: 'fatal', error: msg.error ?? 'worker thread failed' }, true);
      };
      const onError = (e: Error) => settle({ type: 'done', result: errorResult(req, `worker crashed: ${e.message}`) }, false);
      // process.exit() inside a run ends the thread without an 'error' event.
      const onExit = (code: number) => settle({ type: 'done', result: errorResult(req, `worker thread exited with code ${code} during the run`) }, false);
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      this.cancel.set(w, () => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        resolve({ type: 'cancelled' });
      });
      const msg: RunRequest = { type: 'run', ...req };
      w.postMessage(msg);
    });
  }

  /** Stop every thread at once; runs in flight and waiting resolve as `cancelled`. */
  async terminate(): Promise<void> {
    if (this.terminated) return;
    this.terminated = true;
    for (const c of [...this.cancel.values()]) c();
    this.cancel.clear();
    for (const wake of this.waiting.splice(0)) wake(null);
    const all = [...this.live];
    this.live.clear();
    this.idle.length = 0;
    await Promise.all(all.map((w) => w.terminate()));
  }

  private acquire(): Promise<Worker | null> {
    if (this.terminated) return Promise.resolve(null);
    const w = this.idle.pop();
    if (w) return Promise.resolve(w);
    if (this.live.size < this.size) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(w: Worker): void {
    if (this.terminated) return;
    const next = this.waiting.shift();
    if (next) next(w);
    else this.idle.push(w);
  }

  /** A crashed thread: drop it, and start a fresh one for whoever waits. */
  private replace(w: Worker): void {
    this.live.delete(w);
    void w.terminate();
    if (this.terminated) return;
    const next = this.waiting.shift();
    if (next) next(this.spawn());
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./worker.js', import.meta.url));
    // An idle thread that dies is simply dropped; one in a run is handled by run().
    const drop = () => {
      if (this.cancel.has(w)) return;
      this.live.delete(w);
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
    };
    w.on('error', drop);
    w.on('exit', drop);
    // Idle threads must not keep a finished process alive.
    w.unref();
    this.live.add(w);
    return w;
  }
}
