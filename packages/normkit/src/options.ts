/**
 * Strict option objects: every public constructor and functional op that
 * takes an options object checks its keys here, so a misspelled or
 * unsupported option (`{ elementwise_affine: false }`, `{ groups: 2 }`) is an
 * error instead of a silent default. PyTorch raises on unknown keyword
 * arguments too; this is the JavaScript equivalent.
 */

/** `elementwise_affine` -> `elementwiseAffine`. */
export function camelCase(key: string): string {
  return key.replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Throw a `TypeError` naming the first key of `opts` that is not in
 * `accepted`, and listing the accepted ones. A snake_case key whose camelCase
 * form is accepted gets that suggestion ("did you mean 'elementwiseAffine'?").
 * `opts` may be undefined/null (nothing to check); anything else that is not
 * a plain object is refused, since a positional value passed where an options
 * object belongs would otherwise be ignored.
 */
export function checkOptions(where: string, opts: unknown, accepted: readonly string[]): void {
  if (opts === undefined || opts === null) return;
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(`${where}: expected an options object {${accepted.join(', ')}}, got ${Array.isArray(opts) ? 'an array' : `${typeof opts} ${String(opts)}`}`);
  }
  for (const key of Object.keys(opts)) {
    if (accepted.includes(key)) continue;
    const cc = camelCase(key);
    const hint = cc !== key && accepted.includes(cc)
      ? ` (did you mean '${cc}'? normkit spells PyTorch's options in camelCase)`
      : '';
    const list = accepted.length ? accepted.map((k) => `'${k}'`).join(', ') : 'none';
    throw new TypeError(`${where}: unknown option '${key}'${hint}; accepted options: ${list}`);
  }
}

/**
 * Refuse a PyTorch option that normkit accepts in name but does not
 * implement for the given value: `unsupported('Conv2d', 'paddingMode', v, 'zeros')`
 * throws unless `v` is undefined or the default.
 */
export function unsupported(where: string, key: string, value: unknown, supported: unknown, why = ''): void {
  if (value === undefined || value === supported) return;
  throw new TypeError(`${where}: option ${key}=${JSON.stringify(value)} is not supported (only ${JSON.stringify(supported)})${why ? `: ${why}` : ''}`);
}

/**
 * `getConfig()` output holds the positional arguments too (`numFeatures`,
 * `normalizedShape`), and `new Cls(c.numFeatures, c)` must rebuild the layer:
 * such a key is accepted in the options when it equals the positional value.
 */
export function checkEcho(where: string, opts: object | undefined | null, key: string, value: unknown): void {
  const v = (opts as Record<string, unknown> | undefined | null)?.[key];
  if (v === undefined) return;
  if (JSON.stringify(v) !== JSON.stringify(value)) {
    throw new TypeError(`${where}: option ${key}=${JSON.stringify(v)} contradicts the positional argument ${JSON.stringify(value)}`);
  }
}
