/**
 * The first layer: `.devq.yml` text -> a validated `PipelineFile`, or located problems.
 * YAML decoding (with its resource guards), then the zod schema, then the cross-field checks.
 */
import type { PipelineError } from '../errors.ts'
import { checkPipelineFile } from './check.ts'
import { PipelineInput } from './input.ts'
import { locateProblems, pipelineError, zodProblems, type PipelineIssue } from './issues.ts'
import { normalizePipeline } from './normalize.ts'
import { loadYaml } from './source.ts'
import type { PipelineFile } from './types.ts'

/** Options of `parsePipeline` and `validatePipeline`. */
export interface ParseOptions {
  /** Name used in error messages; default `.devq.yml`. */
  file?: string
}

/** Either the pipeline or every problem found, sorted by position (at least one). */
export type ValidationResult =
  | { ok: true, value: PipelineFile }
  | { ok: false, issues: PipelineIssue[] }

/**
 * Validates `.devq.yml` text without throwing. For callers that show every problem at once
 * (an editor, `devq check`). Pure; linear in the text, which is capped at 256 KiB.
 */
export function validatePipeline (text: string, options: ParseOptions = {}): ValidationResult {
  const file = options.file ?? '.devq.yml'
  const loaded = loadYaml(text)
  if (!loaded.ok) {
    const { line, col } = loaded.position(loaded.problem.offset)
    return { ok: false, issues: [{ file, line, col, key: '', detail: loaded.problem.detail }] }
  }
  const source = loaded.source
  const parsed = PipelineInput.safeParse(source.value)
  if (!parsed.success) return { ok: false, issues: locateProblems(file, zodProblems(parsed.error.issues), source) }
  const value = normalizePipeline(parsed.data, file)
  const problems = checkPipelineFile(value)
  if (problems.length > 0) return { ok: false, issues: locateProblems(file, problems, source) }
  return { ok: true, value }
}

/**
 * Parses and validates `.devq.yml` text.
 * @throws {PipelineError} naming `file:line:col` and the key path of the first problem, e.g.
 *   `.devq.yml:12:7 jobs.build.timeout: expected a duration like 30m, 90s or 1h30m, or a number of seconds`;
 *   further problems follow on their own lines of the message.
 */
export function parsePipeline (text: string, options: ParseOptions = {}): PipelineFile {
  const result = validatePipeline(text, options)
  if (!result.ok) throw pipelineError(result.issues) satisfies PipelineError
  return result.value
}
