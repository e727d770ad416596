/**
 * The IDX format (the MNIST files' format, LeCun et al.): a 4-byte magic
 * `0x00 0x00 TYPE NDIM`, then NDIM sizes as big-endian uint32, then the
 * values big-endian, row-major. TYPE: 0x08 uint8, 0x09 int8, 0x0B int16,
 * 0x0C int32, 0x0D float32, 0x0E float64.
 *
 * Browser-safe (works on bytes); `datasets.ts` reads files from disk.
 */

/** IDX element types by name. */
export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

const TYPE_CODE: Record<IdxType, number> = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e };
const TYPE_SIZE: Record<IdxType, number> = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 };

/** A decoded IDX array. `data` has the natural typed-array type of `type`. */
export interface IdxArray {
  type: IdxType;
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/** Malformed IDX input. */
export class IdxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdxError';
  }
}

/** Decode IDX bytes. Throws {@link IdxError} on a bad magic, unknown type, or a length that does not match the header. */
export function readIdx(bytes: Uint8Array): IdxArray {
  if (bytes.length < 4) throw new IdxError(`IDX: ${bytes.length} bytes is too short for the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IdxError(`IDX: magic number must start with two zero bytes, got 0x${hex(bytes[0]!)} 0x${hex(bytes[1]!)} (is the file gzipped?)`);
  }
  const code = bytes[2]!;
  const type = (Object.keys(TYPE_CODE) as IdxType[]).find((t) => TYPE_CODE[t] === code);
  if (!type) throw new IdxError(`IDX: unknown element type 0x${hex(code)} (expected one of 08, 09, 0B, 0C, 0D, 0E)`);
  const ndim = bytes[3]!;
  if (ndim === 0) throw new IdxError('IDX: number of dimensions is 0');
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen) throw new IdxError(`IDX: header needs ${headerLen} bytes for ${ndim} dimensions, file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    const s = view.getUint32(4 + 4 * d, false);
    shape.push(s);
    count *= s;
  }
  const esize = TYPE_SIZE[type];
  const expected = headerLen + count * esize;
  if (bytes.length !== expected) {
    throw new IdxError(`IDX: shape [${shape.join(', ')}] of ${type} needs ${expected} bytes, file has ${bytes.length} (${bytes.length < expected ? 'truncated' : 'trailing bytes'})`);
  }
  const off = headerLen;
  let data: IdxArray['data'];
  switch (type) {
    case 'uint8': data = bytes.slice(off, off + count); break;
    case 'int8': data = new Int8Array(bytes.slice(off, off + count).buffer); break;
    case 'int16': data = new Int16Array(count); for (let i = 0; i < count; i++) data[i] = view.getInt16(off + 2 * i, false); break;
    case 'int32': data = new Int32Array(count); for (let i = 0; i < count; i++) data[i] = view.getInt32(off + 4 * i, false); break;
    case 'float32': data = new Float32Array(count); for (let i = 0; i < count; i++) data[i] = view.getFloat32(off + 4 * i, false); break;
    case 'float64': data = new Float64Array(count); for (let i = 0; i < count; i++) data[i] = view.getFloat64(off + 8 * i, false); break;
  }
  return { type, shape, data };
}

/** Encode an array as IDX bytes. Values are converted to `type` (integers are range-checked). */
export function writeIdx(shape: readonly number[], values: ArrayLike<number>, type: IdxType): Uint8Array {
  if (shape.length === 0 || shape.length > 255) throw new RangeError(`IDX: needs 1..255 dimensions, got shape [${shape.join(', ')}]`);
  let count = 1;
  for (const s of shape) {
    if (!(Number.isInteger(s) && s >= 0 && s <= 0xffffffff)) throw new RangeError(`IDX: invalid dimension ${s} in shape [${shape.join(', ')}]`);
    count *= s;
  }
  if (values.length !== count) throw new RangeError(`IDX: shape [${shape.join(', ')}] needs ${count} values, got ${values.length}`);
  const esize = TYPE_SIZE[type];
  const headerLen = 4 + 4 * shape.length;
  const out = new Uint8Array(headerLen + count * esize);
  const view = new DataView(out.buffer);
  out[2] = TYPE_CODE[type];
  out[3] = shape.length;
  shape.forEach((s, d) => view.setUint32(4 + 4 * d, s, false));
  const range: Partial<Record<IdxType, [number, number]>> = { uint8: [0, 255], int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647] };
  const r = range[type];
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    const p = headerLen + i * esize;
    if (r && !(Number.isInteger(v) && v >= r[0] && v <= r[1])) throw new RangeError(`IDX: value ${v} at index ${i} is not an integer in [${r[0]}, ${r[1]}] for type ${type}`);
    switch (type) {
      case 'uint8': out[p] = v; break;
      case 'int8': view.setInt8(p, v); break;
      case 'int16': view.setInt16(p, v, false); break;
      case 'int32': view.setInt32(p, v, false); break;
      case 'float32': view.setFloat32(p, v, false); break;
      case 'float64': view.setFloat64(p, v, false); break;
    }
  }
  return out;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0').toUpperCase();
}
