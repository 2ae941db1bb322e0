import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
// Replays are covered where they can be staged precisely: packages/p2p/test/security.test.ts.
import { afterEach, describe, expect, it } from 'vitest'
import { createEvent, generateSigner } from '@devq/core'
import { parseTeamKey } from '@devq/p2p'
import { createAttacker, type Attacker } from '../../p2p/test/attacker.ts'
import { startCluster, waitFor, waitMeshed, type Cluster, type JobView, type NodeProc } from './harness.ts'
import { samplesOf, scrape, valueOf } from './scrape.ts'

interface MeshStatus {
  ledger: { stateHash: string, size: number }
  mesh: { rejected: { ledger: Record<string, number> }, ignored: { ledger: Record<string, number> } }
}

let cluster: Cluster | undefined
let attacker: Attacker | undefined
afterEach(async () => {
  await attacker?.stop()
  attacker = undefined
  await cluster?.stop()
  cluster = undefined
})

const announce = {
  repo: 'evil', ref: 'main', commit: 'e'.repeat(40), pipelineJob: 'x', priority: 'critical' as const, labels: [], retry: { max: 0, when: [] },
  timeoutMs: 0, cache: false, sensitive: false, source: { addrs: [] }, synthetic: { durationMs: 10, exitCode: 0, outputBytes: 0 }
}

async function counters (node: NodeProc): Promise<MeshStatus> {
  return await node.get<MeshStatus>('/v1/status')
}

describe('devq-node against a hostile peer with the team key', () => {
  it('rejects and counts a forged event, an oversized message and a request frame that is not JSON; nothing else changes', async () => {
    cluster = await startCluster(2, () => ['--slots', '1'])
    const [a, b] = cluster.nodes as [NodeProc, NodeProc]
    await waitMeshed([a, b])
    const team = JSON.parse(await readFile(join(cluster.dirs[0]!, 'team.json'), 'utf8')) as { key: string, name: string }
    attacker = await createAttacker(parseTeamKey(team.key), a.addresses[0]!, team.name)
    const before = await counters(a)

    // Forged: an announce that claims to be node b's, signed by another key.
    const forger = generateSigner()
    const real = await createEvent(forger, { seq: 1, prev: null, lamport: 1, time: Date.now() }, 'job.announced', announce)
    const forged = Buffer.from(real.bytes).toString().replace(forger.peerId, b.peerId)
    await attacker.publish('ledger', Buffer.from(forged))
    await attacker.publish('ledger', new Uint8Array(200 * 1024).fill(0x7b))
    await waitFor('the forged and oversized messages to be counted', async () => {
      const r = (await counters(a)).mesh.rejected.ledger
      return (r.bad_signature ?? 0) > (before.mesh.rejected.ledger.bad_signature ?? 0) && (r.too_large ?? 0) > (before.mesh.rejected.ledger.too_large ?? 0)
    }, 30_000)
    const after = await counters(a)
    expect(after.ledger.stateHash).toBe(before.ledger.stateHash)
    expect(after.ledger.size).toBe(before.ledger.size)

    expect((await a.get<JobView[]>('/v1/jobs')).map((j) => j.origin)).not.toContain(b.peerId)

    // What a dashboard shows of it, and of a request frame that is not JSON on a direct stream.
    const rejected = async (reason: string): Promise<number> => valueOf(samplesOf((await scrape(a)).text), 'devq_rejected_total', { reason })
    expect(await rejected('bad_signature')).toBe(after.mesh.rejected.ledger.bad_signature)
    expect(await rejected('too_large')).toBe(after.mesh.rejected.ledger.too_large)
    const answer = await attacker.exchange(`/devq/${team.name}/artifacts/1.0.0`, Buffer.from('\x00\x00\x00\x05hello'))
    expect(answer.subarray(4).toString()).toMatch(/"ok":false.*"name":"ProtocolError"/)
    expect(await rejected('bad_frame')).toBe(1)
  }, 120_000)
})
