/**
 * The small CNN of the batch-size and synchronization experiments: four 3x3
 * convolutions (no bias, He init) each followed by a normalization and ReLU,
 * max-pool after the first two, global average pool, a linear head. The
 * norm comes from the library's `makeNorm` (channels layout), so
 * "batchnorm" means BatchNorm2d and "layernorm" GroupNorm with one group.
 */
import { Tensor, Rng, noGrad } from 'normkit';
import { Module, Linear, Conv2d, makeNorm, type NormKind, type UnaryModule } from 'normkit/nn';
import { relu, maxPool2d, globalAvgPool2d, flatten } from 'normkit/functional';
import { kaimingNormal } from 'normkit/nn/init';

export class SmallCnn extends Module {
  private readonly convs: Conv2d[] = [];
  private readonly norms: UnaryModule[] = [];
  private readonly head: Linear;
  constructor(norm: NormKind, ch: number, groups: number, rng: Rng) {
    super();
    for (let i = 0; i < 4; i++) {
      const conv = new Conv2d(i === 0 ? 1 : ch, ch, 3, { padding: 1, bias: false, rng });
      // He et al. 2015 init, as Wu & He's ResNets (PyTorch's default is 6x smaller in variance)
      noGrad(() => kaimingNormal(conv.getParameter('weight')!, { nonlinearity: 'relu', rng }));
      this.convs.push(this.registerModule(`conv${i + 1}`, conv));
      this.norms.push(this.registerModule(`norm${i + 1}`, makeNorm(norm, ch, { layout: 'channels', groups })));
    }
    this.head = this.registerModule('head', new Linear(ch, 10, { rng }));
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (let i = 0; i < 4; i++) {
      h = relu(this.norms[i]!.forward(this.convs[i]!.forward(h)));
      if (i < 2) h = maxPool2d(h, 2);
    }
    return this.head.forward(flatten(globalAvgPool2d(h), 1));
  }
}
