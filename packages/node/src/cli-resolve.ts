/**
 * What the user typed, as a job or run id: the node resolves it (`GET /v1/resolve`): a full id, a
 * unique prefix of 4 or more hex digits, or a pipeline job name (its most recent job).
 */
import { z } from 'zod'
import type { ApiClient } from './client.ts'
import { CliUsageError, IdResolveError } from './errors.ts'
import { shaped } from './cli-output.ts'
import { shortRef } from './cli-style.ts'

export type TargetKind = 'job' | 'run'

const Match = z.object({ kind: z.enum(['job', 'run']), id: z.string(), pipelineJob: z.string().optional(), repo: z.string(), ref: z.string(), status: z.string(), announcedAt: z.number() })
const ResolveAnswer = z.object({ query: z.string(), matches: z.array(Match), total: z.number().int() })

/** A job or run that the user named. */
export interface Target {
  kind: TargetKind
  id: string
}

const matchLine = (m: z.infer<typeof Match>): string => `  ${m.kind} ${m.id.slice(0, 16)}  ${m.pipelineJob ?? '(run)'}  ${m.status}  ${shortRef(m.ref)}`

/**
 * The one job or run (of the kinds allowed) `query` names.
 * @throws {IdResolveError} `none` when it names none, `ambiguous` (listing the matches) when several.
 */
export async function resolveTarget (api: ApiClient, query: string, kinds: readonly TargetKind[]): Promise<Target> {
  const answer = shaped(ResolveAnswer, await api.get(`/v1/resolve?${new URLSearchParams({ q: query }).toString()}`), 'GET /v1/resolve')
  const matches = answer.matches.filter((m) => kinds.includes(m.kind))
  const what = kinds.join(' or ')
  if (matches.length === 0) {
    throw new IdResolveError(`no ${what} matches ${JSON.stringify(query)}: give a ${what} id (64 hex digits, or the first 4 or more of them) as devq jobs and devq runs list them${kinds.includes('job') ? ', or a pipeline job name' : ''}`, { query, detail: 'none', matches: [] })
  }
  if (matches.length > 1) {
    const cut = answer.total > answer.matches.length
    const lines = [...matches.map(matchLine), ...(cut ? ['  ...'] : [])]
    throw new IdResolveError(`${JSON.stringify(query)} matches ${cut ? 'more than ' : ''}${matches.length} ${[...new Set(matches.map((m) => `${m.kind}s`))].join(' and ')}; give more digits:\n${lines.join('\n')}`, { query, detail: 'ambiguous', matches: matches.map((m) => m.id) })
  }
  return { kind: matches[0]!.kind, id: matches[0]!.id }
}

/**
 * An argument that may be an artifact digest: one that starts with `sha256:` must be one
 * (64 hex digits; upper case taken as lower), anything else is left for the id lookup.
 * @throws {CliUsageError} for a malformed digest, before the node is asked.
 */
export function digestOrId (what: string, arg: string): string {
  if (!/^sha256:/i.test(what)) return what
  const digest = what.toLowerCase()
  // Shown back quoted and cut short: it came from the command line.
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new CliUsageError(`${JSON.stringify(what.slice(0, 80))} is not a digest: expected sha256: and 64 hex digits`, { arg, detail: 'not a digest' })
  return digest
}
