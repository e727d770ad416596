/**
 * `normkit worker --queue redis://...`: takes runs from the BullMQ queue and
 * executes them in this machine's worker threads (src/threads.ts), as many at
 * once as `jobs`. Start as many workers, on as many machines, as you like.
 *
 * - Exactly one worker holds a job at a time: BullMQ locks it for `lockMs`
 *   and the worker renews the lock from its main thread (the runs compute in
 *   worker threads, so a long run never blocks the renewal). A worker that
 *   dies (SIGKILL, lost machine) stops renewing; another worker's stalled-job
 *   check (every `lockMs`) puts the job back in the queue and someone runs it
 *   again. A job that stalls twice is failed and the coordinator records an
 *   error result (a run that kills its worker every time must not loop forever).
 * - A run that throws is an `error` result like in a local study (the job
 *   completes; no retry); a job for an experiment this worker does not know
 *   fails at once with that name in the message (no retry either).
 * - Versions: results of different normkit versions must not be mixed. A
 *   worker whose library or lab version differs from the coordinator's
 *   refuses at start (the coordinator's claim in Redis names its versions),
 *   and a job of another version that reaches it anyway goes back to the
 *   queue untouched while this worker stops with an error that names both.
 * - SIGINT/SIGTERM: no new job is taken, the runs in flight finish and are
 *   delivered, then the worker exits (Kubernetes' graceful stop); a second
 *   signal exits at once (those runs are retried by other workers).
 * - Each result carries `worker`: host, pid, backend and versions.
 */
import { availableParallelism, hostname } from 'node:os';
import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { BackendName } from 'normkit';
import { describe, fmtMs } from '../runner.js';
import type { RunOrigin, StoredRun } from '../store.js';
import { ThreadPool } from '../threads.js';
import { connectionOptions, parseQueueUrl, QueueUnreachableError, QUEUE_NAME, reconnectMs, STUDY_KEY } from './connection.js';
import { badRunJob, fmtVersions, versions, type RunJob, type StudyClaim, type Versions } from './protocol.js';

/** Options of `runQueueWorker` (the flags of `normkit worker`). */
export interface QueueWorkerOptions {
  /** `redis://HOST:PORT[/DB]`. */
  queue: string;
  /** Runs computed at once, one worker thread each (default 1). */
  jobs?: number;
  /** Kernel backend of every run this worker executes (default: the library's, WebAssembly where it loads). */
  backend?: BackendName;
  /** Lock duration of a job (ms, default 30 000): how long a silent worker keeps its job before another takes it over. */
  lockMs?: number;
  /** Where progress lines go (default: stderr). */
  log?: (line: string) => void;
  /** Handle SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
}

/** Raised when this worker's versions differ from the study's. */
export class VersionMismatchError extends Error {
  constructor(mine: Versions, theirs: Versions, where: string) {
    super(
      `this worker runs ${fmtVersions(mine)}, but ${where} ${fmtVersions(theirs)}: results of different versions must not be mixed. ` +
        `Install the study's version on this machine (npm install @normkit/lab@${theirs.lab}) and start the worker again.`,
    );
    this.name = 'VersionMismatchError';
  }
}

/** Default lock duration (ms): BullMQ's own default. */
export const DEFAULT_LOCK_MS = 30_000;

/**
 * Run a queue worker until it is stopped by a signal (resolves) or cannot go
 * on (rejects: Redis unreachable or lost, versions differ).
 */
export async function runQueueWorker(opts: QueueWorkerOptions): Promise<{ executed: number }> {
  const target = parseQueueUrl(opts.queue);
  const jobs = opts.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`jobs must be a positive integer, got ${jobs}`);
  const lockMs = opts.lockMs ?? DEFAULT_LOCK_MS;
  if (!Number.isInteger(lockMs) || lockMs < 100) throw new Error(`lock duration must be an integer of at least 100 ms, got ${lockMs}`);
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const mine = versions();
  const retryMs = reconnectMs(60_000);
  const name = `${hostname()}:${process.pid}`;
  const origin: RunOrigin = { id: name, host: hostname(), pid: process.pid, backend: opts.backend ?? 'default', threads: jobs, cpus: availableParallelism(), ...mine };

