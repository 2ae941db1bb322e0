import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { attemptFacts, createFold, signProvenance, type ArtifactRef, type DecodedEvent } from '@devq/core'
import { parseTeamKey } from '@devq/p2p'
import { createAttacker, type Attacker } from '../../p2p/test/attacker.ts'
import { Author, announceBody, score } from '../../core/test/helpers.ts'
import { removeDir, startCluster, tempDataDir, waitFor, type Cluster, type JobView } from './harness.ts'
import { sha256File } from './builds.ts'
import { runDevq, validJson } from './cli-run.ts'

let cluster: Cluster | undefined
let attacker: Attacker | undefined
let dir: string | undefined
afterEach(async () => {
  await attacker?.stop()
  attacker = undefined
  await cluster?.stop()
  cluster = undefined
  if (dir !== undefined) await removeDir(dir)
  dir = undefined
})

/**
 * A whole job by one hostile member, as one bundle of its chain: it announces (with a label no
 * honest peer has), bids, awards itself, starts and finishes listing `artifact`, with `sig` as
 * the finish's provenance signature (`sign` makes the real one).
 */
async function hostileJob (author: Author, lamport: number, artifact: ArtifactRef, sig: 'sign' | string): Promise<{ id: string, events: DecodedEvent[] }> {
  const a = await author.make(lamport, 'job.announced', announceBody({ labels: ['hostile-only'], repo: 'evil' }))
  const events = [a,
    await author.make(lamport + 1, 'job.bid', { job: a.id, attempt: 1, labels: ['hostile-only'], score }),
    await author.make(lamport + 2, 'job.awarded', { job: a.id, attempt: 1, runner: author.id }),
    await author.make(lamport + 3, 'job.started', { job: a.id, attempt: 1 })]
  const body = { job: a.id, attempt: 1, status: 'succeeded' as const, exitCode: 0, durations: { runMs: 5, totalMs: 5 }, artifacts: [artifact], logDigest: null }
  const fold = createFold()
  fold.apply(events)
  const provenance = sig === 'sign' ? await signProvenance(author.signer, attemptFacts(fold.job(a.id)!, author.id, events[3]!.event.time, body)) : sig
  events.push(await author.make(lamport + 4, 'job.finished', { ...body, provenance: { sig: provenance } }))
  return { id: a.id, events }
}

describe('provenance against a hostile member', () => {
  it('reports a finish with a forged provenance signature as not verifying, and keeps the finish; an honestly signed one of the same member verifies', async () => {
    cluster = await startCluster(1, () => ['--slots', '1'])
    const [node] = cluster.nodes
    const team = JSON.parse(await readFile(join(cluster.dirs[0]!, 'team.json'), 'utf8')) as { key: string, name: string }
    attacker = await createAttacker(parseTeamKey(team.key), node!.addresses[0]!, team.name)
    dir = await tempDataDir('files')
    const forgedFile = join(dir, 'forged.bin')
    const signedFile = join(dir, 'signed.bin')
    await writeFile(forgedFile, 'claimed by a forged signature\n')
    await writeFile(signedFile, 'signed by its own runner\n')
    const ref = async (path: string, name: string): Promise<ArtifactRef> => ({ name, kind: 'binary', file: name, digest: await sha256File(path), size: (await readFile(path)).length })

    const author = new Author()
    const forged = await hostileJob(author, 10, await ref(forgedFile, 'forged.bin'), randomBytes(64).toString('base64'))
    const signed = await hostileJob(author, 20, await ref(signedFile, 'signed.bin'), 'sign')
    await attacker.publish('ledger', Buffer.from([...forged.events, ...signed.events].map((e) => Buffer.from(e.bytes).toString()).join('\n')))
    await waitFor('both hostile jobs to finish on the honest node', async () => {
      const jobs = await node!.get<JobView[]>('/v1/jobs')
      return [forged.id, signed.id].every((id) => jobs.find((j) => j.id === id)?.status === 'succeeded')
    }, 30_000)

    const bad = await runDevq(['provenance', forged.id, '--data-dir', node!.dataDir])
    expect(bad.code).toBe(1)
    expect(bad.stdout).toBe('')
    expect(bad.stderr).toContain(`the runner ${author.id}'s provenance signature does not verify over the statement rebuilt from the ledger`)
    const badJson = validJson('provenance', (await runDevq(['provenance', forged.id, '--json', '--data-dir', node!.dataDir])).stdout)
    expect(badJson).toMatchObject({ jobs: [{ job: forged.id, valid: false, problem: 'bad_signature' }] })
    const refused = await runDevq(['verify', forgedFile, '--data-dir', node!.dataDir])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/not verified[\s\S]*its provenance does not hold: the runner .* provenance signature does not verify/)

    const good = await runDevq(['provenance', signed.id, '--json', '--data-dir', node!.dataDir])
    expect(good.code, good.stderr).toBe(0)
    expect(validJson('provenance', good.stdout)).toMatchObject({ jobs: [{ job: signed.id, valid: true, envelope: { signatures: [{ keyid: author.id }] } }] })
    const accepted = await runDevq(['verify', signedFile, '--data-dir', node!.dataDir])
    expect(accepted.code, accepted.stderr).toBe(0)
    // Signed by its runner, yet by a peer no one listed: verify says who, and holds it to what is asked.
    expect(accepted.stdout).toContain(`runner  ${author.id} (signed the provenance; member at its finish)`)
    const asJson = JSON.parse((await runDevq(['verify', signedFile, '--json', '--data-dir', node!.dataDir])).stdout)
    expect(asJson).toMatchObject({ verified: true, jobs: [{ job: signed.id, runner: author.id, runnerRoles: ['member'], runnerRolesNow: ['member'] }] })
    const untrusted = await runDevq(['verify', signedFile, '--require-role', 'trusted', '--data-dir', node!.dataDir])
    expect(untrusted.code).toBe(1)
    expect(untrusted.stderr).toContain(`its runner ${author.id} was a member at its finish, not trusted (--require-role trusted)`)
    const otherRunner = await runDevq(['verify', signedFile, '--runner', node!.peerId, '--json', '--data-dir', node!.dataDir])
    expect(otherRunner.code).toBe(1)
    expect(JSON.parse(otherRunner.stdout)).toMatchObject({ verified: false, jobs: [], reasons: [`job ${signed.id.slice(0, 12)}: its runner is ${author.id}, not the one required (--runner ${node!.peerId})`] })
    const named = await runDevq(['verify', signedFile, '--runner', node!.peerId, '--runner', author.id, '--require-role', 'member', '--data-dir', node!.dataDir])
    expect(named.code, named.stderr).toBe(0)
    const prefix = await runDevq(['verify', signedFile, '--runner', author.id.slice(0, 12), '--data-dir', node!.dataDir])
    expect(prefix.code).toBe(2)
    expect(prefix.stderr).toMatch(/--runner .*: not a peer id; give the runner's full peer id/)
  }, 120_000)
})
