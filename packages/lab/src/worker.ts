/**
 * Worker thread of the lab runner (src/threads.ts starts it): loads the
 * experiment registry once, when the thread starts (including
 * NORMKIT_EXTRA_EXPERIMENTS, inherited from the parent), then executes the
 * runs the parent sends, one at a time, by experiment name, on the backend the
 * message names.
 *
 * Protocol: parent -> `RunRequest`; worker -> `{ type: 'progress', fraction }`*
 * then `{ type: 'done', result }`, or `{ type: 'fatal', error }` when the run
 * cannot even start (unknown experiment, registry failed to load).
 */
import { hostname } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { BackendName } from 'normkit';
import type { Experiment, Profile, RunSpec } from './experiment.js';
import { executeRun } from './execute.js';
import { loadExperiments } from './registry.js';

/** One run, as a worker thread receives it. */
export interface RunRequest {
  type: 'run';
  experiment: string;
  spec: RunSpec;
  profile: Profile;
  /** Kernel backend of the run; absent: the library's default (WebAssembly where it loads). */
  backend?: BackendName;
}

if (parentPort) {
  const port = parentPort;
  // Started once per thread, before the first message arrives; a failure is reported per run.
  const registry: Promise<Map<string, Experiment>> = loadExperiments().then((all) => new Map(all.map((e) => [e.name, e])));
  registry.catch(() => {});
  port.on('message', async (msg: RunRequest) => {
    try {
      const exps = await registry;
      const exp = exps.get(msg.experiment);
      if (!exp) {
        throw new Error(
          `unknown experiment "${msg.experiment}" on ${hostname()} (known here: ${[...exps.keys()].join(', ') || 'none'}); ` +
            'test-only experiments need the same NORMKIT_EXTRA_EXPERIMENTS on every machine',
        );
      }
      let last = 0;
      const result = await executeRun(
        exp,
        msg.spec,
        msg.profile,
        (fraction) => {
          // Throttled: progress messages must not slow a run down.
          const now = Date.now();
          if (now - last > 200) {
            last = now;
            port.postMessage({ type: 'progress', fraction });
          }
        },
        msg.backend,
      );
      port.postMessage({ type: 'done', result });
    } catch (e) {
      port.postMessage({ type: 'fatal', error: e instanceof Error ? e.message : String(e) });
    }
  });
}