  // Everything that ends the worker with an error settles `fatal`.
  let lastError: string | undefined;
  let connected = false;
  let fail: (e: Error) => void = () => {};
  const fatal = new Promise<never>((_, reject) => (fail = reject));
  fatal.catch(() => {});
  const conn = connectionOptions(target, retryMs, () => fail(new QueueUnreachableError(target, connected ? 'lost' : 'connect', retryMs, lastError)));
  const onError = (e: Error) => (lastError = e.message);

  const queue = new Queue<RunJob>(QUEUE_NAME, { connection: conn });
  queue.on('error', onError);
  let worker: Worker<RunJob, StoredRun> | null = null;
  const pool = new ThreadPool(jobs);
  const shutdown = async (force: boolean) => {
    // A connection that never came up must settle before close(): BullMQ reports its failure as an
    // 'error' event, and close() removes the listeners that would catch it.
    if (!connected) await Promise.race([queue.waitUntilReady().catch(() => {}), new Promise((r) => setTimeout(r, 2000).unref())]);
    await worker?.close(force).catch(() => {});
    await pool.terminate();
    await queue.close().catch(() => {});
  };

  let executed = 0;
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(130);
    stopping = true;
    log(`normkit worker ${name}: stopping; the runs in flight finish first (signal again to stop at once: other workers will rerun them)`);
    void worker?.close();
  };
  const signals = opts.handleSignals ?? true;
  try {
    await Promise.race([queue.waitUntilReady(), fatal]);
    connected = true;
    // Refuse before taking any job when the study in the queue is of another version.
    const claimText = await Promise.race([(await queue.client).get(STUDY_KEY), fatal]);
    if (claimText) {
      const claim = JSON.parse(claimText) as StudyClaim;
      if (claim.normkit !== mine.normkit || claim.lab !== mine.lab) throw new VersionMismatchError(mine, claim, `the study in ${target.display} (coordinator ${claim.host}:${claim.pid}) was planned with`);
    }

    let refused: Error | null = null;
    const processor = async (job: Job<RunJob, StoredRun>, token?: string): Promise<StoredRun> => {
      const bad = badRunJob(job.data);
      if (bad) throw new UnrecoverableError(`job "${job.id}" is not a normkit run: ${bad}`);
      const d = job.data;
      if (d.normkit !== mine.normkit || d.lab !== mine.lab) {
        // Leave the job to a worker of the right version, and stop taking others.
        await job.moveToWait(token);
        refused ??= new VersionMismatchError(mine, d, `job "${job.id}" was queued by`);
        void worker!.close();
        throw new WaitingError();
      }
      let last = 0;
      const reply = await pool.run(
        { experiment: d.experiment, spec: d.spec, profile: d.profile, ...(opts.backend ? { backend: opts.backend } : {}) },
        {
          onProgress: (f) => {
            // One Redis write per second at most: the coordinator's bar does not need more.
            const now = Date.now();
            if (now - last < 1000) return;
            last = now;
            job.updateProgress(Math.round(f * 1000) / 1000).catch(() => {});
          },
        },
      );
      if (reply.type === 'fatal') throw new UnrecoverableError(`worker ${name}: ${reply.error}`);
      if (reply.type === 'cancelled') throw new Error(`worker ${name} stopped during the run`);
      executed++;
      log(`${name}: ${d.experiment} ${d.spec.id} ${describe(reply.result)} (${fmtMs(reply.result.wallMs)})`);
      return { ...reply.result, worker: origin };
    };

    worker = new Worker<RunJob, StoredRun>(QUEUE_NAME, processor, {
      connection: conn,
      name,
      concurrency: jobs,
      autorun: false,
      lockDuration: lockMs,
      // Check for jobs whose worker went silent as often as a lock can expire.
      stalledInterval: lockMs,
      maxStalledCount: 1,
    });
    worker.on('error', onError);
    worker.on('failed', (job, err) => {
      if (job) log(`${name}: job "${job.id}" failed: ${err.message}`);
    });
    if (signals) {
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    }
    log(`normkit worker ${name}: ${jobs} thread(s), backend ${opts.backend ?? 'default'}, ${fmtVersions(mine)}, waiting for runs on ${target.display}`);
    await Promise.race([worker.run(), fatal]);
    if (refused) throw refused;
    return { executed };
  } catch (e) {
    await shutdown(true);
    throw e;
  } finally {
    if (signals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    await shutdown(false);
  }
}
