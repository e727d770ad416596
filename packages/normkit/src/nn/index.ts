/**
 * `nk.nn`: layers for training small networks (the normalization modules
 * themselves are exported at the top level, `nk.LayerNorm`, ...), the weight
 * initializers (`nk.nn.init`) and the normalization factory shared by MLP,
 * TransformerBlock and the lab.
 */
// the backward rules, for users who import only 'normkit/nn' (imported for that effect)
import '../functional/backward-rules.js';
export { Module, type StateDict } from './module.js';
export { Layer } from './layer.js';
export { Linear, type LinearOptions } from './linear.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { Conv2d, type Conv2dLayerOptions } from './conv.js';
export { MaxPool2d, AvgPool2d, GlobalAvgPool2d, AdaptiveAvgPool2d, Flatten } from './pooling.js';
export { ReLU, GELU, Tanh, Sigmoid, Identity, makeActivation, type ActivationName } from './activation.js';
export { Dropout } from './dropout.js';
export { Sequential, ModuleList } from './container.js';
export { MultiheadAttention, type MultiheadAttentionOptions, type AttentionCallOptions } from './attention.js';
export * as init from './init.js';
export { TransformerBlock, type TransformerBlockOptions } from './transformer.js';
export { GRUCell, LSTMCell, type RNNCellOptions } from './rnn.js';
export { RNN, GRU, LSTM, type RecurrentOptions } from './recurrent.js';
export { MLP, MLPBlock, type MLPOptions } from './mlp.js';
export { CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, HuberLoss, SmoothL1Loss, BCEWithLogitsLoss, BCELoss } from './loss.js';
export { makeNorm, normKinds, FeatureGroupNorm, type NormKind, type NormFactoryOptions } from './norm-factory.js';
export type { UnaryModule } from './layer.js';
