/**
 * The `.devq.yml` pipeline, in two layers: `parsePipeline` (text -> validated `PipelineFile`) and
 * `planPipeline` (`PipelineFile` + commit -> backend-neutral `PipelinePlan`).
 */
export { parsePipeline, validatePipeline, type ParseOptions, type ValidationResult } from './parse.ts'
export { planPipeline, SANDBOX_LABEL, defaultStepName, type PlanContext, type PipelinePlan, type PlannedJob, type PlannedStep, type PlannedArtifact } from './plan.ts'
export { pipelineJsonSchema, renderPipelineJsonSchema } from './json-schema.ts'
export { formatIssue, type PipelineIssue } from './issues.ts'
export { PIPELINE_LIMITS, PIPELINE_DEFAULTS } from './limits.ts'
export { durationMs } from './duration.ts'
export type {
  PipelineFile, JobSpec, StepSpec, ArtifactSpec, MatrixSpec, ConcurrencySpec, Workspace, ArtifactKind
} from './types.ts'
export { starterPipeline, detectBuildSystem, type BuildSystem } from './starter.ts'
export { LOADER_ENV } from './check.ts'
