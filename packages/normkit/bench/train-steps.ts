/**
 * Whole training steps through the public API (`npm run bench:steps`, after
 * `npm run build`): forward, backward and an Adam step of the lab's kinds of
 * models, as a user writes them, with TensorFlow.js (wasm backend, 1 thread,
 * same models and shapes, `tf.train.adam` with `optimizer.minimize`) side by
 * side in the same process. The figure is the median ms per step over
 * repeats after a warm-up. Not a test.
 *
 *   mlp-bn:    784-100-100-10, BatchNorm before each ReLU, batch 32
 *   pre-ln-64: 8 Pre-LN blocks, d 64, 4 heads, FFN 256, batch 16 x 8 tokens
 *   pre-ln-128: 4 Pre-LN blocks, d 128, 4 heads, FFN 512, batch 32 x 64 tokens
 *   cnn-bn:    3 x (conv 3x3 16 channels, BatchNorm, ReLU), 2x2 max-pools, linear; batch 32 of 1x28x28
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as nk from '../src/index.js';
import { cnnBn, labels, mlpBn, preLn as preLnModel } from './models.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const args = process.argv.slice(2);
const REPS = args.includes('--quick') ? 5 : 15;
const only = args.find((a) => !a.startsWith('--'));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

async function timeSteps(step: () => unknown | Promise<unknown>, reps = REPS): Promise<number> {
  for (let i = 0; i < 3; i++) await step();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await step();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

/** `tfBackend`: where TF.js's wasm backend lacks a gradient kernel (Conv2DBackpropFilter), its cpu backend runs the peer. */
interface Model { name: string; normkit: () => () => number; tf?: (tf: Any) => () => void; tfBackend?: 'cpu' | 'wasm' }

function adamStep(params: nk.Tensor[], loss: () => nk.Tensor): () => number {
  const opt = new nk.optim.Adam(params, { lr: 1e-3 });
  return () => {
    opt.zeroGrad();
    const l = loss();
    l.backward();
    opt.step();
    return l.item();
  };
}

function preLn(d: number, depth: number, B: number, T: number, vocab = 64): Model {
  return {
    name: `pre-ln d${d} x${depth}, batch ${B} x ${T}`,
    normkit: () => {
      const m = preLnModel(nk, d, depth, B, T, vocab);
      return adamStep(m.params, m.loss);
    },
    tf: (tf) => {
      // The same block written with tf ops: causal multi-head attention, Pre-LN, GELU FFN.
      const v = (shape: number[]) => tf.variable(tf.randomNormal(shape, 0, 0.05));
      const lnv = () => ({ g: tf.variable(tf.ones([d])), b: tf.variable(tf.zeros([d])) });
      const layerNorm = (x: Any, p: Any) => {
        const m = tf.moments(x, -1, true);
        return tf.add(tf.mul(tf.div(tf.sub(x, m.mean), tf.sqrt(tf.add(m.variance, 1e-5))), p.g), p.b);
      };
      const H = 4, dh = d / H;
      const blocks = Array.from({ length: depth }, () => ({ ln1: lnv(), ln2: lnv(), wqkv: v([d, 3 * d]), bqkv: tf.variable(tf.zeros([3 * d])), wo: v([d, d]), bo: tf.variable(tf.zeros([d])), w1: v([d, 4 * d]), b1: tf.variable(tf.zeros([4 * d])), w2: v([4 * d, d]), b2: tf.variable(tf.zeros([d])) }));
      const emb = v([vocab, d]);
      const lnf = lnv();
      const wh = v([d, vocab]);
      const mask = tf.linalg.bandPart(tf.ones([T, T]), -1, 0);
      const neg = tf.mul(tf.sub(1, mask), -1e9);
      // one-hot @ table instead of tf.gather: the wasm backend has no gradient kernel for gather (UnsortedSegmentSum)
      const tokens = tf.oneHot(tf.tensor1d(Array.from({ length: B * T }, (_, i) => (i * 13) % vocab), 'int32'), vocab);
      const y = tf.oneHot(tf.tensor1d(labels(B * T, vocab), 'int32'), vocab);
      const opt = tf.train.adam(1e-3);
      const lin = (x: Any, w: Any, b: Any) => tf.add(tf.matMul(tf.reshape(x, [-1, w.shape[0]]), w), b);
      return () => {
        const cost = opt.minimize(() => {
          let h = tf.reshape(tf.matMul(tokens, emb), [B, T, d]);
          for (const p of blocks) {
            const x = layerNorm(h, p.ln1);
            const qkv = tf.reshape(lin(x, p.wqkv, p.bqkv), [B, T, 3, H, dh]);
            const [q, k, vv] = tf.unstack(qkv, 2).map((t: Any) => tf.transpose(t, [0, 2, 1, 3]));
            const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), neg));
            const ctx = tf.reshape(tf.transpose(tf.matMul(att, vv), [0, 2, 1, 3]), [B * T, d]);
            h = tf.add(h, tf.reshape(lin(ctx, p.wo, p.bo), [B, T, d]));
            const z = layerNorm(h, p.ln2);
            const f = lin(tf.reshape(tf.mul(lin(z, p.w1, p.b1), tf.sigmoid(tf.mul(lin(z, p.w1, p.b1), 1.702))), [B * T, 4 * d]), p.w2, p.b2);
            h = tf.add(h, tf.reshape(f, [B, T, d]));
          }
          const logits = tf.matMul(tf.reshape(layerNorm(h, lnf), [B * T, d]), wh);
          return tf.losses.softmaxCrossEntropy(y, logits);
        }, true);
        cost?.dispose();
      };
    },
  };
}

