/**
 * A streaming reader for numeric CSV files (the format `normkit adapt` and the
 * lab's dataset loaders take). It reads chunks (strings or UTF-8 bytes) as
 * they arrive, so files larger than memory can be streamed, and yields one
 * row of numbers at a time with its 1-based physical line number.
 *
 * Accepted: a delimiter (default `,`), `\n` or `\r\n` line ends, an optional
 * header row, blank lines (skipped), `#` comment lines (skipped when
 * `comment` is set), fields wrapped in double quotes (`"1.5"`), decimal and
 * exponent notation (`-1.5e-3`). Rejected with a {@link CsvError} naming the
 * line, the column and the reason: a field that is not a number (`"abc"`),
 * an empty field (unless `missing: 'nan'`), a non-finite number (`nan`,
 * `inf`: unless `allowNonFinite`), an unterminated quote, and a row whose
 * number of fields differs from the first row's (or from `columns`).
 *
 * Browser-safe: uses only `TextDecoder`; reading from disk lives in
 * `datasets.ts`.
 *
 * ```ts
 * for await (const { line, values } of readCsv(chunks, { header: 'auto', onHeader: (h) => names = h })) { ... }
 * const { header, rows } = parseCsv('a,b\n1,2\n3,4\n');
 * ```
 */

/** Options of {@link readCsv} and {@link parseCsv}. */
export interface CsvOptions {
  /** Field separator, one character. Default `,`. */
  delimiter?: string;
  /**
   * Header handling. `true`: the first non-blank row is a header (names).
   * `false`: every row is data. `'auto'` (default): the first row is a header
   * when at least one of its fields is not a number.
   */
  header?: boolean | 'auto';
  /** Called once with the header's names (trimmed, unquoted) when a header is read. */
  onHeader?: (names: string[]) => void;
  /** Expected number of fields per row; default: the header's or the first data row's count. */
  columns?: number;
  /** Lines starting with this string (after leading spaces) are skipped. Default: none. */
  comment?: string;
  /** What an empty field means: `'error'` (default) or `'nan'`. */
  missing?: 'error' | 'nan';
  /** Accept `nan`, `inf`, `-inf`, `Infinity` (any case). Default false. */
  allowNonFinite?: boolean;
}

/** One data row: its 1-based line number in the file, and its values. */
export interface CsvRow {
  line: number;
  values: number[];
}

/** A malformed CSV input: `line` (1-based), `column` (1-based, when one field is at fault) and a `reason`. */
export class CsvError extends Error {
  readonly line: number;
  readonly column: number | null;
  readonly reason: string;
  constructor(line: number, column: number | null, reason: string) {
    super(`CSV line ${line}${column !== null ? `, column ${column}` : ''}: ${reason}`);
    this.name = 'CsvError';
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

/** A finite decimal number: optional sign, digits with an optional point, optional exponent. */
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE_RE = /^([+-]?)(nan|inf|infinity)$/i;

/** Split one line into raw fields, honouring double quotes (`""` inside quotes is a literal quote). */
function splitFields(text: string, delimiter: string, line: number): string[] {
  if (!text.includes('"')) return text.split(delimiter);
  const fields: string[] = [];
  let cur = '';
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cur += '"';
          i++;
        } else inQuotes = false;
      } else cur += ch;
    } else if (ch === '"') {
      if (cur.trim() !== '') throw new CsvError(line, fields.length + 1, `unexpected quote inside unquoted field ${JSON.stringify(cur + ch)}`);
      cur = '';
      inQuotes = true;
    } else if (ch === delimiter) {
      fields.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (inQuotes) throw new CsvError(line, fields.length + 1, 'unterminated quoted field (quoted fields may not span lines)');
  fields.push(cur);
  return fields;
}

function unquote(f: string): string {
  const t = f.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/""/g, '"').trim() : t;
}

/** Parse one field as a number, or throw a CsvError saying why it is not one. */
function parseField(raw: string, line: number, column: number, opts: CsvOptions): number {
  const f = raw.trim();
  if (f === '') {
    if (opts.missing === 'nan') return NaN;
    throw new CsvError(line, column, "empty field (expected a number; pass missing: 'nan' to accept gaps)");
  }
  if (NUMBER_RE.test(f)) return Number(f);
  const m = NON_FINITE_RE.exec(f);
  if (m) {
    if (!opts.allowNonFinite) throw new CsvError(line, column, `non-finite value ${JSON.stringify(f)} (pass allowNonFinite: true to accept it)`);
    if (m[2]!.toLowerCase() === 'nan') return NaN;
    return m[1] === '-' ? -Infinity : Infinity;
  }
  throw new CsvError(line, column, `${JSON.stringify(f)} is not a number`);
}

