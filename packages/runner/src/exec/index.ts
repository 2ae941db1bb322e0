/**
 * The step executor: runs a job's steps one at a time as process trees that cannot outlive their
 * step, optionally in the bubblewrap sandbox, with process and memory limits.
 */
export { runStep, DEFAULT_GRACE_MS, MAX_SCRIPT_BYTES, type StepComponents, type StepLimits, type StepOutcome, type StepResult, type StepSpec } from './step.ts'
export { detectContainment, type Containment, type ContainmentInit, type ContainmentMode } from './containment.ts'
export { detectSandbox, sandboxArgs, type SandboxSpec, type SandboxStatus } from './sandbox.ts'
export { STEP_COOKIE_VAR } from './proc.ts'
export { settleStepCgroups } from './cgroup.ts'
export { LOW_PRIORITY_IO, LOW_PRIORITY_NICE } from './priority.ts'
export type { LimitHit } from './guard.ts'
export type { OutputSink } from './output.ts'
