/** The replica of bench/allreduce.ts: an MLP 784-256-256-10 with BatchNorm or SyncBatchNorm after each hidden layer. */
import * as nk from '../src/index.js';

export function createReplica(o: { sync: boolean }): nk.parallel.Replica {
  nk.manualSeed(1);
  const mlp = new nk.nn.MLP({ inFeatures: 784, hidden: [256, 256], outFeatures: 10, activation: 'relu', norm: 'batchnorm' });
  const module = o.sync ? nk.SyncBatchNorm.convertSyncBatchnorm(mlp) : mlp;
  return { module, loss: (m, x, y) => nk.F.crossEntropy((m as nk.nn.MLP).forward(x), y as Int32Array) };
}
