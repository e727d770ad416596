/**
 * A process group over shared memory: the replicas of a `DataParallel` module
 * (one per worker) exchange float64 vectors through a SharedArrayBuffer and
 * meet at barriers built on `Atomics.wait`, as PyTorch's
 * `torch.distributed` process group does across devices. Collectives are
 * exact and deterministic: every rank sums the ranks' contributions in the
 * same fixed order (0, 1, ..., N-1), so results never depend on timing.
 *
 * Layout of the buffer: an Int32 control block [arrived, generation, abort]
 * followed by one float64 slot of `capacity` values per rank. A replica that
 * fails sets `abort` (its rank + 1) and wakes everyone, so the others throw
 * at their next wait instead of waiting forever.
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
const CONTROL_BYTES = 16;

/** The shared buffer for a group of `worldSize` ranks exchanging up to `capacity` float64 values at once. */
export function createGroupBuffer(worldSize: number, capacity: number): SharedArrayBuffer {
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new RangeError(`process group: worldSize must be a positive integer, got ${worldSize}`);
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`process group: capacity must be a positive integer, got ${capacity}`);
  return new SharedArrayBuffer(CONTROL_BYTES + worldSize * capacity * 8);
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
    this.ctrl = new Int32Array(buffer, 0, 3);
    this.capacity = (buffer.byteLength - CONTROL_BYTES) / 8 / worldSize;
    if (!Number.isInteger(this.capacity) || this.capacity < 1) throw new RangeError(`process group: buffer of ${buffer.byteLength} bytes does not fit ${worldSize} ranks`);
    if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new RangeError(`process group: rank must be in [0, ${worldSize}), got ${rank}`);
    this.slots = new Float64Array(buffer, CONTROL_BYTES, worldSize * this.capacity);
  }

  /** Start counting `waitMs` from 0. */
  resetWaitMs(): void {
    this.waitMs = 0;
  }

  /** Tell every rank that this one failed (they throw GroupAbortedError at their next wait). */
  abort(): void {
    Atomics.compareExchange(this.ctrl, ABORT, 0, this.rank + 1);
    Atomics.add(this.ctrl, GENERATION, 1);
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
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`process group: rank ${this.rank} waited ${this.timeoutMs} ms at a barrier for the other ${this.worldSize - 1} replicas`);
      Atomics.wait(this.ctrl, GENERATION, gen, Math.min(left, 1000));
    }
    this.checkAbort();
  }

  private checkLength(n: number, what: string): void {
    if (n > this.capacity) throw new RangeError(`process group ${what}: ${n} values exceed the group's capacity of ${this.capacity}`);
  }

  allGather(data: Float64Array): Float64Array[] {
    const t0 = performance.now();
    const n = data.length;
    this.checkLength(n, 'allGather');
    this.slots.set(data, this.rank * this.capacity);
    this.barrier();
    const out: Float64Array[] = [];
    for (let r = 0; r < this.worldSize; r++) out.push(this.slots.slice(r * this.capacity, r * this.capacity + n));
    // nobody may overwrite a slot before every rank has read them all
    this.barrier();
    this.waitMs += performance.now() - t0;
    return out;
  }

  allReduceSum(data: Float64Array): void {
    const t0 = performance.now();
    const n = data.length;
    this.checkLength(n, 'allReduceSum');
    this.slots.set(data, this.rank * this.capacity);
    this.barrier();
    const s = this.slots;
    const cap = this.capacity;
    for (let i = 0; i < n; i++) {
      let v = s[i]!;
      for (let r = 1; r < this.worldSize; r++) v += s[r * cap + i]!;
      data[i] = v;
    }
    this.barrier();
    this.waitMs += performance.now() - t0;
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
