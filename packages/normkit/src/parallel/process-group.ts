/**
 * A process group over shared memory: the replicas of a `DataParallel` module
 * (one per worker) exchange float64 vectors through a SharedArrayBuffer and
 * meet at barriers built on `Atomics.wait`, as PyTorch's
 * `torch.distributed` process group does across devices. Collectives are
 * exact and deterministic: every rank sums the ranks' contributions in the
 * same fixed order (0, 1, ..., N-1), so results never depend on timing.
 *
 * Layout of the buffer: an Int32 control block [arrived, generation, abort,
 * unused, then each rank's message length], padded to 8 bytes, followed by
 * one float64 slot of `capacity` values per rank. Longer messages travel in
 * chunks of `capacity` values (two barriers each), so capacity bounds the
 * memory, not what can be exchanged. A replica that fails sets `abort` (its
 * rank + 1) and wakes everyone, so the others throw at their next wait
 * instead of waiting forever.
 *
 * This module is a leaf (no imports): SyncBatchNorm's statistics and the
 * DataParallel workers use it; the main thread never blocks on it.
 */

/** What a replica needs to exchange data with the others. */
export interface ProcessGroup {
  /** This replica's index, 0 .. worldSize - 1. */
  readonly rank: number;
  /** Number of replicas. */
  readonly worldSize: number;
  /** Block until every rank has called it. */
  barrier(): void;
  /**
   * Replace `data` on every rank by the sum over ranks of their `data`, summed
   * in rank order 0, 1, ... (identical bits on every rank). Blocks until all
   * ranks have called it; every rank must pass the same length.
   */
  allReduceSum(data: Float64Array): void;
  /** The ranks' vectors, in rank order (each rank passes `data` of the same length). */
  allGather(data: Float64Array): Float64Array[];
}

const ARRIVED = 0;
const GENERATION = 1;
const ABORT = 2;
/** Index of rank 0's message length in the control block. */
const LENGTHS = 4;

/** Bytes of the control block for `worldSize` ranks (a multiple of 8, so the float64 slots are aligned). */
function controlBytes(worldSize: number): number {
  return Math.ceil(((LENGTHS + worldSize) * 4) / 8) * 8;
}

/**
 * The shared buffer for a group of `worldSize` ranks, each with a slot of
 * `capacity` float64 values (messages longer than that travel in chunks).
 */
export function createGroupBuffer(worldSize: number, capacity: number): SharedArrayBuffer {
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new RangeError(`process group: worldSize must be a positive integer, got ${worldSize}`);
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`process group: capacity must be a positive integer, got ${capacity}`);
  return new SharedArrayBuffer(controlBytes(worldSize) + worldSize * capacity * 8);
}

/** Raised in every replica when another one failed (its own error reaches the caller). */
export class GroupAbortedError extends Error {
  constructor(readonly failedRank: number) {
    super(`process group aborted: replica ${failedRank} failed`);
    this.name = 'GroupAbortedError';
  }
}

/** A rank's view of a shared group buffer. */
export class SharedProcessGroup implements ProcessGroup {
  private readonly ctrl: Int32Array;
  private readonly slots: Float64Array;
  readonly capacity: number;
  /** Milliseconds spent in collectives (exchanging and waiting for the other ranks) since `resetWaitMs`. */
  waitMs = 0;

  /**
   * @param timeoutMs how long a barrier waits for the other ranks before
   *   throwing (a replica stuck outside the collective would otherwise hang
   *   the rest)
   */
  constructor(buffer: SharedArrayBuffer, readonly rank: number, readonly worldSize: number, private readonly timeoutMs = 120_000) {
    this.ctrl = new Int32Array(buffer, 0, LENGTHS + worldSize);
    this.capacity = (buffer.byteLength - controlBytes(worldSize)) / 8 / worldSize;
    if (!Number.isInteger(this.capacity) || this.capacity < 1) throw new RangeError(`process group: buffer of ${buffer.byteLength} bytes does not fit ${worldSize} ranks`);
    if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new RangeError(`process group: rank must be in [0, ${worldSize}), got ${rank}`);
    this.slots = new Float64Array(buffer, controlBytes(worldSize), worldSize * this.capacity);
  }

