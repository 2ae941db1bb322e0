import { createPublicKey, verify } from 'node:crypto'
import { appendFile, copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { publicKeyFromPeerId } from '@devq/core'
import { cli, waitMeshed } from './harness.ts'
import { gridFixture } from './grid-fixture.ts'
import { build, sha256File, waitPulled } from './builds.ts'
import { runDevq, validJson } from './cli-run.ts'

const fx = gridFixture()

const PIPELINE = `version: 1
jobs:
  build:
    steps:
      - name: make
        run: mkdir -p out && printf 'built by devq\\n' > out/hello.txt && printf 'notes\\n' > out/notes.txt
    artifacts:
      - name: hello
        kind: binary
        paths: [out/hello.txt]
      - name: notes
        kind: binary
        paths: [out/notes.txt]
`

interface Envelope { payloadType: string, payload: string, signatures: { keyid: string, sig: string }[] }

/** Checks a DSSE envelope's signature by hand, from the key inside the signer's peer id. */
function signedBy (envelope: Envelope, peerId: string): boolean {
  const body = Buffer.from(envelope.payload, 'base64')
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${envelope.payloadType.length} ${envelope.payloadType} ${body.length} `), body])
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKeyFromPeerId(peerId)!]), format: 'der', type: 'spki' })
  return envelope.signatures.length === 1 && envelope.signatures[0]!.keyid === peerId && verify(null, pae, key, Buffer.from(envelope.signatures[0]!.sig, 'base64'))
}

describe('provenance of a real build', () => {
  it('is signed by the runner, lists the artifacts, is the same on every peer, and verifies a pulled artifact offline but not a changed one', async () => {
    const cluster = await fx.grid(2, (i) => ['--slots', i === 0 ? '0' : '1'])
    const [a, b] = cluster.nodes
    await waitMeshed(cluster.nodes)
    const repo = await fx.repo(PIPELINE)
    const { run, jobs } = await build(a!, repo)
    const job = jobs.get('build')!
    expect(job.status, JSON.stringify(job.attempts)).toBe('succeeded')
    expect(job.result!.by).toBe(b!.peerId)

    const printed = await cli(['provenance', job.id, '--data-dir', a!.dataDir])
    const envelope = JSON.parse(printed) as Envelope
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json')
    expect(signedBy(envelope, b!.peerId)).toBe(true)
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'))
    expect(statement._type).toBe('https://in-toto.io/Statement/v1')
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1')
    expect(statement.subject.map((s: { name: string, digest: { sha256: string } }) => [s.name, `sha256:${s.digest.sha256}`]).sort())
      .toEqual(job.result!.artifacts.map((r) => [r.file, r.digest]).sort())
    expect(statement.predicate.buildDefinition.externalParameters).toMatchObject({ repo: run.repo, commit: run.commit, ref: 'refs/heads/main', pipelineJob: 'build' })
    expect(statement.predicate.buildDefinition.internalParameters).toMatchObject({ job: job.id, attempt: 1, origin: a!.peerId })
    expect(statement.predicate.runDetails.builder.id).toBe(`urn:devq:peer:${b!.peerId}`)
    expect(statement.predicate.runDetails.metadata.startedOn).toBe(new Date(job.attempts[0]!.startedAt!).toISOString())
    // Any peer rebuilds the same bytes from its own ledger; by digest it finds the same job.
    expect(await cli(['provenance', job.id, '--data-dir', b!.dataDir])).toBe(printed)
    const hello = job.result!.artifacts.find((r) => r.name === 'hello')!
    expect(await cli(['provenance', hello.digest, '--data-dir', b!.dataDir])).toBe(printed)
    const verdicts = validJson<{ jobs: { job: string, valid: boolean, envelope: Envelope, statement: unknown }[] }>('provenance', await cli(['provenance', job.id, '--json', '--data-dir', b!.dataDir]))
    expect(verdicts.jobs).toEqual([{ job: job.id, valid: true, envelope, statement }])
    const unknown = await runDevq(['provenance', `sha256:${'0'.repeat(64)}`, '--json', '--data-dir', b!.dataDir])
    expect(unknown).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('no job in this peer\'s ledger lists sha256:') })

    // The origin holds the artifacts; with the runner gone, verification needs no other peer.
    await waitPulled(a!, job.id)
    await b!.kill()
    const out = await fx.tempDir('pulled')
    await cli(['pull', job.id, '-o', out, '--data-dir', a!.dataDir])
    const file = join(out, 'hello.txt')
    expect(await sha256File(file)).toBe(hello.digest)
    const ok = await runDevq(['verify', file, '--data-dir', a!.dataDir])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toContain(`verified ${file} (${hello.digest})`)
    for (const fact of [job.id, run.commit, `runner  ${b!.peerId} (signed the provenance; member at its finish)`, `origin  ${a!.peerId}`]) expect(ok.stdout).toContain(fact)
    const asJson = validJson('verify', (await runDevq(['verify', file, '--job', 'build', '--json', '--data-dir', a!.dataDir])).stdout)
    expect(asJson).toMatchObject({ verified: true, digest: hello.digest, jobs: [{ job: job.id, commit: run.commit, runner: b!.peerId, origin: a!.peerId, runnerRoles: ['member'] }] })
    const notAdmin = await runDevq(['verify', file, '--require-role', 'admin', '--data-dir', a!.dataDir])
    expect(notAdmin.code).toBe(1)
    expect(notAdmin.stderr).toContain(`its runner ${b!.peerId} was a member at its finish, not admin (--require-role admin)`)

    const changed = join(out, 'hello-changed.txt')
    await copyFile(file, changed)
    await appendFile(changed, 'x')
    const refused = await runDevq(['verify', changed, '--data-dir', a!.dataDir])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/not verified: .*hello-changed\.txt[\s\S]*no job in this peer's ledger lists sha256:/)
    const againstJob = await runDevq(['verify', changed, '--job', job.id, '--data-dir', a!.dataDir])
    expect(againstJob.code).toBe(1)
    expect(againstJob.stderr).toMatch(/signed statement does not list sha256:[0-9a-f]{64}: the file is not what that job built/)
    const refusedJson = await runDevq(['verify', changed, '--json', '--data-dir', a!.dataDir])
    expect(refusedJson.code).toBe(1)
    expect(validJson('verify', refusedJson.stdout)).toMatchObject({ verified: false, jobs: [], reasons: [expect.stringContaining('no job in this peer\'s ledger lists')] })
    const missing = await runDevq(['verify', join(out, 'absent.txt'), '--json', '--data-dir', a!.dataDir])
    expect(missing).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('absent.txt: no such file') })
  }, 300_000)
})
