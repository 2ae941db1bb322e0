/** Checks `MeshInit` and fills in defaults, so the mesh itself never meets a bad option. */
import { MeshConfigError } from './errors.ts'
import { DEFAULT_SYNC_INTERVAL_MS } from './limits.ts'
import { teamNames, type TeamNames } from './topics.ts'
import type { MeshFaults, MeshInit } from './types.ts'

/** `MeshInit` with defaults applied and the derived names. */
export interface ResolvedInit extends MeshInit {
  listen: string[]
  bootstrap: string[]
  mdns: boolean
  syncIntervalMs: number
  faults: Required<MeshFaults>
  names: TeamNames
}

function fail (field: string, detail: string): never {
  throw new MeshConfigError(`invalid mesh option ${field}: ${detail}`, { field, detail })
}

function fraction (field: string, value: number | undefined): number {
  if (value === undefined) return 0
  if (!Number.isFinite(value) || value < 0 || value > 1) fail(field, 'must be a number from 0 to 1')
  return value
}

function resolveFaults (faults: MeshFaults = {}): Required<MeshFaults> {
  const delayMs = faults.delayMs ?? 0
  if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > 60_000) fail('faults.delayMs', 'must be 0 to 60000 ms')
  return { drop: fraction('faults.drop', faults.drop), duplicate: fraction('faults.duplicate', faults.duplicate), delayMs }
}

/** Validates `init`; throws MeshConfigError naming the first bad field. */
export function resolveInit (init: MeshInit): ResolvedInit {
  if (init.privateKey?.type !== 'Ed25519') fail('privateKey', 'must be an Ed25519 libp2p private key')
  const names = teamNames(init.team)
  const syncIntervalMs = init.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS
  if (!Number.isInteger(syncIntervalMs) || syncIntervalMs < 100 || syncIntervalMs > 3_600_000) fail('syncIntervalMs', 'must be an integer from 100 to 3600000')
  const listen = init.listen ?? ['/ip4/127.0.0.1/tcp/0']
  if (listen.length === 0) fail('listen', 'needs at least one address')
  const bootstrap = init.bootstrap ?? []
  for (const addr of bootstrap) if (!addr.includes('/p2p/')) fail('bootstrap', `${addr} has no /p2p/<peer id>`)
  return { ...init, listen, bootstrap, mdns: init.mdns === true, syncIntervalMs, faults: resolveFaults(init.faults), names }
}
