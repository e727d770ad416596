/**
 * Worker thread of the lab runner: loads the experiment registry (including
 * NORMKIT_EXTRA_EXPERIMENTS, inherited from the parent), then executes the
 * runs the parent sends, one at a time, by experiment name.
 *
 * Protocol: parent -> `{ type: 'run', experiment, spec, profile }`;
 * worker -> `{ type: 'progress', fraction }`* then `{ type: 'done', result }`.
 */
import { parentPort } from 'node:worker_threads';
import type { Profile, RunSpec } from './experiment.js';
import { executeRun } from './execute.js';
import { loadExperiments } from './registry.js';

export interface RunRequest {
  type: 'run';
  experiment: string;
  spec: RunSpec;
  profile: Profile;
}

if (parentPort) {
  const port = parentPort;
  port.on('message', async (msg: RunRequest) => {
    try {
      const exps = await loadExperiments();
      const exp = exps.find((e) => e.name === msg.experiment);
      if (!exp) throw new Error(`worker: unknown experiment "${msg.experiment}"`);
      let last = 0;
      const result = await executeRun(exp, msg.spec, msg.profile, (fraction) => {
        // Throttled: progress messages must not slow a run down.
        const now = Date.now();
        if (now - last > 200) {
          last = now;
          port.postMessage({ type: 'progress', fraction });
        }
      });
      port.postMessage({ type: 'done', result });
    } catch (e) {
      port.postMessage({ type: 'fatal', error: e instanceof Error ? e.message : String(e) });
    }
  });
}
