/**
 * `nk.parallel`: data-parallel training over the cores of one machine
 * (worker threads in Node, module Web Workers in cross-origin isolated
 * pages) and the process group that SyncBatchNorm synchronizes through.
 */
export { DataParallel, shardSizes, type DataParallelOptions, type StepStats } from './data-parallel.js';
export { WorkerPool } from './worker-pool.js';
export { type ProcessGroup, SharedProcessGroup, GroupAbortedError, createGroupBuffer, getProcessGroup, setProcessGroup } from './process-group.js';
export type { Replica, ReplicaFactory } from './protocol.js';
