/**
 * One deterministic workload over the public API, run unchanged in Node and
 * in Chromium (chromium.test.ts) so the two can be compared number by number.
 *
 * It imports nothing at run time: the library comes in as an argument (the
 * type import below is erased by tsc), so the browser loads exactly
 * dist/src/index.js and this file. Every random draw comes from an explicit
 * seeded `Rng`, so both sides see the same inputs.
 */
import type * as NK from '../../src/index.js';

type Nk = typeof NK;
type Tensor = NK.Tensor;

/** Named flat number arrays (outputs, gradients, statistics, bytes). */
export type ScenarioResult = Record<string, number[]>;

/** What a run did besides numbers. */
export interface ScenarioInfo {
  backend: string;
  threads: number;
  /** Names of cases that ran. */
  cases: string[];
}

const flat = (t: Tensor | null | undefined): number[] => (t ? Array.from(t.data) : []);

/** Uniform-ish random parameters (not the ones/zeros defaults, so the affine part is exercised). */
function randomizeParams(m: NK.Module, rng: NK.Rng): void {
  for (const p of m.parameters()) for (let i = 0; i < p.data.length; i++) p.data[i] = 1 + 0.3 * rng.normal();
}

/** Forward `x`, backward `sum(y * g)` for a fixed random `g`; record y, dx and every parameter's gradient. */
function forwardBackward(nk: Nk, out: ScenarioResult, name: string, m: NK.Module & { forward(x: Tensor): Tensor }, shape: number[], rng: NK.Rng, offset = 0): void {
  const x = nk.randn(shape, { rng, requiresGrad: true });
  if (offset) for (let i = 0; i < x.data.length; i++) x.data[i] = x.data[i]! + offset;
  const y = m.forward(x);
  const g = nk.randn(y.shape, { rng });
  nk.sum(nk.mul(y, g)).backward();
  out[`${name}.y`] = flat(y);
  out[`${name}.dx`] = flat(x.grad);
  for (const [pn, p] of m.namedParameters()) out[`${name}.d${pn}`] = flat(p.grad);
}

/**
 * Run the workload with `backend` selected; returns the numbers and what ran.
 * Throws (with the case name) on the first failure, so the caller sees where.
 */
