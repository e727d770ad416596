/**
 * The cost of synchronizing data-parallel training (`npm run bench:allreduce
 * -w normkit` after `npm run build`): DataParallel steps of an MLP
 * 784-256-256-10 with BatchNorm or SyncBatchNorm, 8 images per worker, on 1
 * and 2 workers. Per step: the whole step on the main thread; the gradient
 * all-reduce (270k floats per replica: the longest time a replica waited for
 * the others' gradients and summed its slice, plus the main thread's copy);
 * and the longest time a replica spent in
 * SyncBatchNorm's collectives (two per layer: the statistics forward, the
 * gradient sums backward; including waiting for the other replicas).
 * Medians over 200 steps after 30 warm-up steps. Not a test.
 */
import * as nk from '../src/index.js';

const STEPS = process.argv.includes('--quick') ? 60 : 200;
const WARM = 30;
const PER_WORKER = 8;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]!; };

console.log(`DataParallel, MLP 784-256-256-10, ${PER_WORKER} images per worker; medians over ${STEPS} steps (ms)`);
console.log('| workers | norm | step | gradient all-reduce (replicas + main) | SyncBN collectives (max over replicas) | synchronizing / step |');
console.log('|---|---|---|---|---|---|');
for (const workers of [1, 2]) {
  for (const sync of [false, true]) {
    const dp = await nk.parallel.DataParallel.create({ replica: new URL('./allreduce-replica.js', import.meta.url), options: { sync }, workers });
    const opt = new nk.optim.SGD(dp.parameters(), { lr: 0.01, momentum: 0.9 });
    const B = PER_WORKER * workers;
    const rng = new nk.Rng(3);
    const x = nk.randn([B, 784], { rng });
    const y = Int32Array.from({ length: B }, (_, i) => i % 10);
    const step: number[] = [], reduce: number[] = [], coll: number[] = [];
    for (let s = 0; s < WARM + STEPS; s++) {
      opt.zeroGrad();
      await dp.forwardBackward(x, y);
      opt.step();
      if (s >= WARM) { step.push(dp.lastStats.stepMs); reduce.push(dp.lastStats.reduceMs); coll.push(dp.lastStats.syncMs); }
    }
    await dp.close();
    const st = median(step), r = median(reduce), c = median(coll);
    console.log(`| ${workers} | ${sync ? 'SyncBatchNorm' : 'BatchNorm (per worker)'} | ${st.toFixed(2)} | ${r.toFixed(3)} | ${c.toFixed(3)} | ${(100 * (r + c) / st).toFixed(0)}% |`);
  }
}
