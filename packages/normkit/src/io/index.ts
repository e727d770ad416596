/**
 * `nk.io`: browser-safe interop. safetensors read/write (PyTorch state-dict
 * names) and ONNX export under `nk.io.onnx` (also `nk.onnx`). The Node-only
 * file readers (csv.ts, idx.ts, datasets.ts) are deliberately not re-exported
 * here, so the library core stays loadable in browsers.
 */
export { saveSafetensors, loadSafetensors, parseSafetensorsHeader, type SafetensorsDType, type SafetensorsEntry, type SafetensorsHeader, type SaveSafetensorsOptions } from './safetensors.js';
export * as onnx from '../onnx/index.js';
