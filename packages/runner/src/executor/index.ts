/** The pipeline executor: one attempt of a real job, from fetching its commit to its artifacts. */
export { createPipelineExecutor } from './executor.ts'
export type { AttemptRun, ExecutorComponents, ExecutorInit, PipelineExecutor, RunnerProtocol } from './types.ts'
export { ensureArtifact, fileOf, placeNeeds, segment, sourcesOf, type NeedsComponents } from './needs-input.ts'
export { planOf, PIPELINE_FILE, type JobPlan } from './plan-read.ts'
export { branchOf, stepEnv, type AttemptDirs } from './job-env.ts'
