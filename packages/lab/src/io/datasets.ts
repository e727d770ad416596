/**
 * Load user-provided datasets from disk into tensors (Node only: reads files
 * with `node:fs`): numeric CSV (streamed with {@link readCsv}) and IDX
 * (MNIST-style image + label files). Nothing is ever downloaded.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Tensor } from 'normkit';
import { readCsv, type CsvOptions } from './csv.js';
import { readIdx } from './idx.js';
import { checkData, type ClassificationData } from '../train-utils.js';

/** A numeric CSV file as a `[rows, columns]` float32 tensor, with its header (or null). */
export async function loadCsvTensor(path: string, opts: CsvOptions = {}): Promise<{ x: Tensor; header: string[] | null }> {
  let header: string[] | null = null;
  const values: number[] = [];
  let cols = 0;
  let rows = 0;
  const onHeader = (h: string[]) => {
    header = h;
    opts.onHeader?.(h);
  };
  for await (const row of readCsv(createReadStream(path) as AsyncIterable<Uint8Array>, { ...opts, onHeader })) {
    cols = row.values.length;
    rows++;
    for (const v of row.values) values.push(v);
  }
  if (rows === 0) throw new RangeError(`${path}: no data rows`);
  return { x: new Tensor(Float32Array.from(values), [rows, cols]), header };
}

/** Options of {@link loadCsvClassification}. */
export interface CsvClassificationOptions extends CsvOptions {
  /** Column holding the class label: an index (negative counts from the end) or a header name. Default -1 (last). */
  labelColumn?: number | string;
}

/**
 * A CSV file as a classification dataset: every column except `labelColumn`
 * is a feature; labels must be non-negative integers (numClasses = max + 1).
 */
export async function loadCsvClassification(path: string, opts: CsvClassificationOptions = {}): Promise<ClassificationData> {
  const { x, header } = await loadCsvTensor(path, opts);
  const [n, cols] = x.shape as [number, number];
  let lc: number;
  const want = opts.labelColumn ?? -1;
  if (typeof want === 'string') {
    const h = header as string[] | null;
    if (!h) throw new RangeError(`${path}: labelColumn ${JSON.stringify(want)} names a column, but the file has no header`);
    lc = h.indexOf(want);
    if (lc < 0) throw new RangeError(`${path}: no column named ${JSON.stringify(want)} (columns: ${h.join(', ')})`);
  } else {
    lc = want < 0 ? cols + want : want;
    if (!(Number.isInteger(lc) && lc >= 0 && lc < cols)) throw new RangeError(`${path}: labelColumn ${want} is outside the ${cols} columns`);
  }
  if (cols < 2) throw new RangeError(`${path}: needs at least one feature column besides the label, got ${cols} column(s)`);
  const f = cols - 1;
  const xs = new Float32Array(n * f);
  const y = new Int32Array(n);
  let maxLabel = 0;
  for (let i = 0; i < n; i++) {
    const lab = x.data[i * cols + lc]!;
    if (!(Number.isInteger(lab) && lab >= 0)) throw new RangeError(`${path}: data row ${i + 1} has label ${lab}, expected a non-negative integer`);
    y[i] = lab;
    if (lab > maxLabel) maxLabel = lab;
    let k = 0;
    for (let j = 0; j < cols; j++) if (j !== lc) xs[i * f + k++] = x.data[i * cols + j]!;
  }
  return checkData({ x: xs, y, n, featureShape: [f], numClasses: maxLabel + 1 });
}

/** An IDX file as a float32 tensor of its shape (values unscaled). */
export async function loadIdxTensor(path: string): Promise<Tensor> {
  const a = readIdx(new Uint8Array(await readFile(path)));
  return new Tensor(Float32Array.from(a.data), a.shape);
}

/**
 * An IDX image file `[n, h, w]` (or `[n, c, h, w]`) and an IDX label file
 * `[n]` as a classification dataset with images `[n, c, h, w]`, pixel
 * values multiplied by `scale` (default 1/255 for uint8 images, else 1).
 */
export async function loadIdxClassification(imagesPath: string, labelsPath: string, opts: { scale?: number } = {}): Promise<ClassificationData> {
  const img = readIdx(new Uint8Array(await readFile(imagesPath)));
  const lab = readIdx(new Uint8Array(await readFile(labelsPath)));
  if (img.shape.length !== 3 && img.shape.length !== 4) throw new RangeError(`${imagesPath}: expected images [n, h, w] or [n, c, h, w], got [${img.shape.join(', ')}]`);
  if (lab.shape.length !== 1) throw new RangeError(`${labelsPath}: expected labels [n], got [${lab.shape.join(', ')}]`);
  const n = img.shape[0]!;
  if (lab.shape[0] !== n) throw new RangeError(`${labelsPath}: ${lab.shape[0]} labels for ${n} images in ${imagesPath}`);
  const scale = opts.scale ?? (img.type === 'uint8' ? 1 / 255 : 1);
  const x = new Float32Array(img.data.length);
  for (let i = 0; i < x.length; i++) x[i] = img.data[i]! * scale;
  const y = new Int32Array(n);
  let maxLabel = 0;
  for (let i = 0; i < n; i++) {
    const v = lab.data[i]!;
    if (!(Number.isInteger(v) && v >= 0)) throw new RangeError(`${labelsPath}: label ${v} at index ${i} is not a non-negative integer`);
    y[i] = v;
    if (v > maxLabel) maxLabel = v;
  }
  const featureShape = img.shape.length === 3 ? [1, img.shape[1]!, img.shape[2]!] : img.shape.slice(1);
  return checkData({ x, y, n, featureShape, numClasses: maxLabel + 1 });
}
