/**
 * The `normkit` command line (Node only).
 *
 * ```
 * normkit why [--profile smoke|quick|full] [--out DIR] [--seeds N] [--only NAMES] [--jobs N] [--backend js|wasm]
 * normkit run EXPERIMENT... [same options]
 * normkit why|run ... --queue redis://HOST:PORT[/DB]    (coordinator: the runs go to queue workers)
 * normkit worker --queue redis://HOST:PORT[/DB] [--jobs N] [--backend js|wasm] [--lock-ms N]
 * normkit list
 * normkit report DIR... [--out DIR]
 * ```
 *
 * `why` runs the whole study (or `--only` some experiments), `run` the named
 * experiments; both resume from the runs already in `--out`, write the report
 * (results.json, report.md, index.html) and print a verdict table. Test-only
 * experiments can be added with NORMKIT_EXTRA_EXPERIMENTS=path[:path...]
 * (see src/registry.ts). The registry is loaded once, here, and handed to
 * the runner. `--queue` and `worker`: see src/queue/ and docs/SCALE.md.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Experiment, Profile } from '../experiment.js';
import { loadExperiments, selectExperiments } from '../registry.js';
import { buildReport } from '../report/build.js';
import { verdictTable } from '../report/terminal.js';
import { runQueuedStudy } from '../queue/coordinator.js';
import { parseQueueUrl } from '../queue/connection.js';
import { DEFAULT_LOCK_MS, runQueueWorker } from '../queue/worker.js';
import { defaultJobs, runStudy } from '../runner.js';

const PROFILES: Profile[] = ['smoke', 'quick', 'full'];

function positiveInt(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer for ${what}, got "${value}"`);
    return n;
  };
}

function names(value: string): string[] {
  const list = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) throw new InvalidArgumentError(`expected comma-separated experiment names, got "${value}"`);
  return list;
}

interface StudyCliOptions {
  profile: Profile;
  out: string;
  seeds?: number;
  only?: string[];
  jobs?: number;
  inProcess?: boolean;
  progress?: boolean;
  backend?: 'js' | 'wasm';
  queue?: string;
}

/** Check a --queue URL while parsing, so a malformed one is reported like any bad option value. */
function queueUrl(value: string): string {
  try {
    parseQueueUrl(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return value;
}

function studyOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--profile <profile>', 'study size: smoke (toy, < 60 s), quick (< 10 min), full (about an hour)').choices(PROFILES).default('quick'))
    .option('--out <dir>', 'result directory (runs already there are not recomputed)', 'results')
    .option('--seeds <n>', 'seeds per configuration (default: the profile\'s)', positiveInt('--seeds'))
    .option('--only <names>', 'comma-separated experiment names to run', names)
    .option('--jobs <n>', `worker threads (default: number of CPU cores, ${defaultJobs()} here)`, positiveInt('--jobs'))
    .option('--in-process', 'run in the main thread instead of worker threads (debugging; same numbers)')
    .addOption(new Option('--backend <name>', 'kernel backend for every run (default: wasm where WebAssembly loads, else js)').choices(['js', 'wasm']))
    .option('--queue <url>', 'run through a job queue: enqueue the runs in Redis (redis://HOST:PORT[/DB]) for "normkit worker" processes and collect their results (docs/SCALE.md)', queueUrl)
    .option('--no-progress', 'no progress bar or progress lines');
}

async function study(selected: Experiment[], all: Experiment[], o: StudyCliOptions): Promise<number> {
  if (selected.length === 0) {
    process.stderr.write('normkit: no experiment is registered yet (src/experiments/index.ts)\n');
    return 1;
  }
  const progress = o.progress === false ? 'none' : 'auto';
  let outcome;
  if (o.queue !== undefined) {
    // Threads and backend belong to each worker: refuse rather than ignore them here.
    const local = (['jobs', 'inProcess', 'backend'] as const).filter((k) => o[k] !== undefined);
    if (local.length > 0) {
      const flag = { jobs: '--jobs', inProcess: '--in-process', backend: '--backend' };
      throw new Error(`${local.map((k) => flag[k]).join(', ')} cannot be used with --queue: each worker chooses its own (normkit worker --queue URL --jobs N --backend js|wasm)`);
    }
    outcome = await runQueuedStudy({ queue: o.queue, profile: o.profile, out: o.out, seeds: o.seeds, experiments: selected, registered: all, progress });
  } else {
    outcome = await runStudy({
      profile: o.profile,
      out: o.out,
      seeds: o.seeds,
      experiments: selected,
      registered: all,
      jobs: o.jobs,
      inProcess: o.inProcess ?? false,
      ...(o.backend ? { backend: o.backend } : {}),
      progress,
    });
  }
  if (outcome.interrupted) return 130;
  const built = await buildReport({ dirs: [o.out], out: o.out, experiments: all, only: selected.map((e) => e.name) });
  process.stdout.write('\n' + verdictTable(built.results, process.stdout.isTTY === true, process.stdout.columns ?? 110) + '\n');
  process.stdout.write(`\nReport: ${resolve(o.out, 'index.html')} (also report.md, results.json)\n`);
  return 0;
}

/** The version in the package's package.json (dist/src/cli/ -> the package root). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Build the commander program (exported for tests and for subcommands added by other modules). */
export function buildProgram(all: Experiment[]): Command {
  const program = new Command();
  program
    .name('normkit')
    .version(packageVersion(), '-V, --version', 'print the normkit version')
    .description('normkit: normalization layers for JavaScript, and a lab that measures why layer normalization is useful.')
    .showHelpAfterError('(run "normkit --help" for usage)')
    .addHelpText(
      'after',
      '\nResults: OUT/results.json, OUT/report.md, OUT/index.html; finished runs are kept in OUT/runs/ and not recomputed.\n' +
        'Environment: NORMKIT_EXTRA_EXPERIMENTS=module.js[:module.js...] adds experiment modules (default export, `experiments` array or named Experiment exports), e.g. test-only ones.\n' +
        'NORMKIT_QUEUE_RECONNECT_MS=N: how long --queue and "normkit worker" retry a lost Redis before stopping with an error (default 10000 and 60000).',
    );

  studyOptions(program.command('why').description('run the study: every experiment (or --only), then write the report and print the verdicts')).action(
    async (o: StudyCliOptions) => {
      const selected = o.only ? selectExperiments(all, o.only) : all;
      process.exitCode = await study(selected, all, o);
    },
  );

  studyOptions(program.command('run').description('run the named experiments, write the report and print the verdicts').argument('<experiment...>', 'experiment names (see "normkit list")')).action(
    async (exps: string[], o: StudyCliOptions) => {
      const selected = selectExperiments(all, o.only ? [...exps, ...o.only] : exps);
      process.exitCode = await study(selected, all, o);
    },
  );

  program
    .command('worker')
    .description('take runs from a job queue (started by "normkit why|run --queue") and compute them here, until stopped (docs/SCALE.md)')
    .requiredOption('--queue <url>', 'the Redis of the queue: redis://HOST:PORT[/DB]', queueUrl)
    .option('--jobs <n>', 'runs computed at once, one worker thread each (default 1; the number of cores uses the machine fully)', positiveInt('--jobs'))
    .addOption(new Option('--backend <name>', 'kernel backend of every run (default: wasm where WebAssembly loads, else js)').choices(['js', 'wasm']))
    .option('--lock-ms <ms>', `how long a silent worker keeps its run before another worker takes it over (default ${DEFAULT_LOCK_MS})`, positiveInt('--lock-ms'))
    .action(async (o: { queue: string; jobs?: number; backend?: 'js' | 'wasm'; lockMs?: number }) => {
      await runQueueWorker({ queue: o.queue, ...(o.jobs ? { jobs: o.jobs } : {}), ...(o.backend ? { backend: o.backend } : {}), ...(o.lockMs ? { lockMs: o.lockMs } : {}) });
    });

  program
    .command('list')
    .description('list the experiments')
    .action(() => {
      if (all.length === 0) process.stdout.write('(no experiment registered)\n');
      for (const e of all) process.stdout.write(`${e.name.padEnd(28)} ${e.title}\n${' '.repeat(29)}${e.claim}\n`);
    });

  program
    .command('report')
    .description('rebuild the report of a result directory from its runs, or merge several directories into one report')
    .argument('<dir...>', 'result directories (the --out of "normkit why")')
    .option('--out <dir>', 'where to write the merged report (default: the directory itself when one is given, "results-merged" for several)')
    .action(async (dirs: string[], o: { out?: string }) => {
      const out = o.out ?? (dirs.length === 1 ? dirs[0]! : 'results-merged');
      const built = await buildReport({ dirs, out, experiments: all });
      process.stdout.write(verdictTable(built.results, process.stdout.isTTY === true, process.stdout.columns ?? 110) + '\n');
      process.stdout.write(`\nReport: ${resolve(out, 'index.html')} (also report.md, results.json)\n`);
    });

  return program;
}

/** Entry point of bin/normkit.js. */
export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    const all = await loadExperiments();
    const program = buildProgram(all);
    await registerExtensions(program);
    await program.parseAsync(argv);
  } catch (e) {
    process.stderr.write(`normkit: error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}

/** Subcommand modules owned by other areas: file (next to this one) -> the function that adds its command. */
const EXTENSIONS: [file: string, register: string][] = [
  ['./adapt.js', 'registerAdapt'], // normkit adapt FILE.csv (src/cli/adapt.ts)
  ['./export.js', 'registerExport'], // normkit export ... (src/cli/export.ts)
  ['./playground.js', 'registerPlayground'], // normkit playground [--port N] [--open] (src/cli/playground.ts)
];

/**
 * Add the subcommands of src/cli/adapt.ts (`registerAdapt(program)`) and
 * src/cli/export.ts (`registerExport(program)`). They are imported at run
 * time so the CLI works while one of them is not built yet; a module that
 * exists but fails to load is an error, not silently skipped.
 */
async function registerExtensions(program: Command): Promise<void> {
  for (const [file, register] of EXTENSIONS) {
    const url = new URL(file, import.meta.url);
    let mod: Record<string, unknown>;
    try {
      mod = (await import(url.href)) as Record<string, unknown>;
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (err.code === 'ERR_MODULE_NOT_FOUND' && (err.message ?? '').includes(fileURLToPath(url))) continue;
      throw e;
    }
    const fn = mod[register];
    if (typeof fn !== 'function') throw new Error(`${fileURLToPath(url)} does not export ${register}(program)`);
    (fn as (p: Command) => unknown)(program);
  }
}
