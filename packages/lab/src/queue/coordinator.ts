/**
 * `normkit why|run ... --queue redis://...`: the coordinator of a study run by
 * queue workers (`normkit worker`, src/queue/worker.ts) on any number of
 * machines. It plans the runs exactly as a local study does, enqueues those
 * not already stored in `OUT/runs/` as BullMQ jobs, and collects the results
 * as workers deliver them, writing each one atomically into the same
 * `OUT/runs/` layout; the report is then built as for a local study.
 *
 * - Results travel through BullMQ's completed (and failed) job sets, not
 *   through events: the coordinator polls them, writes the run file, and
 *   only then removes the job. A coordinator that stops (Ctrl-C, crash) loses
 *   nothing: the workers go on, their results wait in Redis, and the same
 *   command started again re-plans, skips what `OUT/runs/` holds, re-adds
 *   what is missing (job ids make that idempotent: see protocol.ts) and
 *   collects the rest.
 * - Exactly once: a run file is written only for a run not yet stored, so a
 *   duplicate completion (a job that ran twice after its worker stalled, or a
 *   completed job seen again after a restart) never writes twice.
 * - A job that failed (unknown experiment, stalled twice, malformed) is stored
 *   as an `error` run with the reason, like a run that throws; as in a local
 *   study, error runs are retried by the next invocation, never in a loop.
 * - One study per queue (Redis database) at a time: the coordinator holds a
 *   claim in Redis (renewed every few seconds, expiring 15 s after it stops
 *   renewing). A second coordinator with another result directory or on
 *   another host is refused; the same command restarted takes over at once.
 *   Taking the claim clears waiting jobs of any other study.
 * - Redis unreachable at start or lost for longer than the reconnect window
 *   (10 s, NORMKIT_QUEUE_RECONNECT_MS): an error naming the URL; every run
 *   collected before is on disk.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Queue, type Job } from 'bullmq';
import cliProgress from 'cli-progress';
import type { Experiment, Profile } from '../experiment.js';
import { loadExperiments } from '../registry.js';
import { describe, fmtMs, planRuns, type StudyOutcome, type Task } from '../runner.js';
import { isDone, removeStaleTemps, readRun, readStudy, writeRun, writeStudy, type StoredRun, type StudyMeta } from '../store.js';
import { connectionOptions, parseQueueUrl, QueueUnreachableError, QUEUE_NAME, reconnectMs, STUDY_KEY } from './connection.js';
import { fmtVersions, jobId, versions, type RunJob, type StudyClaim } from './protocol.js';
import { Interrupt } from '../interrupt.js';

/** Options of `runQueuedStudy` (those of a local study, less threads and backend, which each worker chooses). */
export interface QueuedStudyOptions {
  /** `redis://HOST:PORT[/DB]`. */
  queue: string;
  profile: Profile;
  /** Output directory (created if needed). */
  out: string;
  /** Seeds per configuration (undefined: each experiment's profile default). */
  seeds?: number;
  /** The experiments to run (already selected). */
  experiments: Experiment[];
  /** Every registered experiment, to check that workers can find the selected ones by name (default: `loadExperiments()`). */
  registered?: Experiment[];
  /** Progress display: 'auto' (bar on a TTY, lines otherwise), 'bar', 'lines' or 'none'. */
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  /** Where progress lines go (default: stderr). */
  log?: (line: string) => void;
  /** Handle SIGINT (default true). */
  handleSigint?: boolean;
  /** How often to look for delivered results (ms, default 200). */
  pollMs?: number;
}

/** Runs stored per worker (`host:pid`), this invocation. */
export interface QueuedStudyOutcome extends StudyOutcome {
  workers: Map<string, number>;
}

/** How long a claim lives without renewal (ms), and how often it is renewed. */
const CLAIM_TTL_MS = 15_000;
const CLAIM_RENEW_MS = 5_000;

/** An error result for a job the workers could not run. */
function errorRun(task: Task, error: string): StoredRun {
  return { id: task.spec.id, seed: task.spec.seed, config: task.spec.config, experiment: task.exp.name, status: 'error', error, metrics: {}, wallMs: 0 };
}

