/**
 * `@normkit/lab`: the study behind `normkit why`, usable from code.
 *
 * ```ts
 * import { loadExperiments, selectExperiments, runStudy } from '@normkit/lab';
 * const exps = selectExperiments(await loadExperiments(), ['invariances']);
 * await runStudy({ experiments: exps, profile: 'smoke', out: 'results/smoke' });
 * ```
 */
export { runStudy, planRuns, defaultJobs, type StudyOptions, type StudyOutcome } from './runner.js';
export { loadExperiments, selectExperiments, LAB_ORDER } from './registry.js';
export { buildReport, judgeExperiment, type BuildOptions, type BuiltReport, type StudyResults, type ExperimentReport } from './report/build.js';
export { Diverged, type Experiment, type Profile, type Verdict, type RunSpec, type RunOutput, type RunResult, type Judgement } from './experiment.js';
export { readCsv, parseCsv, formatCsv, CsvError, type CsvOptions, type CsvRow, type CsvSource } from './io/csv.js';
export { readIdx, writeIdx, IdxError, type IdxArray, type IdxType } from './io/idx.js';
export { loadCsvTensor, loadCsvClassification, loadIdxTensor, loadIdxClassification, type CsvClassificationOptions } from './io/datasets.js';
export { main as runCli } from './cli/main.js';
