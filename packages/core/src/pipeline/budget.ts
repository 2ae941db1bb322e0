/**
 * The size of the plan a pipeline would expand to, computed from string lengths alone. A matrix
 * multiplies every job's steps, every step repeats the merged env, and `${VAR}` can repeat a long
 * value many times; a 256 KiB file could otherwise plan into gigabytes. Counting lengths instead
 * of building strings keeps the check itself cheap.
 */
import { PLACEHOLDER_SOURCE } from './interpolate.ts'
import type { Combination } from './matrix.ts'
import type { JobSpec, PipelineFile } from './types.ts'

/** Charge for each env entry and each step beyond its characters: object overhead is not free. */
const ENTRY_COST = 16
const STEP_COST = 64

/** Longest values the ledger lets `${DEVQ_REF}` and `${DEVQ_REPO}` take. */
const BUILTIN_LENGTHS: ReadonlyMap<string, number> = new Map([['DEVQ_REF', 256], ['DEVQ_REPO', 128]])

interface Template { base: number, refs: { name: string, width: number }[] }

function compile (template: string): Template {
  const out: Template = { base: template.length, refs: [] }
  for (const m of template.matchAll(new RegExp(PLACEHOLDER_SOURCE, 'g'))) {
    if (m[1] === '$') out.base -= 1
    else if (m[2] !== undefined) out.refs.push({ name: m[2], width: m[0].length })
  }
  return out
}

/** Length of the template once filled from variables of the given lengths (unknown names stay as written). */
function sizeOf (t: Template, lengths: ReadonlyMap<string, number>): number {
  let n = t.base
  for (const r of t.refs) {
    const len = lengths.get(r.name)
    if (len !== undefined) n += len - r.width
  }
  return n
}

/** Fills a level of env from the levels below it; returns the value lengths. */
function envLengths (env: Readonly<Record<string, string>>, vars: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>()
  for (const [k, v] of Object.entries(env)) out.set(k, sizeOf(compile(v), vars))
  return out
}

function weight (lengths: ReadonlyMap<string, number>): number {
  let n = 0
  for (const [k, len] of lengths) n += k.length + len + ENTRY_COST
  return n
}

/**
 * Planned size of one job over its combinations, in characters plus per-entry charges, stopping
 * early once past `cap`. Mirrors `planPipeline`'s merge order: global < job < matrix < step.
 */
export function jobPlanSize (job: JobSpec, global: ReadonlyMap<string, number>, combos: readonly Combination[], cap: number): number {
  const runs = job.steps.map((s) => compile(s.run))
  const artifacts = job.artifacts.flatMap((a) => [a.name, ...a.paths, ...a.exclude]).map(compile)
  let total = 0
  for (const combo of combos) {
    const matrix = new Map(Object.entries(combo).map(([k, v]) => [k, v.length]))
    const env = new Map([...global, ...envLengths(job.env, new Map([...BUILTIN_LENGTHS, ...global, ...matrix])), ...matrix])
    const vars = new Map([...env, ...BUILTIN_LENGTHS])
    const base = weight(env)
    total += base
    for (const a of artifacts) total += sizeOf(a, vars) + ENTRY_COST
    job.steps.forEach((step, i) => {
      const own = envLengths(step.env, vars)
      let stepEnv = base + weight(own)
      for (const k of own.keys()) if (env.has(k)) stepEnv -= k.length + (env.get(k) ?? 0) + ENTRY_COST
      const stepVars = new Map([...vars, ...own])
      total += STEP_COST + stepEnv + sizeOf(runs[i] ?? { base: 0, refs: [] }, stepVars) + (step.name?.length ?? 0)
    })
    if (total > cap) return total
  }
  return total
}

/** Lengths of the file-level env once its placeholders are filled. */
export function globalEnvLengths (file: PipelineFile): Map<string, number> {
  return envLengths(file.env, BUILTIN_LENGTHS)
}
