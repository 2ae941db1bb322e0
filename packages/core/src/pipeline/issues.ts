/**
 * Problems in a `.devq.yml`, from zod issues or from cross-field checks, turned into located
 * `PipelineError`s. The first problem by position in the file is the one the error carries.
 */
import type { z } from 'zod'
import { PipelineError } from '../errors.ts'
import type { KeyPath, YamlSource } from './source.ts'

/** A problem at a key path; `onKey` points at the key itself (unknown or malformed keys). */
export interface PipelineProblem {
  path: KeyPath
  detail: string
  onKey?: boolean
}

/** A problem with its place in the file: what `PipelineError.data` carries. */
export interface PipelineIssue {
  file: string
  /** 1-based line. */
  line: number
  /** 1-based column. */
  col: number
  /** Key path like `jobs.build.steps[1].run`; empty for the whole file. */
  key: string
  detail: string
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/

/** `['jobs', 'build', 'steps', 1, 'run']` -> `jobs.build.steps[1].run`. */
export function formatKeyPath (path: KeyPath): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`
    else out += `[${JSON.stringify(seg)}]`
  }
  return out
}

/** `.devq.yml:12:7 jobs.build.timeout: expected a duration like 30m`. */
export function formatIssue (issue: PipelineIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.col}`
  return issue.key === '' ? `${where} ${issue.detail}` : `${where} ${issue.key}: ${issue.detail}`
}

/** Problems located per call; hostile input can produce thousands and each costs a walk of the document. */
const MAX_LOCATED = 200

/** Locates problems, drops duplicates and sorts them by position in the file. */
export function locateProblems (file: string, problems: readonly PipelineProblem[], source: YamlSource): PipelineIssue[] {
  const seen = new Set<string>()
  const out: PipelineIssue[] = []
  for (const p of problems.slice(0, MAX_LOCATED)) {
    const { line, col } = source.locate(p.path, p.onKey)
    const issue = { file, line, col, key: formatKeyPath(p.path), detail: p.detail }
    const id = `${issue.key}\0${issue.detail}`
    if (seen.has(id)) continue
    seen.add(id)
    out.push(issue)
  }
  return out.sort((a, b) => a.line - b.line || a.col - b.col)
}

/** The error `parsePipeline` throws: the first issue in `data`, every issue (up to 20) in the message. */
export function pipelineError (issues: readonly PipelineIssue[]): PipelineError {
  const first = issues[0] ?? { file: '', line: 1, col: 1, key: '', detail: 'invalid pipeline' }
  const lines = issues.slice(0, 20).map(formatIssue)
  if (issues.length > 20) lines.push(`... and ${issues.length - 20} more`)
  return new PipelineError(lines.join('\n') || formatIssue(first), first)
}

/** Zod issues as problems: unions narrowed to the branch that fits best, unknown keys one by one. */
export function zodProblems (issues: readonly z.core.$ZodIssue[], base: KeyPath = []): PipelineProblem[] {
  const out: PipelineProblem[] = []
  for (const issue of issues) {
    const path = [...base, ...issue.path.filter((s): s is string | number => typeof s !== 'symbol')]
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...path, key], detail: `unknown key "${key}"`, onKey: true })
    } else if (issue.code === 'invalid_key') {
      out.push({ path, detail: issue.issues[0]?.message ?? issue.message, onKey: true })
    } else if (issue.code === 'invalid_union') {
      const branch = closestBranch(issue.errors)
      if (branch === undefined) out.push({ path, detail: issue.message })
      else out.push(...zodProblems(branch, path))
    } else {
      out.push({ path, detail: tidy(issue.message) })
    }
  }
  return out
}

/**
 * The union branch whose failure says the most: one that got past the type check. When every
 * branch failed on type alone, the union's own message ("expected a label or a list of labels")
 * is the clearest thing to say, so none is picked.
 */
function closestBranch (branches: readonly (readonly z.core.$ZodIssue[])[]): readonly z.core.$ZodIssue[] | undefined {
  return branches.find((b) => !b.every((i) => i.code === 'invalid_type' && i.path.length === 0))
}

function tidy (message: string): string {
  if (/received undefined$/.test(message)) return 'required key is missing'
  // zod's defaults read "Invalid input: expected string, received number"; keep the useful half.
  const m = /^Invalid (?:input|option|string|number|type)?:?\s*(expected .*)$/i.exec(message)
  return m?.[1] ?? message.charAt(0).toLowerCase() + message.slice(1)
}
