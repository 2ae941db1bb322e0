/**
 * What a verified delivery asks for: a branch push to build, an event to ignore (a ping, a tag
 * push, a branch deletion, any other event), or a payload that does not say what a push must.
 * Only the fields used are validated; forges add fields over time and those pass through unread.
 *
 * - GitHub and Gitea/Forgejo: `ref`, `after` (the new head), `deleted` (GitHub), and
 *   `repository.clone_url`.
 * - GitLab (`Push Hook`): `ref`, `after`, `project.git_http_url`; a deleted branch has an all-zero
 *   `after`, and tags come as `Tag Push Hook`.
 *
 * Pure.
 */
import { z } from 'zod'
import { CloneUrl, isBranchRef } from './forge-url.ts'
import type { Forge, Sender } from './webhook-signature.ts'

/** A push the node will fetch and build. */
export interface Push {
  forge: Forge
  /** The clone URL as the forge sent it (may hold credentials: redact before showing). */
  url: string
  /** `refs/heads/<branch>`. */
  ref: string
  /** The new head of the branch. */
  commit: string
}

/** What a delivery comes to. */
export type PushReading =
  | { kind: 'push', push: Push }
  | { kind: 'ignored', reason: string }
  | { kind: 'bad', message: string, field?: string }

const ZERO_SHA = /^0{40}$/
const Commit = z.string().regex(/^[0-9a-f]{40}$/, 'a commit id of 40 lower-case hex digits')
const Head = z.object({
  ref: z.string().min(1).max(256),
  after: z.string().max(128),
  deleted: z.boolean().optional()
})
const GithubRepository = z.object({ repository: z.object({ clone_url: CloneUrl }) })
const GitlabProject = z.object({ project: z.object({ git_http_url: CloneUrl }) })

/** The events that are pushes, per forge; every other event is answered 204. */
const PUSH_EVENTS: Record<Forge, string> = { github: 'push', gitea: 'push', gitlab: 'Push Hook' }

function bad (error: z.ZodError): PushReading {
  const issue = error.issues[0]
  const field = issue?.path.join('.') ?? ''
  return { kind: 'bad', message: `${field === '' ? 'payload' : field}: ${issue?.message ?? 'invalid'}`, ...(field === '' ? {} : { field }) }
}

/** The JSON of the body: GitHub's form encoding carries it in its `payload` field. */
function jsonOf (contentType: string | undefined, body: Uint8Array): unknown {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
  const form = contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded') === true
  try {
    return JSON.parse(form ? new URLSearchParams(text).get('payload') ?? '' : text)
  } catch {
    return undefined
  }
}

/** Reads the push that a delivery (already verified) names. */
export function readPush (sender: Sender, contentType: string | undefined, body: Uint8Array): PushReading {
  if (sender.event !== PUSH_EVENTS[sender.forge]) return { kind: 'ignored', reason: `${sender.event} is not a push event` }
  const json = jsonOf(contentType, body)
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { kind: 'bad', message: 'the body is not a JSON object (set the webhook\'s content type to application/json)' }
  const head = Head.safeParse(json)
  if (!head.success) return bad(head.error)
  const { ref, after, deleted } = head.data
  if (deleted === true || ZERO_SHA.test(after)) return { kind: 'ignored', reason: `${ref} was deleted` }
  if (ref.startsWith('refs/tags/')) return { kind: 'ignored', reason: `${ref} is a tag push` }
  if (!ref.startsWith('refs/heads/')) return { kind: 'ignored', reason: `${ref} is not a branch` }
  if (!isBranchRef(ref)) return { kind: 'bad', message: `ref: ${JSON.stringify(ref)} is not a valid branch name`, field: 'ref' }
  const commit = Commit.safeParse(after)
  if (!commit.success) return { kind: 'bad', message: `after: ${commit.error.issues[0]?.message ?? 'invalid'}`, field: 'after' }
  if (sender.forge === 'gitlab') {
    const project = GitlabProject.safeParse(json)
    if (!project.success) return bad(project.error)
    return { kind: 'push', push: { forge: sender.forge, url: project.data.project.git_http_url, ref, commit: commit.data } }
  }
  const repository = GithubRepository.safeParse(json)
  if (!repository.success) return bad(repository.error)
  return { kind: 'push', push: { forge: sender.forge, url: repository.data.repository.clone_url, ref, commit: commit.data } }
}
