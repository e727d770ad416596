/**
 * Imported (first) by the tests that compare Node's numbers with Chromium's.
 * Chromium has relaxed SIMD on, so its pages run normkit's relaxed-SIMD build
 * (fused multiply-add in the matmul, src/kernels/wasm/relaxed-simd.ts);
 * number-for-number equality needs Node to run the same build. On Node 20
 * this sets V8's `--experimental-wasm-relaxed-simd` before normkit compiles
 * its module (ES modules evaluate their imports in order, so this one must
 * come before any import of normkit). The tests also check that both sides
 * report the same build.
 */
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdSupported } from '../src/kernels/wasm/relaxed-simd.js';

if (!relaxedSimdSupported()) setFlagsFromString('--experimental-wasm-relaxed-simd');
