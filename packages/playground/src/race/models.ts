/**
 * The race's models, built from the library's layers with a seeded `nk.Rng`
 * (so a seed fixes every weight) and one normalization each:
 *
 * - `mlp`: `nk.nn.MLP` with `depth` hidden layers of `width`, norm before
 *   each ReLU (the library's `makeNorm`); weight norm = `nk.weightNorm` on
 *   every Linear with no norm layer.
 * - `cnn`: conv3x3(1->8) -> norm -> ReLU -> maxpool2 -> conv3x3(8->16) -> norm
 *   -> ReLU -> maxpool2 -> Linear(16*3*3 -> 10), norms in the channels layout.
 * - `transformer`: token embedding + learned positions, `depth` causal
 *   `nk.nn.TransformerBlock`s (Pre or Post placement), a final norm for Pre,
 *   a linear head (the lab's DecoderLM, smaller).
 *
 * Each model reports its "watched" pre-activations (Ioffe & Szegedy's Figure
 * 1: the input to the last hidden nonlinearity) and its layers, whose
 * gradient norms the race plots.
 */
import * as nk from 'normkit';
import type { Tensor } from 'normkit';
import type { NormName, RaceConfig } from './config.js';
import { COPY } from './tasks.js';

/** A model of the race: a module plus what the charts watch. */
export interface RaceModel {
  module: nk.Module;
  /** Layers whose gradient norm is plotted, input side first. */
  layers: { name: string; module: nk.Module }[];
  /** What `watched` holds, for the chart's title. */
  watchedName: string;
  /** The watched pre-activations of the last forward. */
  watched: Tensor | null;
  /** Logits `[n, classes]` of a batch (features flat `[n, inFeatures]`). */
  forward(x: Tensor): Tensor;
}

type Unary = nk.Module & { forward(x: Tensor): Tensor };

/** Hidden width of the MLP per task. */
export const mlpWidth = (task: RaceConfig['task']): number => (task === 'digits' ? 64 : 32);

/** MLP of the race. */
export function buildMlp(cfg: RaceConfig, norm: NormName, inFeatures: number, classes: number, rng: nk.Rng): RaceModel {
  const width = mlpWidth(cfg.task);
  const mlp = new nk.nn.MLP({
    inFeatures, hidden: Array.from({ length: cfg.depth }, () => width), outFeatures: classes,
    norm: norm === 'weightnorm' ? 'none' : norm, normGroups: width / 4, rng,
  });
  if (norm === 'weightnorm') for (const l of mlp.linears) nk.weightNorm(l);
  mlp.capture = true;
  const model: RaceModel = {
    module: mlp,
    layers: mlp.linears.map((l, i) => ({ name: i < cfg.depth ? `linear ${i + 1}` : 'head', module: l })),
    watchedName: `hidden layer ${cfg.depth} pre-activation (after the norm, before ReLU)`,
    watched: null,
    forward(x) {
      const y = mlp.forward(x);
      model.watched = mlp.preActivations[mlp.preActivations.length - 1] ?? null;
      return y;
    },
  };
  return model;
}

/** A channels-layout norm for the CNN (groups C/4 for GroupNorm). */
function cnnNorm(norm: NormName, channels: number): Unary {
  if (norm === 'weightnorm') return new nk.nn.Identity();
  if (norm === 'rmsnorm' || norm === 'dyt') throw new RangeError(`the CNN has no ${norm} (channels layout): pick none, batchnorm, layernorm, groupnorm or weightnorm`);
  return nk.nn.makeNorm(norm, channels, { layout: 'channels', groups: channels / 4 }) as Unary;
}

