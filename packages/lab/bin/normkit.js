#!/usr/bin/env node
// The normkit command; the implementation is compiled TypeScript (npm run build).
import { main } from '../dist/src/cli/main.js';

await main(process.argv);
