/**
 * A listed member of a strict team that breaks the ledger's rules on purpose, and a peer with the
 * key that is not a member, against real devq-node processes: every honest peer ends with the same
 * state, no honest job is lost or disturbed, and each refusal is counted with its reason.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createEvent, decodeEvent, failoverCoordinators, generateSigner, type BodyOf, type DecodedEvent, type EventType, type Signer } from '@devq/core'
import { parseTeamKey } from '@devq/p2p'
import { createAttacker, type Attacker } from '../../p2p/test/attacker.ts'
import { joinBundle, splitBundle } from '../../p2p/src/ledger-bundle.ts'
import { cli, removeDir, startNode, startStrictAdmin, tempDataDir, waitFor, waitSettled, type JobView, type NodeProc, type StatusView } from './harness.ts'
import { completions, overlapping, readRuns } from './runs.ts'

interface ChaosStatus extends StatusView {
  ledger: StatusView['ledger'] & { stats: { rejected: Record<string, number>, equivocations: number }, faulty: Record<string, number> }
  mesh: { rejected: { ledger: Record<string, number> }, ignored: { ledger: Record<string, number> } }
}

const nodes: NodeProc[] = []
const dirs: string[] = []
let attacker: Attacker | undefined
let stranger: Attacker | undefined
afterEach(async () => {
  await Promise.all([attacker?.stop(), stranger?.stop()])
  attacker = undefined
  stranger = undefined
  await Promise.all(nodes.splice(0).map(async (n) => { await n.stop() }))
  await Promise.all(dirs.splice(0).map(removeDir))
})

async function submit (node: NodeProc, body: Record<string, unknown>): Promise<string> {
  return (await node.post<{ id: string }>('/v1/jobs/synthetic', body)).id
}

const status = async (node: NodeProc): Promise<ChaosStatus> => await node.get<ChaosStatus>('/v1/status')
const jobOn = async (node: NodeProc, id: string): Promise<JobView & { announceLamport: number }> => await node.get(`/v1/jobs/${id}`)

/** The events the attacker heard on gossip, decoded. */
function heardEvents (a: Attacker): DecodedEvent[] {
  const out: DecodedEvent[] = []
  for (const message of a.heard) {
    for (const part of splitBundle(message, 1_000) ?? []) {
      const res = decodeEvent(part)
      if (res.ok) out.push(res.value)
    }
  }
  return out
}

/** An author whose chain the test writes by hand, choosing each Lamport value. */
function chainOf (signer: Signer) {
  let seq = 0
  let prev: string | null = null
  return {
    async next<T extends EventType> (lamport: number, type: T, body: BodyOf<T>): Promise<DecodedEvent> {
      const ev = await createEvent(signer, { seq: ++seq, prev, lamport, time: Date.now() }, type, body)
      prev = ev.id
      return ev
    },
    /** Signs another event at the last seq: the same author and seq, a different event. */
    async twin<T extends EventType> (lamport: number, type: T, body: BodyOf<T>, prevOf: string | null): Promise<DecodedEvent> {
      return await createEvent(signer, { seq, prev: prevOf, lamport, time: Date.now() }, type, body)
    }
  }
}

/** A strict team: an admin node and two members, plus a listed hostile member `eve` and its libp2p peer. */
async function strictTeam (): Promise<{ admin: NodeProc, members: NodeProc[], eve: Signer, teamKey: string, teamName: string }> {
  const { admin, dir: adminDir, token } = await startStrictAdmin()
  dirs.push(adminDir)
  nodes.push(admin)
  const members: NodeProc[] = []
  for (const name of ['m1', 'm2']) {
    const dir = await tempDataDir(name)
    dirs.push(dir)
    await cli(['team', 'join', token, '--data-dir', dir])
    const node = await startNode(dir, ['--slots', '1'])
    nodes.push(node)
    members.push(node)
    await cli(['team', 'add', node.peerId, '--data-dir', adminDir])
  }
  const team = JSON.parse(await readFile(join(adminDir, 'team.json'), 'utf8')) as { key: string, name: string }
  const eve = generateSigner()
  attacker = await createAttacker(parseTeamKey(team.key), admin.addresses[0]!, team.name)
  await cli(['team', 'add', eve.peerId, '--data-dir', adminDir])
  await cli(['team', 'add', attacker.peerId, '--data-dir', adminDir])
  // Listed bystanders, so a job has members that are not among its coordinators.
  for (let i = 0; i < 4; i++) await cli(['team', 'add', generateSigner().peerId, '--data-dir', adminDir])
  await waitFor('every node to list the whole team', async () => {
    for (const node of nodes) if (Object.keys((await status(node) as unknown as { team: { members: object } }).team.members).length < 9) return false
    return true
  }, 60_000)
  return { admin, members, eve, teamKey: team.key, teamName: team.name }
}

