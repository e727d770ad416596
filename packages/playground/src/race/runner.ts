/**
 * The page's side of a race: one Web Worker per racer (module workers,
 * ../worker/race-worker.ts), or, where workers are unavailable or turned
 * off (`?workers=0`), the same loop on the page's thread in short slices.
 * Collects every step record; the view redraws from `racers`.
 *
 * Threads: each racer is its own thread already. On a cross-origin isolated
 * page (shared memory) a racer may also split its large kernels over
 * `kernelThreads` threads (nk.setThreads), when cores are left over.
 */
import type { NormName, RaceConfig } from './config.js';
import type { RacerInfo, Snapshot, StepRecord } from './trainer.js';
import type { FromWorker, RacerState, ToWorker } from '../worker/protocol.js';
import { createLoop } from '../worker/loop.js';

/** What the page knows about one racer. */
export interface RacerView {
  norm: NormName;
  info: RacerInfo | null;
  state: RacerState;
  error: string | null;
  losses: number[];
  batchAcc: number[];
  snapshots: (Snapshot & { step: number })[];
  /** Training milliseconds (in the racer's thread) and the kernel threads it uses. */
  trainMs: number;
  threads: number;
  backend: string;
}

interface Channel {
  post(m: ToWorker): void;
  close(): void;
}

export interface RaceOptions {
  cfg: RaceConfig;
  /** digits.bin bytes for the digits task (copied to each racer). */
  digits: ArrayBuffer | null;
  useWorkers: boolean;
  onUpdate: () => void;
}

/** Kernel threads per racer: 1 unless the page is cross-origin isolated and cores are left over (at most 2). */
export function kernelThreads(racers: number): number {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  if (!g.crossOriginIsolated) return 1;
  const cores = g.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(2, Math.floor(cores / Math.max(1, racers))));
}

export class Race {
  readonly racers: RacerView[];
  readonly mode: 'workers' | 'main thread';
  private readonly channels: Channel[] = [];

  constructor(private readonly o: RaceOptions) {
    const canWork = o.useWorkers && typeof Worker !== 'undefined';
    this.mode = canWork ? 'workers' : 'main thread';
    const threads = canWork ? kernelThreads(o.cfg.norms.length) : 1;
    this.racers = o.cfg.norms.map((norm) => ({ norm, info: null, state: 'loading', error: null, losses: [], batchAcc: [], snapshots: [], trainMs: 0, threads: 1, backend: '' }));
    this.racers.forEach((r, i) => {
      const onMessage = (m: FromWorker) => this.receive(r, m);
      const ch = canWork ? this.workerChannel(onMessage, i) : this.inlineChannel(onMessage);
      this.channels.push(ch);
      ch.post({ type: 'init', cfg: o.cfg, norm: r.norm, digits: o.digits ? o.digits.slice(0) : null, threads });
    });
  }

  private workerChannel(onMessage: (m: FromWorker) => void, i: number): Channel {
    const w = new Worker(new URL('../worker/race-worker.ts', import.meta.url), { type: 'module', name: `racer-${i}` });
    w.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
    w.onerror = (e) => onMessage({ type: 'error', message: `worker failed: ${e.message || 'could not load'}` });
    return { post: (m) => w.postMessage(m), close: () => w.terminate() };
  }

  private inlineChannel(onMessage: (m: FromWorker) => void): Channel {
    let closed = false;
    const handle = createLoop((m) => { if (!closed) onMessage(m); }, {
      // short slices keep the page responsive; racers take turns through the event loop
      sliceMs: 12,
      yieldNow: () => new Promise((r) => setTimeout(r, 0)),
    });
    return {
      post: (m) => void handle(m), // the loop orders messages after init itself
      close: () => { closed = true; void handle({ type: 'pause' }); },
    };
  }

  private receive(r: RacerView, m: FromWorker): void {
    switch (m.type) {
      case 'ready':
        r.info = m.info;
        r.threads = m.threads;
        r.backend = m.backend;
        break;
      case 'records':
        for (const rec of m.records as StepRecord[]) {
          r.losses.push(rec.loss);
          r.batchAcc.push(rec.batchAcc);
          if (rec.snapshot) r.snapshots.push({ ...rec.snapshot, step: rec.step });
        }
        r.trainMs = m.ms;
        break;
      case 'state':
        r.state = m.state;
        if (m.ms !== undefined) r.trainMs = m.ms;
        break;
      case 'error':
        r.state = 'error';
        r.error = m.message;
        break;
    }
    this.o.onUpdate();
  }

  run(): void {
    for (const c of this.channels) c.post({ type: 'run' });
  }

  pause(): void {
    for (const c of this.channels) c.post({ type: 'pause' });
  }

  step(n = 1): void {
    for (const c of this.channels) c.post({ type: 'step', n });
  }

  get running(): boolean {
    return this.racers.some((r) => r.state === 'running');
  }

  get finished(): boolean {
    return this.racers.every((r) => r.state === 'done' || r.state === 'diverged' || r.state === 'error');
  }

  dispose(): void {
    for (const c of this.channels) c.close();
    this.channels.length = 0;
  }
}