export async function runScenario(nk: Nk, backend: 'js' | 'wasm'): Promise<{ result: ScenarioResult; info: ScenarioInfo }> {
  nk.setBackend(backend);
  nk.manualSeed(7);
  const out: ScenarioResult = {};
  const cases: string[] = [];
  const run = async (name: string, fn: () => void | Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      throw new Error(`case ${name} (backend ${backend}): ${(e as Error).stack ?? e}`);
    }
    cases.push(name);
  };

  await run('LayerNorm', () => {
    const rng = new nk.Rng(1);
    const m = new nk.LayerNorm([48]);
    randomizeParams(m, rng);
    forwardBackward(nk, out, 'layerNorm', m, [16, 48], rng, 3);
    // large enough to live in wasm memory (>= 16384 float32) and to be split over threads
    const big = new nk.LayerNorm([64]);
    randomizeParams(big, rng);
    forwardBackward(nk, out, 'layerNormBig', big, [512, 64], rng);
  });
  await run('RMSNorm', () => {
    const rng = new nk.Rng(2);
    const m = new nk.RMSNorm([48]);
    randomizeParams(m, rng);
    forwardBackward(nk, out, 'rmsNorm', m, [16, 48], rng);
    const big = new nk.RMSNorm([64]);
    forwardBackward(nk, out, 'rmsNormBig', big, [512, 64], rng);
  });
  await run('BatchNorm1d', () => {
    const rng = new nk.Rng(3);
    const m = new nk.BatchNorm1d(6);
    randomizeParams(m, rng);
    forwardBackward(nk, out, 'batchNormTrain', m, [5, 6, 7], rng, 10);
    out['batchNorm.running_mean'] = flat(m.getBuffer('running_mean'));
    out['batchNorm.running_var'] = flat(m.getBuffer('running_var'));
    m.zeroGrad();
    m.eval();
    forwardBackward(nk, out, 'batchNormEval', m, [5, 6, 7], rng, 10);
  });
  await run('GroupNorm', () => {
    const rng = new nk.Rng(4);
    const m = new nk.GroupNorm(3, 6);
    randomizeParams(m, rng);
    forwardBackward(nk, out, 'groupNorm', m, [4, 6, 5], rng);
  });
  await run('InstanceNorm1d', () => {
    const rng = new nk.Rng(5);
    const m = new nk.InstanceNorm1d(6, { affine: true });
    randomizeParams(m, rng);
    forwardBackward(nk, out, 'instanceNorm', m, [3, 6, 9], rng);
  });
  await run('DyT', () => {
    const rng = new nk.Rng(6);
    const m = new nk.DyT(12);
    randomizeParams(m, rng);
    forwardBackward(nk, out, 'dyt', m, [5, 12], rng);
  });
  await run('LocalResponseNorm', () => {
    const rng = new nk.Rng(13);
    forwardBackward(nk, out, 'lrn', new nk.LocalResponseNorm(3, { alpha: 0.1 }), [2, 7, 5], rng);
  });
  await run('weightNorm(Linear)', () => {
    const rng = new nk.Rng(8);
    const m = nk.weightNorm(new nk.nn.Linear(8, 5, { rng }));
    forwardBackward(nk, out, 'weightNorm', m, [4, 8], rng);
  });
  await run('spectralNorm(Linear)', () => {
    const rng = new nk.Rng(9);
    const m = nk.spectralNorm(new nk.nn.Linear(8, 5, { rng }), { rng });
    forwardBackward(nk, out, 'spectralNormTrain', m, [4, 8], rng);
    m.zeroGrad();
    m.eval();
    out['spectralNormEval.y'] = flat(m.forward(nk.randn([3, 8], { rng })));
  });
  await run('MLP + Adam', () => {
    const rng = new nk.Rng(10);
    const net = new nk.nn.Sequential(new nk.nn.Linear(8, 16, { rng }), new nk.LayerNorm([16]), new nk.nn.ReLU(), new nk.nn.Linear(16, 3, { rng }));
    const opt = new nk.optim.Adam(net.parameters(), { lr: 1e-2 });
    const x = nk.randn([12, 8], { rng });
    const t = Array.from({ length: 12 }, (_, i) => i % 3);
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      opt.zeroGrad();
      const loss = nk.crossEntropy(net.forward(x), t);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    out['mlp.losses'] = losses;
    for (const [pn, p] of net.namedParameters()) out[`mlp.${pn}`] = flat(p);

    // safetensors round trip of the trained state
    const sd = net.stateDict();
    const bytes = nk.io.saveSafetensors(sd, { metadata: { format: 'pt' } });
    const back = nk.io.loadSafetensors(bytes);
    const names = Object.keys(sd).sort();
    if (Object.keys(back).sort().join() !== names.join()) throw new Error(`safetensors names ${Object.keys(back).sort().join()} != ${names.join()}`);
    for (const k of names) {
      const a = sd[k]!.data, b = back[k]!.data;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) throw new Error(`safetensors ${k}[${i}]: ${b[i]} != ${a[i]}`);
    }
    const net2 = new nk.nn.Sequential(new nk.nn.Linear(8, 16), new nk.LayerNorm([16]), new nk.nn.ReLU(), new nk.nn.Linear(16, 3));
    net2.loadStateDict(back);
    out['safetensors.bytes'] = Array.from(bytes);
    out['safetensors.reloadedForward'] = flat(net2.forward(x));
  });
  await run('Normalization.adapt', async () => {
    const rng = new nk.Rng(11);
    const data = nk.randn([40, 4], { rng, dtype: 'float64' });
    for (let i = 0; i < data.data.length; i++) data.data[i] = data.data[i]! * (1 + (i % 4)) + 1000 * (i % 4);
    const layer = new nk.Normalization({ axis: -1 });
    layer.adapt(data);
    out['normalization.mean'] = flat(layer.mean);
    out['normalization.variance'] = flat(layer.variance);
    out['normalization.y'] = flat(layer.forward(nk.randn([3, 4], { rng })));
    // batches from an async iterable give the same statistics (exact merge)
    const streamed = new nk.Normalization({ axis: -1 });
    async function* batches(): AsyncGenerator<Tensor> {
      for (let b = 0; b < 4; b++) yield nk.tensor(Float64Array.from(data.data.subarray(b * 40, (b + 1) * 40)), [10, 4]);
    }
    await streamed.adapt(batches());
    out['normalization.streamedMean'] = flat(streamed.mean);
    out['normalization.streamedVariance'] = flat(streamed.variance);
  });
  await run('StandardScaler', () => {
    const rng = new nk.Rng(14);
    const X = nk.randn([10, 3], { rng, dtype: 'float64' });
    const scaler = new nk.StandardScaler().fit(X);
    out['standardScaler.y'] = flat(scaler.transform(X));
    out['standardScaler.back'] = flat(scaler.inverseTransform(scaler.transform(X)));
  });
  await run('onnx.exportModel(LayerNorm)', () => {
    const rng = new nk.Rng(12);
    const ln = new nk.LayerNorm([6]);
    randomizeParams(ln, rng);
    const bytes = nk.onnx.exportModel(ln, nk.randn([2, 6], { rng }));
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new Error(`exportModel returned ${bytes?.length} bytes`);
    out['onnx.bytes'] = Array.from(bytes);
  });

  return { result: out, info: { backend: nk.getBackend(), threads: nk.getThreads(), cases } };
}