/** What a completed job returned, checked against the run it was for. */
function resultOf(job: Job<RunJob, StoredRun>, task: Task): StoredRun {
  const r = job.returnvalue;
  if (!r || typeof r !== 'object' || r.id !== task.spec.id || r.experiment !== task.exp.name || r.seed !== task.spec.seed) {
    return errorRun(task, `worker ${job.processedBy ?? '?'} returned ${JSON.stringify(r)?.slice(0, 200)} for job "${job.id}", not a result of this run`);
  }
  return r;
}

/** The worker summary of study.json, from the stored runs of the plan (all invocations). */
function workerSummary(out: string, tasks: Task[]): NonNullable<StudyMeta['workers']> {
  const by = new Map<string, NonNullable<StudyMeta['workers']>[number]>();
  for (const t of tasks) {
    const w = readRun(out, t.exp.name, t.spec.id)?.worker;
    if (!w) continue;
    const s = by.get(w.id) ?? { id: w.id, host: w.host, backend: w.backend, normkit: w.normkit, lab: w.lab, threads: w.threads, cpus: w.cpus, runs: 0 };
    s.runs++;
    by.set(w.id, s);
  }
  return [...by.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** `host:1 12, host:2 9`. */
function fmtWorkers(counts: Map<string, number>): string {
  return [...counts].map(([w, n]) => `${w} ${n}`).join(', ') || '-';
}

/** Run a study through the queue; resolves when every run is stored, or early on SIGINT. */
export async function runQueuedStudy(opts: QueuedStudyOptions): Promise<QueuedStudyOutcome> {
  const t0 = performance.now();
  const target = parseQueueUrl(opts.queue);
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const pollMs = opts.pollMs ?? 200;
  const retryMs = reconnectMs(10_000);
  const mine = versions();

  // Workers find experiments by name in their registry: an unregistered one would fail every run.
  const known = new Set((opts.registered ?? (await loadExperiments())).map((e) => e.name));
  const missing = opts.experiments.filter((e) => !known.has(e.name)).map((e) => `"${e.name}"`);
  if (missing.length > 0) throw new Error(`experiment ${missing.join(', ')} is not registered (src/experiments/index.ts or NORMKIT_EXTRA_EXPERIMENTS), so queue workers cannot load it`);

  const tasks = planRuns(opts.experiments, opts.profile, opts.seeds);
  const plan = new Map(tasks.map((t) => [jobId(t.exp.name, t.spec, opts.profile, mine), t]));
  const stored = new Set([...plan].filter(([, t]) => isDone(readRun(opts.out, t.exp.name, t.spec.id), t.spec)).map(([id]) => id));
  const skipped = stored.size;

  // a previous invocation killed mid-write left a temporary file: clear it (the run is recomputed or collected again)
  removeStaleTemps(opts.out);
  const prev = readStudy(opts.out);
  const now = new Date().toISOString();
  const meta: StudyMeta = {
    profile: opts.profile,
    ...(opts.seeds !== undefined ? { seeds: opts.seeds } : {}),
    started: prev?.started ?? now,
    updated: now,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: 0,
    jobs: 0,
    wallMs: prev?.wallMs ?? 0,
    experiments: opts.experiments.map((e) => e.name),
    queue: target.display,
  };

  const mode = opts.progress === 'auto' || opts.progress === undefined ? (process.stderr.isTTY ? 'bar' : 'lines') : opts.progress;
  const workers = new Map<string, number>();
  let executed = 0;
  let failed = 0;
  let bar: cliProgress.SingleBar | null = null;

  // Connection, with one place where a lost Redis turns into an error.
  let lastError: string | undefined;
  let connected = false;
  let fail: (e: Error) => void = () => {};
  const fatal = new Promise<never>((_, reject) => (fail = reject));
  fatal.catch(() => {});
  const conn = connectionOptions(target, retryMs, () => fail(new QueueUnreachableError(target, connected ? 'lost' : 'connect', retryMs, lastError)));
  const queue = new Queue<RunJob, StoredRun>(QUEUE_NAME, { connection: conn });
  queue.on('error', (e: Error) => (lastError = e.message));
  /** Any Redis command, failing with the reconnect error when Redis is gone for good. */
  const redis = <T>(p: Promise<T>): Promise<T> => Promise.race([p, fatal]);

  const outAbs = resolve(opts.out);
  const claim: StudyClaim = { ...mine, host: hostname(), pid: process.pid, out: outAbs, profile: opts.profile, since: now };
  let claimed = false;

  let wake: () => void = () => {};
  const interrupt = new Interrupt(opts.handleSigint ?? true, () => wake());

  /** Store what the workers delivered; remove each job once its run is on disk. */
  const collect = async () => {
    // A job whose removal failed (not a lost Redis) is looked at once per pass, not in a loop.
    const seen = new Set<string>();
    for (const state of ['completed', 'failed'] as const) {
      for (;;) {
        const page = await redis(queue.getJobs([state], 0, 199, true));
        const jobs = page.filter((j): j is Job<RunJob, StoredRun> => !!j && typeof j.id === 'string' && !seen.has(j.id));
        if (jobs.length === 0) break;
        for (const j of jobs) seen.add(j.id!);
        for (const job of jobs) {
          const id = job.id!;
          const task = plan.get(id);
          if (task && !stored.has(id)) {
            const result = state === 'completed' ? resultOf(job, task) : errorRun(task, `job failed on ${job.processedBy ?? 'a worker'}: ${job.failedReason}`);
            // A run file already complete on disk (a coordinator stopped between writing and removing the job) is not rewritten.
            if (!isDone(readRun(opts.out, task.exp.name, task.spec.id), task.spec)) {
              writeRun(opts.out, result);
              executed++;
              if (result.status === 'error') failed++;
              const w = result.worker?.id ?? job.processedBy ?? '?';
              workers.set(w, (workers.get(w) ?? 0) + 1);
              stored.add(id);
              if (bar) bar.update(stored.size, { workers: fmtWorkers(workers) });
              else if (mode === 'lines') log(`[${stored.size}/${tasks.length}] ${result.experiment} ${result.id} ${describe(result)} (${fmtMs(result.wallMs)}) on ${w} (${workers.get(w)} so far)`);
            } else {
              stored.add(id);
            }
          }
          // Runs of other studies, duplicates and collected runs alike leave the queue.
          await redis(job.remove()).catch((e: Error) => {
            if (e instanceof QueueUnreachableError) throw e;
          });
        }
      }
    }
  };

  /** Add every run not stored yet; a run whose job exists in any state is left alone (idempotent). */
  const enqueue = async () => {
    const todo = [...plan].filter(([id]) => !stored.has(id));
    for (let i = 0; i < todo.length; i += 200) {
      await redis(
        queue.addBulk(
          todo.slice(i, i + 200).map(([id, t]) => ({
            name: t.exp.name,
            data: { experiment: t.exp.name, spec: t.spec, profile: opts.profile, ...mine },
            opts: { jobId: id, attempts: 1, removeOnComplete: false, removeOnFail: false },
          })),
        ),
      );
    }
    return todo.length;
  };

  /** Take (or renew) the claim on the queue; refuse when another study holds it. */
  const takeClaim = async () => {
    const client = await redis(queue.client);
    const text = await redis(client.get(STUDY_KEY));
    if (text) {
      const other = JSON.parse(text) as StudyClaim;
      const same = other.host === claim.host && other.out === claim.out;
      if (!same) {
        throw new Error(
          `the queue ${target.display} is in use by another study: coordinator ${other.host}:${other.pid} writing to ${other.out} (${fmtVersions(other)}, profile ${other.profile}, since ${other.since}). ` +
            `Wait until it finishes (its claim expires ${CLAIM_TTL_MS / 1000} s after it stops), or give this study its own database (redis://HOST:PORT/1).`,
        );
      }
      if (!claimed) claim.since = other.since;
    }
    await redis(client.set(STUDY_KEY, JSON.stringify(claim), { PX: CLAIM_TTL_MS }));
    if (!claimed) {
      claimed = true;
      // Waiting jobs of another study (or another version) must not keep the workers busy.
      for (;;) {
        const stale = (await redis(queue.getJobs(['waiting', 'delayed', 'prioritized', 'paused'], 0, 999))).filter((j) => j?.id !== undefined && !plan.has(j.id));
        if (stale.length === 0) break;
        for (const j of stale) await redis(j.remove());
      }
    }
  };

  let outcomeError: unknown = null;
  try {
    await redis(queue.waitUntilReady());
    connected = true;
    await takeClaim();
    // The result directory is created only once the queue is reachable and this study's.
    writeStudy(opts.out, meta);
    const nWorkers = await redis(queue.getWorkersCount()).catch((e: Error) => {
      if (e instanceof QueueUnreachableError) throw e;
      return NaN;
    });
    if (mode === 'bar' && stored.size < tasks.length) {
      bar = new cliProgress.SingleBar(
        {
          format: ' {bar} {percentage}% | {value}/{total} runs | ETA {eta_formatted} | {workers}',
          hideCursor: true,
          etaBuffer: 50,
          fps: 5,
          clearOnComplete: false,
          formatTime: (t: number) => (Number.isFinite(t) && t >= 0 ? fmtMs(t * 1000) : '?'),
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(tasks.length, stored.size, { workers: '-' });
    } else if (mode !== 'none') {
      log(
        `normkit: ${tasks.length} runs (${skipped} already done in ${opts.out}), profile ${opts.profile}, through the queue ${target.display}, ` +
          `${Number.isNaN(nWorkers) ? 'an unknown number of' : nWorkers} worker(s) connected`,
      );
    }
    // Results delivered while no coordinator was looking come first; then what is missing is queued.
    await collect();
    await enqueue();
    let lastRenew = Date.now();
    let lastHint = Date.now();
    while (stored.size < tasks.length && !interrupt.interrupted) {
      await collect();
      if (stored.size >= tasks.length) break;
      if (Date.now() - lastRenew >= CLAIM_RENEW_MS) {
        lastRenew = Date.now();
        await takeClaim();
        // Jobs lost by Redis (restarted without persistence) are queued again; existing ones are untouched.
        await enqueue();
        if (mode === 'lines' && Date.now() - lastHint >= 30_000 && (await redis(queue.getWorkersCount()).catch(() => 1)) === 0) {
          lastHint = Date.now();
          log(`normkit: no worker is connected to ${target.display}; start some with: normkit worker --queue ${target.display}`);
        }
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, pollMs);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  } catch (e) {
    outcomeError = e;
  } finally {
    interrupt.dispose();
    bar?.stop();
    if (claimed) {
      const summary = workerSummary(opts.out, tasks);
      // The report's "N CPUs, M worker(s)": CPUs of the distinct machines, threads of all workers.
      const cpus = [...new Map(summary.map((w) => [w.host, w.cpus])).values()].reduce((a, b) => a + b, 0);
      const threads = summary.reduce((a, w) => a + w.threads, 0);
      writeStudy(opts.out, { ...meta, wallMs: meta.wallMs + (performance.now() - t0), cpus, jobs: threads, ...(summary.length > 0 ? { workers: summary } : {}) });
    }
    // Give the queue back when this study is done or stopped; never wait long on a dead Redis.
    const release = async () => {
      // A connection that never came up must settle before close(): BullMQ reports its failure as an
      // 'error' event, and close() removes the listeners that would catch it.
      if (!connected) await queue.waitUntilReady().catch(() => {});
      if (claimed && outcomeError === null) {
        const client = await queue.client;
        const text = await client.get(STUDY_KEY);
        if (text && (JSON.parse(text) as StudyClaim).pid === process.pid) await client.del(STUDY_KEY);
      }
      await queue.close();
    };
    await Promise.race([release().catch(() => {}), new Promise((r) => setTimeout(r, 2000).unref())]);
  }
  if (outcomeError !== null) {
    if (outcomeError instanceof QueueUnreachableError && outcomeError.phase === 'lost') {
      outcomeError.message += `; ${stored.size} of ${tasks.length} runs are stored in ${opts.out} (nothing finished is lost): run the same command again when Redis is back`;
    }
    throw outcomeError;
  }
  const wallMs = performance.now() - t0;
  if (mode !== 'none') {
    if (interrupt.interrupted) log(`normkit: interrupted; ${stored.size} of ${tasks.length} runs are stored in ${opts.out}. The queued runs stay in ${target.display} and the workers go on: run the same command again to collect them.`);
    else if (workers.size > 0) log(`normkit: runs stored per worker: ${fmtWorkers(workers)}`);
  }
  return { interrupted: interrupt.interrupted, total: tasks.length, skipped, executed, failed, wallMs, workers };
}
