/**
 * Replica worker threads that outlive one `DataParallel`: a `WorkerPool`
 * hands its idle workers to the next `DataParallel.create({ pool })`, which
 * builds its replicas in them instead of starting new threads.
 *
 * Why: a fresh worker is a fresh JavaScript engine. It loads the library and
 * compiles its hot code again (V8's optimizing compiler, per thread), which
 * costs more than a few hundred small training steps themselves: the lab's
 * synchronization experiment (12 runs of 504 steps, 4 workers of 2 images
 * each, on 2 cores) took 36 s and 61 s of CPU with fresh workers per run, and
 * 18-22 s and 30-35 s of CPU with one pool per lab thread
 * (`/usr/bin/time normkit why --only synchronization`, docs/BENCHMARKS.md).
 * Training several models one after another (seeds, variants, a sweep) in
 * the same pool pays the compilation once.
 *
 * ```ts
 * const pool = new nk.parallel.WorkerPool();
 * for (const seed of [1, 2, 3]) {
 *   const dp = await nk.parallel.DataParallel.create({ replica, options: { seed }, workers: 4, pool });
 *   // ... train ...
 *   await dp.close(); // its 4 workers go back to the pool, warm
 * }
 * await pool.close(); // stops the idle workers
 * ```
 *
 * A worker goes back to the pool only from a `DataParallel` closed between
 * steps; after a failure, or a close during a step, its workers are stopped
 * (a replica may be stuck in a collective) and the pool starts new ones when
 * asked. In Node, idle pooled workers do not keep the process alive.
 */

/** One replica thread, seen from the main thread. */
export interface WorkerHandle {
  post(m: unknown): void;
  /** Stop the worker; resolves once its thread has exited (Node) or at once (browsers end it synchronously). */
  terminate(): Promise<void>;
  /** Where this worker's messages and crash go from now on (replaced when it moves to another DataParallel). */
  listen(onMessage: (m: unknown) => void, onError: (e: Error) => void): void;
  /** Node: whether this worker keeps the process alive (idle pooled workers do not); a no-op in browsers. */
  ref(keepAlive: boolean): void;
}

/** True in Node (worker threads), false in browsers (module Web Workers). */
export const isNode = (): boolean => !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;

/** Start one replica worker (`worker.ts`); it waits for an init message. */
async function spawnWorker(): Promise<WorkerHandle> {
  const url = new URL('./worker.js', import.meta.url);
  let onMessage: (m: unknown) => void = () => {};
  let onError: (e: Error) => void = () => {};
  if (isNode()) {
    const wt = await import('node:worker_threads');
    const w = new wt.Worker(url);
    let exited = false;
    const exit = new Promise<void>((resolve) => w.once('exit', () => { exited = true; resolve(); }));
    w.on('message', (m: unknown) => onMessage(m));
    w.on('error', (e: Error) => onError(e));
    return {
      post: (m) => w.postMessage(m),
      terminate: () => (exited ? Promise.resolve() : w.terminate().then(() => exit)),
      listen: (m, e) => { onMessage = m; onError = e; },
      ref: (keepAlive) => (keepAlive ? w.ref() : w.unref()),
    };
  }
  const W = (globalThis as unknown as { Worker?: new (u: URL, o: { type: 'module' }) => Worker }).Worker;
  if (!W) throw new Error('DataParallel needs Web Workers, which this environment lacks');
  const w = new W(url, { type: 'module' });
  w.onmessage = (e: MessageEvent) => onMessage(e.data);
  w.onerror = (e: ErrorEvent) => onError(new Error(e.message || 'worker failed to load'));
  return {
    post: (m) => w.postMessage(m),
    terminate: () => { w.terminate(); return Promise.resolve(); },
    listen: (m, e) => { onMessage = m; onError = e; },
    ref: () => {},
  };
}

/**
 * Replica workers kept between `DataParallel`s (pass it as
 * `DataParallel.create({ pool })`). Workers are started on demand; `close()`
 * stops the idle ones, and workers still held by an open DataParallel stop
 * when it closes.
 */
export class WorkerPool {
  private readonly idle: WorkerHandle[] = [];
  private isClosed = false;
  private started = 0;

  /** Workers waiting for the next DataParallel. */
  get idleWorkers(): number {
    return this.idle.length;
  }

  /** Workers this pool has started so far (a reused worker counts once). */
  get startedWorkers(): number {
    return this.started;
  }

  /** True once `close()` ran. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * `n` workers for a DataParallel (`DataParallel.create` calls it): idle
   * ones first (most recently used first), new ones for the rest. They keep
   * the process alive until released. Rejects on a closed pool.
   */
  async acquire(n: number): Promise<WorkerHandle[]> {
    if (this.isClosed) throw new Error('WorkerPool is closed: create a new pool, or leave the pool option out');
    const taken = this.idle.splice(Math.max(0, this.idle.length - n), n).reverse();
    taken.forEach((h) => h.ref(true));
    const fresh: WorkerHandle[] = [];
    try {
      for (let k = taken.length; k < n; k++) {
        fresh.push(await spawnWorker());
        this.started++;
      }
    } catch (e) {
      await Promise.all(fresh.map((h) => h.terminate()));
      await this.release(taken);
      throw e;
    }
    return [...taken, ...fresh];
  }

  /**
   * Take back workers that finished their work cleanly (no step in flight;
   * `DataParallel.close` calls it):
   * they wait, without keeping the process alive, for the next acquire. On a
   * closed pool they are stopped instead; resolves once they have exited.
   */
  release(handles: WorkerHandle[]): Promise<void> {
    if (this.isClosed) return Promise.all(handles.map((h) => h.terminate())).then(() => undefined);
    for (const h of handles) {
      h.listen(() => {}, () => this.drop(h));
      h.ref(false);
      this.idle.push(h);
    }
    return Promise.resolve();
  }

  /** An idle worker that crashed leaves the pool. */
  private drop(h: WorkerHandle): void {
    const i = this.idle.indexOf(h);
    if (i >= 0) this.idle.splice(i, 1);
    void h.terminate();
  }

  /** Stop the idle workers (idempotent); resolves once they have exited. */
  async close(): Promise<void> {
    this.isClosed = true;
    const all = this.idle.splice(0);
    await Promise.all(all.map((h) => h.terminate()));
  }
}
