/**
 * Preprocessing: Keras's `Normalization` layer (statistics learned with
 * `adapt`) and scikit-learn's scalers, plus the exact streaming moments they share.
 */
export { Normalization, type NormalizationOptions, type NormalizationConfig, type AdaptData, type StatInput } from './normalization.js';
export {
  StandardScaler, MinMaxScaler, RobustScaler, MaxAbsScaler, Normalizer, quantileSorted, normalPpf,
  type Matrix, type StandardScalerOptions, type MinMaxScalerOptions, type RobustScalerOptions, type NormalizerOptions,
} from './scalers.js';
export { RunningMoments } from './moments.js';
