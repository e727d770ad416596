#!/usr/bin/env node
// The normkit command; the implementation is compiled TypeScript (npm run build).
// Engine flags first: normkit compiles its WebAssembly when it is imported.
import { enableRelaxedSimd } from '../dist/src/engine-flags.js';

enableRelaxedSimd();
const { main } = await import('../dist/src/cli/main.js');
await main(process.argv);
