/**
 * A Web Worker that trains one racer (see ./loop.ts and ../race/trainer.ts).
 * Loaded by the page as a module worker; the library comes in through the
 * same `normkit` import as everywhere else.
 */
import { createLoop } from './loop.js';
import type { FromWorker, ToWorker } from './protocol.js';

const scope = self as unknown as { postMessage(m: FromWorker): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
const handle = createLoop((m) => scope.postMessage(m), {
  sliceMs: 50,
  yieldNow: () => new Promise((r) => setTimeout(r, 0)),
});
scope.onmessage = (e) => void handle(e.data);
