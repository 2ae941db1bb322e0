import type { Registry } from 'prom-client'
import { Priority, systemClock } from '@devq/core'
import { ARTIFACTS_PROTOCOL, GIT_PROTOCOL } from '@devq/runner'
import { createMetricsRegistry, type MetricsSample, type PeerStatus } from './metrics.ts'
import { observeJobs } from './metrics-jobs.ts'
import type { DevqNode } from './node.ts'
import { DEVQ_VERSION } from './version.ts'

/** A node's metrics: its registry, fed while the node runs. */
export interface NodeMetrics {
  readonly registry: Registry
  /** The text exposition of every family, each sample read once for the whole scrape. */
  scrape(): Promise<string>
  /** Stops listening to the ledger. Idempotent. */
  close(): void
}

/**
 * Peers the ledger knows: the members of a strict team (a removed one is no longer expected), or
 * every author of events in an open one, with the admin.
 */
function knownPeers (node: DevqNode): string[] {
  const team = node.fold.team()
  const known = team.mode === 'strict' ? Object.keys(team.members) : Object.keys(node.ledger.versionVector())
  return [node.team.admin, ...known]
}

function peersByStatus (node: DevqNode, own: PeerStatus): Record<PeerStatus, number> {
  const peers: Record<PeerStatus, number> = { idle: 0, busy: 0, draining: 0, offline: 0 }
  peers[own]++
  const counted = new Set([node.peerId])
  for (const p of node.presence.live(systemClock.monotonicMs(), node.scheduler.policy.leaseMs)) {
    if (counted.has(p.peer)) continue
    counted.add(p.peer)
    peers[p.status]++
  }
  for (const peer of knownPeers(node)) {
    if (counted.has(peer)) continue
    counted.add(peer)
    peers.offline++
  }
  return peers
}

/** One pass over the open jobs and the peers: O(open jobs + known peers). */
function sampleOf (node: DevqNode): MetricsSample {
  const queued = Object.fromEntries(Priority.options.map((p) => [p, 0])) as Record<Priority, number>
  for (const job of node.fold.openJobs()) if (job.status === 'queued') queued[job.priority]++
  const own = node.scheduler.presence()
  return {
    queued,
    peers: peersByStatus(node, own.status),
    slots: { used: Math.min(own.slots, node.scheduler.executing().length), free: own.freeSlots },
    mesh: node.mesh.stats(),
    ledgerEvents: node.ledger.size(),
    refusedFrames: node.runner.refusedFrames()
  }
}

/** Creates the metrics of `node` and starts counting its jobs' changes from now on. */
export function createNodeMetrics (node: DevqNode): NodeMetrics {
  let current: MetricsSample | undefined
  const sample = (): MetricsSample => current ?? sampleOf(node)
  const { registry, jobs } = createMetricsRegistry(sample, { version: DEVQ_VERSION, protocols: { source: GIT_PROTOCOL, artifacts: ARTIFACTS_PROTOCOL } })
  const off = node.ledger.onAccepted(observeJobs({ fold: node.fold, now: () => systemClock.monotonicMs() }, jobs))
  return {
    registry,
    async scrape () {
      current = sampleOf(node)
      try {
        return await registry.metrics()
      } finally {
        current = undefined
      }
    },
    close: off
  }
}
