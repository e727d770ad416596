export { BatchNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d, NormBase, type BatchNormModuleOptions, type GenericBatchNormOptions, type BatchNormConfig } from './batch-norm.js';
export { GroupNorm, type GroupNormOptions } from './group-norm.js';
export { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, InstanceNormBase, type InstanceNormOptions } from './instance-norm.js';
export { LayerNorm, type LayerNormOptions } from './layer-norm.js';
export { RMSNorm, type RMSNormOptions } from './rms-norm.js';
export { DyT, type DyTOptions } from './dyt.js';
export { LocalResponseNorm, type LocalResponseNormOptions } from './local-response-norm.js';
export { weightNorm, removeWeightNorm, dataDependentInit, type WeightNormOptions, type DataDependentInitOptions } from './weight-norm.js';
export { spectralNorm, removeSpectralNorm, type SpectralNormOptions } from './spectral-norm.js';