/**
 * Incremental line parser behind {@link readCsv} and {@link parseCsv}: feed
 * it lines in order with `push`; it returns the parsed row, or null for
 * skipped lines (blank, comment, header).
 */
class CsvLineParser {
  private readonly delimiter: string;
  private headerDone: boolean;
  private columns: number | null;
  constructor(private readonly opts: CsvOptions) {
    this.delimiter = opts.delimiter ?? ',';
    if (this.delimiter.length !== 1 || this.delimiter === '"' || this.delimiter === '\n') {
      throw new RangeError(`CSV delimiter must be one character other than a quote or newline, got ${JSON.stringify(this.delimiter)}`);
    }
    this.headerDone = opts.header === false;
    this.columns = opts.columns ?? null;
    if (this.columns !== null && !(Number.isInteger(this.columns) && this.columns > 0)) {
      throw new RangeError(`CSV columns must be a positive integer, got ${this.columns}`);
    }
  }

  push(text: string, line: number): CsvRow | null {
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return null;
    if (this.opts.comment && text.trimStart().startsWith(this.opts.comment)) return null;
    const raw = splitFields(text, this.delimiter, line);
    if (!this.headerDone) {
      this.headerDone = true;
      const names = raw.map(unquote);
      const isHeader = this.opts.header === true || names.some((f) => !NUMBER_RE.test(f) && !NON_FINITE_RE.test(f) && f !== '');
      if (isHeader) {
        if (this.columns !== null && names.length !== this.columns) {
          throw new CsvError(line, null, `header has ${names.length} fields, expected ${this.columns}`);
        }
        this.columns = names.length;
        this.opts.onHeader?.(names);
        return null;
      }
    }
    if (this.columns === null) this.columns = raw.length;
    if (raw.length !== this.columns) {
      throw new CsvError(line, null, `expected ${this.columns} fields, got ${raw.length}`);
    }
    const values = new Array<number>(raw.length);
    for (let i = 0; i < raw.length; i++) values[i] = parseField(unquote(raw[i]!), line, i + 1, this.opts);
    return { line, values };
  }
}

/** Anything `readCsv` can read: a whole string, or a (sync or async) sequence of string / UTF-8 byte chunks. */
export type CsvSource = string | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

/**
 * Stream the data rows of a numeric CSV. Chunk boundaries may fall anywhere
 * (inside a line or inside a UTF-8 character). Throws {@link CsvError} at the
 * first malformed row, after yielding the rows before it.
 */
export async function* readCsv(source: CsvSource, opts: CsvOptions = {}): AsyncGenerator<CsvRow, void, undefined> {
  const parser = new CsvLineParser(opts);
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let line = 0;
  const chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array> = typeof source === 'string' ? [source] : source;
  for await (const chunk of chunks) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      line++;
      const row = parser.push(text, line);
      if (row) yield row;
    }
  }
  pending += decoder.decode();
  if (pending.length > 0) {
    line++;
    const row = parser.push(pending, line);
    if (row) yield row;
  }
}

/** Synchronous whole-text parse: the header (null when none) and all data rows. Same rules as {@link readCsv}. */
export function parseCsv(text: string, opts: CsvOptions = {}): { header: string[] | null; rows: CsvRow[] } {
  let header: string[] | null = null;
  const parser = new CsvLineParser({
    ...opts,
    onHeader: (h) => {
      header = h;
      opts.onHeader?.(h);
    },
  });
  const rows: CsvRow[] = [];
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const row = parser.push(lines[i]!, i + 1);
    if (row) rows.push(row);
  }
  return { header, rows };
}

/** Format rows as CSV text (with an optional header); numbers written with full precision. */
export function formatCsv(rows: readonly (readonly number[])[], header?: readonly string[], delimiter = ','): string {
  const out: string[] = [];
  if (header) out.push(header.join(delimiter));
  for (const r of rows) out.push(r.map((v) => (Object.is(v, -0) ? '-0' : String(v))).join(delimiter));
  return out.join('\n') + '\n';
}
