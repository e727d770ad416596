/**
 * The shape of a lab experiment. One file per experiment in
 * `src/experiments/` exports an `Experiment`: the claim, the paper's
 * set-up and numbers, our set-up per profile, the list of independent runs,
 * the run function (executed by the runner, possibly in a worker thread), the
 * verdict rule (fixed in code before any result is seen) and the charts.
 */

/** Study size: `smoke` (toy, < 60 s for everything), `quick` (default, < 10 min), `full`. */
export type Profile = 'smoke' | 'quick' | 'full';

/** The three possible verdicts. */
export type Verdict = 'reproduced' | 'not reproduced' | 'inconclusive';

/** JSON-serializable values (runs cross worker boundaries and are written to disk). */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A run's configuration: JSON values by name. Each experiment narrows it with its own type (`Experiment<Config>`). */
export type RunConfig = { [k: string]: Json };

/** One independent unit of work: a configuration and a seed. */
export interface RunSpec<C extends RunConfig = RunConfig> {
  /** Unique within the experiment, stable across invocations (used for resume), e.g. `bn-bs4-s1`. */
  id: string;
  seed: number;
  config: C;
}

/** What a run produces. Non-finite numbers must be stored as null. */
export interface RunOutput {
  /** `diverged` when the loss became NaN/Inf: a result, not a crash. */
  status: 'ok' | 'diverged';
  /** Step at which divergence was detected. */
  divergedAt?: number;
  /** Scalar results (final accuracy, steps to target, ...). */
  metrics: { [k: string]: number | null };
  /** Curves: name -> values (loss per step, grad norm per layer, ...). */
  series?: { [k: string]: (number | null)[] };
  /** Anything else the charts or the verdict need. */
  extra?: { [k: string]: Json };
}

/** A finished run as stored in results.json. */
export interface RunResult<C extends RunConfig = RunConfig> extends RunSpec<C>, RunOutput {
  experiment: string;
  wallMs: number;
  /** The kernel backend the run computed on ('js' | 'wasm'). */
  backend?: string;
  /** On 'wasm': whether its relaxed-SIMD build ran (fused multiply-add in the matmul; numbers move at float32 rounding). */
  relaxedSimd?: boolean;
}

/** Passed to a run: the profile, and a progress callback (fraction 0..1). */
export interface RunContext {
  profile: Profile;
  progress: (fraction: number) => void;
}

/** The experiment's verdict, with the numbers it was computed from. */
export interface Judgement {
  verdict: Verdict;
  /** Summary numbers (means, spreads, ratios) shown in the report. */
  metrics: { [k: string]: number | null };
  /** One or two sentences: what the data shows, and why if not reproduced. */
  explanation: string;
}

/** A Vega-Lite spec (rendered to SVG by the report). */
export type ChartSpec = { [k: string]: Json };

/** A table shown in the report (e.g. the paper's numbers beside ours). */
export interface ReportTable {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

/**
 * An experiment, typed by its run configuration `C` (a type alias of JSON
 * fields, e.g. `{ variant: DecoderVariant; lr: number }`), so `run`, `judge`
 * and `charts` read `spec.config.lr` without casts. Configurations come back
 * from disk as JSON: `run` still checks values it cannot trust (names).
 */
export interface Experiment<C extends RunConfig = RunConfig> {
  /** Kebab-case name used on the command line: `batch-size`. */
  name: string;
  /** Human title. */
  title: string;
  /** The published claim under test. */
  claim: string;
  /** The paper: citation, its set-up, and its numbers (as text and/or a table). */
  paper: { citation: string; setup: string; numbers: string; table?: ReportTable };
  /** Our set-up in words for a profile. */
  setup(profile: Profile): string;
  /** The verdict rule in words (must match `judge`). */
  rule: string;
  /** The runs of a profile, `seeds` seeds each (profiles set their own default when seeds is undefined). */
  runs(profile: Profile, seeds?: number): RunSpec<C>[];
  /** Execute one run. Must be deterministic given spec.seed. */
  run(spec: RunSpec<C>, ctx: RunContext): RunOutput | Promise<RunOutput>;
  /** Compute the verdict from all finished runs. */
  judge(runs: RunResult<C>[], profile: Profile): Judgement;
  /** Charts for the report. */
  charts(runs: RunResult<C>[]): ChartSpec[];
  /** Extra tables for the report (paper vs ours, invariance table...). */
  tables?(runs: RunResult<C>[]): ReportTable[];
}

/**
 * Throw from `run` when training diverges (NaN/Inf loss) to have the runner
 * record a `diverged` result at `step`, keeping whatever was measured so far
 * (`partial`), instead of building the `RunOutput` by hand. A diverged run is
 * a result, not a crash: the study goes on.
 */
export class Diverged extends Error {
  constructor(
    readonly step: number,
    readonly partial: Omit<RunOutput, 'status' | 'divergedAt'> = { metrics: {} },
  ) {
    super(`diverged at step ${step}`);
    this.name = 'Diverged';
  }
}
