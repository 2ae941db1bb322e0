/** `GET /v1/doctor`: what `devq doctor` needs from the running node besides its status. */
import type { FastifyInstance } from 'fastify'
import { systemClock } from '@devq/core'
import type { DevqNode } from './node.ts'

/**
 * Each live peer's clock skew: the wall time its newest heartbeat carries minus this machine's
 * wall time when it arrived (ms, so positive means the peer is ahead). Gossip delay adds a few ms.
 */
export function clockSkews (node: Pick<DevqNode, 'presence' | 'peerId'>, leaseMs: number, nowWallMs: number = Date.now(), nowMonoMs: number = systemClock.monotonicMs()): { peer: string, skewMs: number }[] {
  return node.presence.live(nowMonoMs, leaseMs).filter((p) => p.peer !== node.peerId).map((p) => {
    const heardAt = node.presence.lastSeen(p.peer) ?? nowMonoMs
    return { peer: p.peer, skewMs: Math.round(p.time - (nowWallMs - (nowMonoMs - heardAt))) }
  })
}

/** Registers `GET /v1/doctor`: the sandbox setting and the peers' clock skews. */
export function doctorRoutes (app: FastifyInstance, node: DevqNode): void {
  app.get('/v1/doctor', async () => ({ sandbox: node.config.sandbox, clocks: clockSkews(node, node.config.leaseMs) }))
}