describe('a hostile member of a strict team against real devq-node processes', () => {
  it('re-spelled, far-ahead, unauthorized, equivocating and replayed events change nothing an honest peer agrees on', async () => {
    const { admin, members, eve, teamKey, teamName } = await strictTeam()
    const [m1] = members as [NodeProc, NodeProc]
    const a = attacker!
    const listed = Object.keys((await status(admin) as unknown as { team: { members: Record<string, string> } }).team.members)
    // A long job of m1 that eve does not coordinate, and a short one eve will try to cancel and fake.
    let long = await submit(m1, { durationMs: 15_000 })
    for (let tries = 0; failoverCoordinators(long, m1.peerId, listed).includes(eve.peerId) && tries < 20; tries++) long = await submit(m1, { durationMs: 15_000 })
    const short = await submit(m1, { durationMs: 300 })
    await waitFor('the long job to run', async () => (await jobOn(admin, long)).status === 'running' ? true : undefined, 60_000)
    const shortAnnounce = (await jobOn(admin, short)).announceLamport
    const before = await status(admin)
    const eveChain = chainOf(eve)

    // 1. A re-spelled honest event: the same signature bytes, another spelling, so another id.
    const honest = heardEvents(a).find((e) => e.event.author === m1.peerId)!
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const sig = honest.event.sig
    const respelled = Buffer.from(honest.bytes).toString('utf8').replace(sig, sig.slice(0, -1) + alphabet[alphabet.indexOf(sig.at(-1)!) ^ 1]!)
    await a.publish('ledger', Buffer.from(respelled))
    // 2. A Lamport value no honest peer could have reached.
    const ahead = await createEvent(eve, { seq: 1, prev: null, lamport: Number.MAX_SAFE_INTEGER, time: Date.now() }, 'job.bid', { job: short, attempt: 1, labels: [], score: { freeSlots: 1, cores: 1, load: 0, warm: false, shareMode: 'dedicated', userActive: false, recentFailures: 0 } })
    await a.publish('ledger', ahead.bytes)
    // 3. Events it has no authority for, placed where they would bite: a cancel and a faked cached
    //    result for m1's queued job, and `lost` for the long job's running attempt.
    const runner = (await jobOn(admin, long)).attempts[0]!.runner
    const maxHeard = Math.max(...heardEvents(a).map((e) => e.event.lamport))
    const forged = [
      await eveChain.next(shortAnnounce + 1, 'job.cancel_requested', { job: short, reason: 'eve says so' }),
      await eveChain.next(shortAnnounce + 2, 'job.finished', { job: short, attempt: 1, status: 'cached', exitCode: 0, durations: { runMs: 0, totalMs: 0 }, artifacts: [{ name: 'x', kind: 'binary', digest: `sha256:${'ee'.repeat(32)}`, size: 1 }], logDigest: null, cachedFrom: long }),
      await eveChain.next(maxHeard + 1, 'job.lost', { job: long, attempt: 1, runner, reason: 'runner_lost' })
    ]
    for (const ev of forged) await a.publish('ledger', ev.bytes)
    // 4. Equivocation: two versions of eve's next seq.
    const one = await eveChain.next(maxHeard + 2, 'job.priority_changed', { job: short, priority: 'critical' })
    const other = await eveChain.twin(maxHeard + 2, 'job.priority_changed', { job: short, priority: 'low' }, forged.at(-1)!.id)
    await a.publish('ledger', one.bytes)
    await a.publish('ledger', other.bytes)
    // 5. A peer with the key that is not a member replays old honest events in a new bundle, which
    //    gossip's duplicate filter (by message bytes) cannot recognize, as after its window.
    stranger = await createAttacker(parseTeamKey(teamKey), admin.addresses[0]!, teamName)
    await stranger.publish('ledger', joinBundle(heardEvents(a).filter((e) => e.event.author !== eve.peerId).slice(0, 5)))

    await waitFor('each refusal to be counted on the peer that heard it', async () => {
      const s = await status(admin)
      return (s.mesh.rejected.ledger.not_canonical ?? 0) > (before.mesh.rejected.ledger.not_canonical ?? 0) &&
        (s.mesh.ignored.ledger.lamport_ahead ?? 0) > (before.mesh.ignored.ledger.lamport_ahead ?? 0) && s.ledger.stats.equivocations > 0 &&
        (s.mesh.ignored.ledger.duplicate ?? 0) > (before.mesh.ignored.ledger.duplicate ?? 0)
    }, 60_000)
    const hash = await waitSettled(nodes, [long, short], 120_000)
    // What the runners did, from their own records: each job ran to its end once, never twice at once.
    const runs = await readRuns(dirs)
    expect(overlapping(runs)).toEqual([])
    for (const id of [long, short]) expect(completions(runs).get(id)?.map((r) => r.status)).toEqual(['succeeded'])
    for (const node of nodes) {
      const s = await status(node)
      expect(s.ledger.stateHash).toBe(hash)
      // Eve is faulty everywhere; the author of the re-spelled event is not.
      expect(s.ledger.faulty).toEqual({ [eve.peerId]: one.event.seq })
      const [l, sh] = [await jobOn(node, long), await jobOn(node, short)]
      // The long job ran once, to the end, on the runner it was awarded to; the short one ran for real.
      expect(l).toMatchObject({ status: 'succeeded', attempt: 1, result: { by: runner } })
      expect(l.attempts).toHaveLength(1)
      expect(sh).toMatchObject({ status: 'succeeded', attempt: 1 })
      expect(sh.result!.by).not.toBe(eve.peerId)
    }
  }, 240_000)
})
