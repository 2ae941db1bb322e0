/**
 * Control API routes for looking after this node from the dashboard: downloading an artifact
 * (api-artifacts.ts), the team and a join token for a new member, and the slots and labels this
 * peer lends. Anyone who reaches the API (its bearer token, or the unix socket) may use them, as
 * `devq team token` and `devq config` need no more than the data dir.
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { Logger } from '@devq/core'
import type { DevqNode } from './node.ts'
import { ApiRequestError } from './errors.ts'
import { NodeConfig } from './config.ts'
import { describeIssue, issuePathName } from './config-file.ts'
import { NO_CONFIG_FILE, type ConfigKeeper } from './config-keeper.ts'
import { tokenFor } from './team-setup.ts'
import { artifactRoutes } from './api-artifacts.ts'

/** Body of `POST /v1/settings`: the config file's own schemas for `slots` and `labels` (ranges, no `devq:` label). */
export const SettingsRequest = z.strictObject({
  slots: NodeConfig.shape.slots.optional(),
  labels: NodeConfig.shape.labels.optional()
}).refine((r) => r.slots !== undefined || r.labels !== undefined, 'name slots, labels or both')

/** Parses the body as the config file's settings are checked, and says what is wrong in the same words. */
function parseSettings (body: unknown): z.infer<typeof SettingsRequest> {
  const given: unknown = body ?? {}
  const r = SettingsRequest.safeParse(given)
  // A label named twice is one label: kept and echoed once.
  if (r.success) return r.data.labels === undefined ? r.data : { ...r.data, labels: [...new Set(r.data.labels)] }
  const issue = r.error.issues[0]!
  const key = issue.path[0]
  const field = issue.code === 'unrecognized_keys' ? issue.keys[0] ?? '' : issue.path.join('.')
  const message = key === 'slots' || key === 'labels'
    ? `${issuePathName(issue.path)}: ${describeIssue(issue, NodeConfig.shape[key], (given as Record<string, unknown>)[key])}`
    : issue.message
  throw new ApiRequestError(`body: ${message}`, { status: 400, detail: 'body', ...(field === '' ? {} : { field }) })
}

const rank: Record<string, number> = { admin: 0, trusted: 1, member: 2 }

/** `GET /v1/team`: the fold's team, its members ranked (admins first) and this peer marked. */
function teamView (node: DevqNode): object {
  const team = node.fold.team()
  const members = Object.entries(team.members)
    .sort(([a, ra], [b, rb]) => (rank[ra] ?? 3) - (rank[rb] ?? 3) || (a < b ? -1 : 1))
    .map(([peer, role]) => ({ peer, role, self: peer === node.peerId }))
  return { name: team.name ?? node.team.name, mode: team.mode, self: node.peerId, members }
}

function settingsView (node: DevqNode): { slots: number, labels: string[] } {
  return { slots: node.capacity.slots(), labels: node.capacity.labels() }
}

/**
 * Registers `GET /v1/artifacts/:digest`, `GET /v1/team`, `POST /v1/team/token`, `GET /v1/settings`
 * and `POST /v1/settings`. A settings change applies at once and answers once `keeper` wrote it to
 * the config file, with `kept` saying whether it could.
 */
export function manageRoutes (app: FastifyInstance, components: { node: DevqNode, logger: Logger, keeper?: ConfigKeeper | undefined }): void {
  const { node, logger, keeper } = components
  artifactRoutes(app, node, logger)
  app.get('/v1/team', async () => teamView(node))
  // The same token as `devq team token`, with the addresses the mesh listens on now.
  app.post('/v1/team/token', async () => ({ token: (await tokenFor(node.config.dataDir, { addrs: node.mesh.addresses() })).token }))
  app.get('/v1/settings', async () => settingsView(node))
  app.post('/v1/settings', async (req) => {
    const change = parseSettings(req.body)
    node.capacity.set(change)
    const values = { ...(change.slots === undefined ? {} : { slots: change.slots }), ...(change.labels === undefined ? {} : { labels: change.labels }) }
    const kept = keeper === undefined ? { error: NO_CONFIG_FILE } : await keeper.keep(values)
    return { ...settingsView(node), kept }
  })
}