/** The small CNN for 14x14 digits. */
export function buildCnn(norm: NormName, side: number, rng: nk.Rng): RaceModel {
  const conv1 = new nk.nn.Conv2d(1, 8, 3, { padding: 1, rng });
  const conv2 = new nk.nn.Conv2d(8, 16, 3, { padding: 1, rng });
  const after = Math.floor(Math.floor(side / 2) / 2);
  const head = new nk.nn.Linear(16 * after * after, 10, { rng });
  if (norm === 'weightnorm') for (const m of [conv1, conv2, head]) nk.weightNorm(m);
  const norm1 = cnnNorm(norm, 8), norm2 = cnnNorm(norm, 16);
  const relu = new nk.nn.ReLU(), pool = new nk.nn.MaxPool2d(2);
  // the Sequential holds the parameters and train()/eval(); forward below also keeps the watched tensor
  const net = new nk.nn.Sequential(conv1, norm1, relu, pool, conv2, norm2, relu, pool, new nk.nn.Flatten(), head);
  const model: RaceModel = {
    module: net,
    layers: [{ name: 'conv 1', module: conv1 }, { name: 'conv 2', module: conv2 }, { name: 'head', module: head }],
    watchedName: 'conv 2 pre-activation (after the norm, before ReLU)',
    watched: null,
    forward(x) {
      const img = nk.reshape(x, [x.shape[0]!, 1, side, side]);
      const h = pool.forward(relu.forward(norm1.forward(conv1.forward(img))));
      const pre = norm2.forward(conv2.forward(h));
      model.watched = pre;
      const z = pool.forward(relu.forward(pre));
      return head.forward(nk.reshape(z, [x.shape[0]!, 16 * after * after]));
    },
  };
  return model;
}

/** Sizes of the race's Transformer. */
export const TRANSFORMER = { d: 32, heads: 4, dFF: 64 } as const;

/** A tiny decoder-only Transformer for the copy task; `forward` takes token ids. */
export class TinyLM extends nk.Module {
  readonly embed: nk.nn.Embedding;
  readonly blocks: nk.nn.TransformerBlock[] = [];
  readonly finalNorm: Unary | null;
  readonly head: nk.nn.Linear;
  /** Output of the last block in the last forward. */
  lastBlockOut: Tensor | null = null;

  constructor(readonly depth: number, readonly norm: 'none' | 'layernorm' | 'rmsnorm' | 'dyt', readonly placement: 'pre' | 'post', rng: nk.Rng) {
    super();
    const { d, heads, dFF } = TRANSFORMER;
    const length = 2 * COPY.nTokens;
    this.embed = this.registerModule('embed', new nk.nn.Embedding(COPY.vocab + 1, d, { rng }));
    nk.noGrad(() => nk.nn.init.normal_(this.embed.getParameter('weight')!, 0, 1 / Math.sqrt(d), { rng }));
    const pos = this.registerParameter('pos', nk.zeros([length, d]))!;
    nk.noGrad(() => nk.nn.init.normal_(pos, 0, 1 / Math.sqrt(d), { rng }));
    for (let i = 0; i < depth; i++) {
      this.blocks.push(this.registerModule(`block${i}`, new nk.nn.TransformerBlock({ dModel: d, nHeads: heads, dFF, norm, placement, causal: true, rng })));
    }
    this.finalNorm = placement === 'pre' && norm !== 'none' ? this.registerModule('final_norm', nk.nn.makeNorm(norm, d) as Unary) : null;
    this.head = this.registerModule('head', new nk.nn.Linear(d, COPY.vocab, { rng }));
  }

  /** tokens `[B * T]` -> logits `[B, T, vocab]`. */
  forward(tokens: Int32Array, batch: number, length: number): Tensor {
    let h = nk.add(this.embed.forward(tokens, [batch, length]), this.param('pos')!);
    for (const b of this.blocks) h = b.forward(h);
    this.lastBlockOut = h;
    if (this.finalNorm) h = this.finalNorm.forward(h);
    return this.head.forward(h);
  }
}

/** The copy-task Transformer (forward goes through `TinyLM.forward`; the race calls it directly). */
export function buildTransformer(cfg: RaceConfig, norm: NormName, rng: nk.Rng): { lm: TinyLM; layers: RaceModel['layers']; watchedName: string } {
  if (norm !== 'none' && norm !== 'layernorm' && norm !== 'rmsnorm' && norm !== 'dyt') {
    throw new RangeError(`the Transformer has no ${norm}: pick none, layernorm, rmsnorm or dyt`);
  }
  const lm = new TinyLM(cfg.depth, norm, cfg.placement, rng);
  return {
    lm,
    layers: [{ name: 'embedding', module: lm.embed }, ...lm.blocks.map((b, i) => ({ name: `block ${i + 1}`, module: b as nk.Module })), { name: 'head', module: lm.head }],
    watchedName: `block ${cfg.depth} output (the residual stream${cfg.placement === 'post' ? ', normalized' : ''})`,
  };
}
