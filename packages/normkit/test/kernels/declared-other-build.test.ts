/**
 * The declared-kernel test (declared.test.ts) and the activation kernels'
 * tolerance test (pointwise/activation-kernels.test.ts: GELU's polynomials
 * differ between the builds) again, on the WebAssembly build
 * the default run does not load: the relaxed-SIMD build where the engine
 * lacks relaxed SIMD by default (Node 20: turned on here through V8's
 * `--experimental-wasm-relaxed-simd`, set before normkit compiles its
 * module), the SIMD-only build where the engine has it (Node 22+:
 * NORMKIT_RELAXED_SIMD=0). So both builds are checked against the float64
 * reference on every backend mode, whichever Node runs the tests.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdSupported } from '../../src/kernels/wasm/relaxed-simd.js';

const relaxedByDefault = relaxedSimdSupported();
if (relaxedByDefault) process.env['NORMKIT_RELAXED_SIMD'] = '0';
else setFlagsFromString('--experimental-wasm-relaxed-simd');
const { wasmInfo } = await import('../../src/index.js');

test(`the other build is loaded (${relaxedByDefault ? 'SIMD only' : 'relaxed SIMD'})`, () => {
  const info = wasmInfo();
  assert.equal(info.loaded, true, String(info.error));
  assert.equal(info.relaxedSimd, !relaxedByDefault);
});

await import('./declared.test.js');
await import('../pointwise/activation-kernels.test.js');
