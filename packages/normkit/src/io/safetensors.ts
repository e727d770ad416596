/**
 * safetensors (https://github.com/huggingface/safetensors, format spec in its
 * README): the file layout PyTorch and Hugging Face use to share weights.
 *
 *   [8 bytes]  N, unsigned little-endian 64-bit: size of the header
 *   [N bytes]  JSON header, UTF-8, padded with spaces:
 *              { "name": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] },
 *                ..., "__metadata__": { "key": "string value" } }
 *   [rest]     the byte buffer; offsets are relative to its start, tensors are
 *              row-major little-endian, contiguous, non-overlapping and cover it entirely.
 *
 * Browser-safe (typed arrays and DataView only). Keys are the PyTorch
 * state-dict names `Module.stateDict()` produces, so files move between
 * normkit and `torch`/`safetensors.torch.load_file`.
 */
import { Tensor } from '../tensor/tensor.js';
import { fmtShape, numel } from '../tensor/shape.js';
import type { StateDict } from '../nn/module.js';
import { checkOptions } from '../options.js';

/** Element types normkit reads; it writes F32, F64 and I64. */
export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_SIZE: Record<SafetensorsDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** The header limit of the reference implementation (100 MB), guarding against absurd lengths. */
const MAX_HEADER = 100_000_000;

/** One tensor's entry in the header. */
export interface SafetensorsEntry {
  dtype: SafetensorsDType;
  shape: number[];
  dataOffsets: [number, number];
}

/** A parsed header: entries by name, the metadata strings, and where the byte buffer starts. */
export interface SafetensorsHeader {
  tensors: Record<string, SafetensorsEntry>;
  metadata: Record<string, string> | null;
  dataStart: number;
}

/** Options of {@link saveSafetensors}. */
export interface SaveSafetensorsOptions {
  /** String key/value pairs stored under `__metadata__`. */
  metadata?: Record<string, string>;
  /**
   * Names stored as int64 (values must be integers). Default: buffers named
   * `num_batches_tracked`, which PyTorch keeps as an int64 scalar.
   */
  int64?: (name: string) => boolean;
}

const isNumBatchesTracked = (name: string) => name === 'num_batches_tracked' || name.endsWith('.num_batches_tracked');

/**
 * Serialize tensors to safetensors bytes. float32 tensors are written as
 * F32, float64 as F64, and names selected by `opts.int64` (default: PyTorch's
 * `num_batches_tracked`) as I64. 8-byte types are laid out first and the
 * header is padded so every tensor is aligned to its element size.
 */