const MODELS: Model[] = [
  {
    name: 'mlp 784-100-100-10 + BatchNorm, batch 32',
    normkit: () => {
      const m = mlpBn(nk);
      return adamStep(m.params, m.loss);
    },
    tf: (tf) => {
      const model = tf.sequential({ layers: [
        tf.layers.dense({ inputShape: [784], units: 100 }), tf.layers.batchNormalization(), tf.layers.reLU(),
        tf.layers.dense({ units: 100 }), tf.layers.batchNormalization(), tf.layers.reLU(), tf.layers.dense({ units: 10 }),
      ] });
      const x = tf.randomUniform([32, 784]);
      const y = tf.oneHot(tf.tensor1d(labels(32, 10), 'int32'), 10);
      const opt = tf.train.adam(1e-3);
      return () => { opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true })), true)?.dispose(); };
    },
  },
  preLn(64, 8, 16, 8),
  preLn(128, 4, 32, 64),
  {
    name: 'cnn 3 x (conv 16 + BatchNorm + ReLU), batch 32 of 1x28x28',
    normkit: () => {
      const m = cnnBn(nk);
      return adamStep(m.params, m.loss);
    },
    tf: (tf) => {
      const layers: Any[] = [];
      for (let i = 0; i < 3; i++) {
        layers.push(tf.layers.conv2d({ ...(i === 0 ? { inputShape: [28, 28, 1] } : {}), filters: 16, kernelSize: 3, padding: 'same', useBias: false }), tf.layers.batchNormalization(), tf.layers.reLU());
        if (i < 2) layers.push(tf.layers.maxPooling2d({ poolSize: 2 }));
      }
      const model = tf.sequential({ layers: [...layers, tf.layers.flatten(), tf.layers.dense({ units: 10 })] });
      const x = tf.randomUniform([32, 28, 28, 1]);
      const y = tf.oneHot(tf.tensor1d(labels(32, 10), 'int32'), 10);
      const opt = tf.train.adam(1e-3);
      return () => { opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true })), true)?.dispose(); };
    },
    tfBackend: 'cpu',
  },
];

async function loadTf(): Promise<Any | null> {
  try {
    const tf: Any = await import('@tensorflow/tfjs');
    const wasmBackend: Any = await import('@tensorflow/tfjs-backend-wasm');
    const dir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    wasmBackend.setWasmPaths({
      'tfjs-backend-wasm.wasm': join(dir, 'dist', 'tfjs-backend-wasm.wasm'),
      'tfjs-backend-wasm-simd.wasm': join(dir, 'dist', 'tfjs-backend-wasm-simd.wasm'),
      'tfjs-backend-wasm-threaded-simd.wasm': join(dir, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm'),
    });
    wasmBackend.setThreadsCount?.(1);
    if (!(await tf.setBackend('wasm'))) return null;
    await tf.ready();
    return tf;
  } catch (e) {
    console.log(`TensorFlow.js (wasm) unavailable: ${(e as Error).message}`);
    return null;
  }
}

async function main(): Promise<void> {
  const tf = await loadTf();
  console.log(`normkit backend ${nk.getBackend()}${nk.wasmInfo().relaxedSimd ? ' (relaxed SIMD)' : ' (SIMD only; Node 20: node --experimental-wasm-relaxed-simd for the fused build)'}; TensorFlow.js ${tf ? `${tf.version.tfjs} on ${tf.getBackend()}` : 'not loaded'}; median of ${REPS} steps after 3 warm-up steps`);
  console.log(['model', 'normkit ms/step', 'tfjs ms/step (backend)', 'tfjs / normkit'].join(' | '));
  for (const m of MODELS) {
    if (only && !m.name.includes(only)) continue;
    const a = await timeSteps(m.normkit());
    let b: number | null = null;
    const backend = m.tfBackend ?? 'wasm';
    if (tf && m.tf) {
      try {
        await tf.setBackend(backend);
        await tf.ready();
        b = await timeSteps(m.tf(tf));
      } catch (e) { console.log(`  tfjs ${m.name}: ${(e as Error).message}`); }
    }
    console.log([m.name, a.toFixed(2), b === null ? '-' : `${b.toFixed(2)} (${backend})`, b === null ? '-' : `${(b / a).toFixed(2)}x`].join(' | '));
  }
}

await main();
