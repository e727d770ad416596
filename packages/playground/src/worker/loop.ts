/**
 * The training loop of one racer, shared by the Web Worker and the page's
 * one-thread fallback: steps in slices of about `sliceMs`, yielding to the
 * event loop between slices (so pause/step messages get through and the
 * library's wasm memory can be reclaimed), batching records for `emit`.
 */
import * as nk from 'normkit';
import { Racer } from '../race/trainer.js';
import { decodeDigits } from '../race/digits.js';
import type { FromWorker, ToWorker } from './protocol.js';

export interface LoopOptions {
  /** Milliseconds of training per slice before yielding. */
  sliceMs: number;
  /** Yield: resolves when other work may have run (setTimeout 0 in a worker, a frame on the page). */
  yieldNow: () => Promise<void>;
}

/** A message handler driving one racer; `emit` posts to the page. */
export function createLoop(emit: (m: FromWorker) => void, o: LoopOptions): (m: ToWorker) => Promise<void> {
  let racer: Racer | null = null;
  let running = false;
  let budget = 0; // steps left for a 'step' request (Infinity while running)
  let loopActive = false;
  let trainMs = 0;

  const finish = (state: 'done' | 'diverged' | 'paused') => {
    running = false;
    budget = 0;
    emit({ type: 'state', state, ms: trainMs });
  };

  async function loop(): Promise<void> {
    if (loopActive) return;
    loopActive = true;
    try {
      while (racer && budget > 0 && !racer.done) {
        const t0 = performance.now();
        const batch = [];
        while (budget > 0 && !racer.done && performance.now() - t0 < o.sliceMs) {
          const rec = racer.step();
          batch.push(rec);
          budget--;
          if (!Number.isFinite(rec.loss)) {
            trainMs += performance.now() - t0;
            emit({ type: 'records', records: batch, ms: trainMs });
            finish('diverged');
            return;
          }
        }
        trainMs += performance.now() - t0;
        emit({ type: 'records', records: batch, ms: trainMs });
        await o.yieldNow();
      }
      if (racer?.done) finish('done');
      else if (racer && budget === 0) finish('paused');
    } finally {
      loopActive = false;
    }
  }

  /** Settles when the last `init` has (messages that arrive meanwhile wait for it). */
  let initialized: Promise<void> = Promise.resolve();

  const fail = (e: unknown) => {
    running = false;
    budget = 0;
    emit({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  };

  return async (m) => {
    if (m.type === 'init') {
      initialized = (async () => {
        await nk.initWasm();
        if (m.threads > 1) await nk.setThreads(m.threads).catch(() => undefined);
        racer = new Racer(m.cfg, m.norm, m.digits ? decodeDigits(m.digits) : undefined);
        trainMs = 0;
        emit({ type: 'ready', info: racer.info, threads: nk.getThreads(), backend: nk.getBackend() });
        emit({ type: 'state', state: 'ready' });
      })().catch(fail);
      return initialized;
    }
    await initialized;
    try {
      switch (m.type) {
        case 'run':
          if (!racer || racer.done) return;
          running = true;
          budget = Infinity;
          emit({ type: 'state', state: 'running' });
          await loop();
          return;
        case 'pause':
          if (running) budget = 0;
          return;
        case 'step':
          if (!racer || racer.done) return;
          budget = Math.max(budget, m.n);
          running = true;
          emit({ type: 'state', state: 'running' });
          await loop();
          return;
      }
    } catch (e) {
      fail(e);
    }
  };
}