  /** Start counting `waitMs` from 0. */
  resetWaitMs(): void {
    this.waitMs = 0;
  }

  /**
   * Tell every rank that this one failed: ranks waiting at a barrier wake and
   * throw GroupAbortedError, as does every later collective. Only a barrier
   * that is still incomplete throws; one that every rank reached returns
   * (the generation counter moves only when a barrier completes), so a rank
   * that got its data reports its own error, not the abort.
   */
  abort(): void {
    Atomics.compareExchange(this.ctrl, ABORT, 0, this.rank + 1);
    Atomics.notify(this.ctrl, GENERATION);
  }

  private checkAbort(): void {
    const a = Atomics.load(this.ctrl, ABORT);
    if (a !== 0) throw new GroupAbortedError(a - 1);
  }

  /** Wait until every rank has arrived (a generation-counting barrier). */
  barrier(): void {
    this.checkAbort();
    const gen = Atomics.load(this.ctrl, GENERATION);
    if (Atomics.add(this.ctrl, ARRIVED, 1) === this.worldSize - 1) {
      Atomics.store(this.ctrl, ARRIVED, 0);
      Atomics.add(this.ctrl, GENERATION, 1);
      Atomics.notify(this.ctrl, GENERATION);
      return;
    }
    const deadline = Date.now() + this.timeoutMs;
    while (Atomics.load(this.ctrl, GENERATION) === gen) {
      // woken by abort() (or the 1 s tick that covers a notify landing just before the wait)
      this.checkAbort();
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`process group: rank ${this.rank} waited ${this.timeoutMs} ms at a barrier for the other ${this.worldSize - 1} replicas`);
      Atomics.wait(this.ctrl, GENERATION, gen, Math.min(left, 1000));
    }
  }

  /**
   * After the first barrier of a collective: every rank reads the same
   * lengths, so on a mismatch all of them throw here together (none is left
   * waiting at the next barrier).
   */
  private checkLengths(n: number, what: string): void {
    for (let r = 0; r < this.worldSize; r++) {
      const m = this.ctrl[LENGTHS + r]!;
      if (m !== n) throw new RangeError(`process group ${what}: rank ${r} passed ${m} values and rank ${this.rank} ${n}; every rank must pass the same length`);
    }
  }

  /**
   * Exchange `data` in chunks of `capacity` values: `consume(start, m)` runs
   * on every rank once all ranks have written chunk [start, start + m) into
   * their slots, and before anyone overwrites them with the next chunk.
   */
  private exchange(data: Float64Array, what: string, consume: (start: number, m: number) => void): void {
    const t0 = performance.now();
    const n = data.length;
    const cap = this.capacity;
    this.ctrl[LENGTHS + this.rank] = n; // published by the barrier's atomic operations
    for (let start = 0; ; start += cap) {
      const m = Math.min(cap, n - start);
      this.slots.set(data.subarray(start, start + m), this.rank * cap);
      this.barrier();
      if (start === 0) this.checkLengths(n, what);
      consume(start, m);
      // nobody may overwrite a slot before every rank has read them all
      this.barrier();
      if (start + m >= n) break;
    }
    this.waitMs += performance.now() - t0;
  }

  allGather(data: Float64Array): Float64Array[] {
    const out = Array.from({ length: this.worldSize }, () => new Float64Array(data.length));
    const cap = this.capacity;
    this.exchange(data, 'allGather', (start, m) => {
      for (let r = 0; r < this.worldSize; r++) out[r]!.set(this.slots.subarray(r * cap, r * cap + m), start);
    });
    return out;
  }

  allReduceSum(data: Float64Array): void {
    const s = this.slots;
    const cap = this.capacity;
    const N = this.worldSize;
    this.exchange(data, 'allReduceSum', (start, m) => {
      for (let i = 0; i < m; i++) {
        let v = s[i]!;
        for (let r = 1; r < N; r++) v += s[r * cap + i]!;
        data[start + i] = v;
      }
    });
  }
}

let current: ProcessGroup | null = null;

/** The group of the replica running on this thread (null outside `DataParallel`). */
export function getProcessGroup(): ProcessGroup | null {
  return current;
}

/** Install this thread's group (the DataParallel worker does; tests may too). */
export function setProcessGroup(g: ProcessGroup | null): void {
  current = g;
}
