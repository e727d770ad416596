// Run one experiment's runs of a profile over N worker threads and store each
// result as the runner does (OUT/runs/<experiment>/<id>.json), without the
// report's dependencies: for machines that only have Node and the built
// packages (docs/RESULTS.md used it for part of the full Transformer sweep on
// a lent 16-core machine without npm). Copy OUT/runs/ into the --out
// directory of a study of the same profile and `normkit report DIR` judges
// them with the rest; the job queue (docs/SCALE.md) is the general way to
// spread a study over machines.
// usage: node packages/lab/scripts/sweep.mjs EXPERIMENT PROFILE OUT JOBS [key=v1|v2 ...]  (keys: config fields or seed)
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
const here = new URL('../dist/src/', import.meta.url);
if (isMainThread) {
  const [name, profile, out, jobsArg, ...filters] = process.argv.slice(2);
  const { experiments } = await import(new URL('experiments/index.js', here));
  const exp = experiments.find((e) => e.name === name);
  if (!exp) throw new Error(`unknown experiment ${name}`);
  const { readRun, isDone } = await import(new URL('store.js', here));
  // filters: key=v1|v2 on a config field (or the seed)
  const specs = exp.runs(profile).filter((s) => filters.every((f) => { const [k, v] = f.split('='); return v.split('|').includes(String(s.config[k] ?? s[k])); }))
    .filter((s) => !isDone(readRun(out, name, s.id), s));
  const jobs = Math.min(Number(jobsArg) || availableParallelism(), specs.length);
  console.log(`${specs.length} runs of ${name} (${profile}) on ${jobs} threads`);
  let next = 0, done = 0;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: jobs }, () => new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { name, profile, out } });
    const feed = () => (next < specs.length ? w.postMessage(specs[next++]) : (w.terminate(), resolve()));
    w.on('message', (m) => { done++; console.log(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${done}/${specs.length} ${m.id} ${m.status} ${(m.wallMs / 1000).toFixed(1)} s`); feed(); });
    w.on('error', reject);
    feed();
  })));
} else {
  const { experiments } = await import(new URL('experiments/index.js', here));
  const { executeRun } = await import(new URL('execute.js', here));
  const { writeRun } = await import(new URL('store.js', here));
  const exp = experiments.find((e) => e.name === workerData.name);
  parentPort.on('message', async (spec) => {
    const r = await executeRun(exp, spec, workerData.profile, () => {});
    writeRun(workerData.out, r);
    parentPort.postMessage({ id: r.id, status: r.status, wallMs: r.wallMs });
  });
}
