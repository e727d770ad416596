export { BatchNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d, NormBase, type BatchNormModuleOptions, type GenericBatchNormOptions, type BatchNormConfig } from './batch-norm.js';
export { GroupNorm, type GroupNormOptions } from './group-norm.js';
export { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, InstanceNormBase, type InstanceNormOptions } from './instance-norm.js';