export function saveSafetensors(stateDict: StateDict, opts: SaveSafetensorsOptions = {}): Uint8Array {
  checkOptions('saveSafetensors', opts, ['metadata', 'int64']);
  const asInt64 = opts.int64 ?? isNumBatchesTracked;
  const items = Object.entries(stateDict).map(([name, t]) => {
    if (!(t instanceof Tensor)) throw new TypeError(`saveSafetensors: '${name}' is not a Tensor`);
    const dtype: SafetensorsDType = asInt64(name) ? 'I64' : t.dtype === 'float64' ? 'F64' : 'F32';
    if (dtype === 'I64') {
      for (let i = 0; i < t.size; i++) {
        const v = t.data[i]!;
        if (!Number.isSafeInteger(v)) throw new RangeError(`saveSafetensors: '${name}' is stored as I64 but holds ${v} at index ${i} (expected an integer)`);
      }
    }
    return { name, t, dtype };
  });
  // Largest alignment first (as the reference writer does), then by name for a stable layout.
  items.sort((a, b) => DTYPE_SIZE[b.dtype] - DTYPE_SIZE[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (opts.metadata) {
    for (const [k, v] of Object.entries(opts.metadata)) if (typeof v !== 'string') throw new TypeError(`saveSafetensors: metadata '${k}' must be a string, got ${typeof v}`);
    header.__metadata__ = opts.metadata;
  }
  let offset = 0;
  for (const it of items) {
    const nbytes = it.t.size * DTYPE_SIZE[it.dtype];
    header[it.name] = { dtype: it.dtype, shape: it.t.shape, data_offsets: [offset, offset + nbytes] };
    offset += nbytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  json = new Uint8Array(0);
  const base = 8 + padded;
  let pos = base;
  for (const { t, dtype } of items) {
    const d = t.data;
    if (dtype === 'F32') for (let i = 0; i < d.length; i++, pos += 4) view.setFloat32(pos, d[i]!, true);
    else if (dtype === 'F64') for (let i = 0; i < d.length; i++, pos += 8) view.setFloat64(pos, d[i]!, true);
    else for (let i = 0; i < d.length; i++, pos += 8) view.setBigInt64(pos, BigInt(d[i]!), true);
  }
  return out;
}

function fail(msg: string): never {
  throw new Error(`safetensors: ${msg}`);
}

/**
 * Parse and validate a header: the length prefix, the JSON, every entry's
 * dtype, shape and offsets, and that the offsets tile the byte buffer exactly
 * (no gap, no overlap, nothing out of range).
 */
export function parseSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('safetensors: expected a Uint8Array of file bytes');
  if (bytes.length < 8) fail(`file is truncated: ${bytes.length} bytes, need at least 8 for the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) fail(`header length ${n64} exceeds the ${MAX_HEADER}-byte limit (corrupt file?)`);
  const n = Number(n64);
  if (8 + n > bytes.length) fail(`file is truncated: header length says ${n} bytes but only ${bytes.length - 8} follow`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('header must be a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const tensors: Record<string, SafetensorsEntry> = {};
  let metadata: Record<string, string> | null = null;
  for (const [name, e] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (e === null || typeof e !== 'object' || Array.isArray(e)) fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(e as object)) if (typeof v !== 'string') fail(`__metadata__ '${k}' must be a string, got ${JSON.stringify(v)}`);
      metadata = e as Record<string, string>;
      continue;
    }
    const ent = e as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (ent === null || typeof ent !== 'object') fail(`entry '${name}' must be an object, got ${JSON.stringify(e)}`);
    if (typeof ent.dtype !== 'string' || !(ent.dtype in DTYPE_SIZE)) {
      fail(`tensor '${name}' has unknown dtype ${JSON.stringify(ent.dtype)} (expected one of ${Object.keys(DTYPE_SIZE).join(', ')})`);
    }
    const dtype = ent.dtype as SafetensorsDType;
    if (!Array.isArray(ent.shape) || !ent.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor '${name}' has invalid shape ${JSON.stringify(ent.shape)}`);
    const shape = ent.shape as number[];
    const off = ent.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0) || off[0] > off[1]) {
      fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(off)} (expected [begin, end] with 0 <= begin <= end)`);
    }
    const [b, en] = off as [number, number];
    if (en > dataLen) fail(`tensor '${name}' data_offsets [${b}, ${en}] run past the end of the ${dataLen}-byte data buffer (truncated file?)`);
    const want = numel(shape) * DTYPE_SIZE[dtype];
    if (en - b !== want) fail(`tensor '${name}' (${dtype}, shape ${fmtShape(shape)}) needs ${want} bytes but data_offsets [${b}, ${en}] span ${en - b}`);
    tensors[name] = { dtype, shape, dataOffsets: [b, en] };
  }
  // The offsets must tile [0, dataLen): sorted by begin, each starts where the previous ended.
  const spans = Object.entries(tensors).sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let at = 0;
  let prev = '';
  for (const [name, { dataOffsets: [b, e] }] of spans) {
    if (b < at) fail(`tensor '${name}' data_offsets [${b}, ${e}] overlap '${prev}' (which ends at ${at})`);
    if (b > at) fail(`tensor '${name}' starts at ${b} but the previous tensor${prev ? ` '${prev}'` : ''} ends at ${at}: the data buffer has a hole`);
    at = e;
    prev = name;
  }
  if (at !== dataLen) fail(`the data buffer has ${dataLen} bytes but the tensors cover ${at} (trailing or missing bytes)`);
  return { tensors, metadata, dataStart };
}

/** IEEE half precision bits to a number. */
function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/**
 * Read safetensors bytes into tensors by name (PyTorch state-dict names).
 * F32, F16 and BF16 load as float32 tensors; F64 and the integer types as
 * float64 (I64 values beyond 2^53 are rejected rather than rounded).
 * Truncated files, out-of-range, overlapping or non-contiguous offsets,
 * unknown dtypes and malformed headers throw with the offending entry named.
 */
export function loadSafetensors(bytes: Uint8Array): Record<string, Tensor> {
  const { tensors, dataStart } = parseSafetensorsHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, Tensor> = {};
  for (const [name, { dtype, shape, dataOffsets }] of Object.entries(tensors)) {
    const n = numel(shape);
    const p0 = dataStart + dataOffsets[0];
    const sz = DTYPE_SIZE[dtype];
    const f32 = dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';
    const d = f32 ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0, p = p0; i < n; i++, p += sz) {
      switch (dtype) {
        case 'F32': d[i] = view.getFloat32(p, true); break;
        case 'F64': d[i] = view.getFloat64(p, true); break;
        case 'F16': d[i] = halfToNumber(view.getUint16(p, true)); break;
        case 'BF16': d[i] = new Float32Array(new Uint32Array([view.getUint16(p, true) << 16]).buffer)[0]!; break;
        case 'I64': {
          const v = view.getBigInt64(p, true);
          if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) fail(`tensor '${name}' holds int64 ${v} at index ${i}, beyond the exactly representable 2^53`);
          d[i] = Number(v);
          break;
        }
        case 'I32': d[i] = view.getInt32(p, true); break;
        case 'I16': d[i] = view.getInt16(p, true); break;
        case 'I8': d[i] = view.getInt8(p); break;
        case 'U8': d[i] = view.getUint8(p); break;
        case 'BOOL': d[i] = view.getUint8(p) ? 1 : 0; break;
      }
    }
    out[name] = new Tensor(d, shape);
  }
  return out;
}
