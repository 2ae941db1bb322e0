import { createPublicKey, randomBytes, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  attemptFacts, canonicalBytes, checkProvenance, createFold, decodeEventValue, publicKeyFromPeerId, signProvenance,
  type ArtifactRef, type BodyOf, type DecodedEvent
} from '../../src/index.ts'
import { Author, announceBody, finishBody, score } from '../helpers.ts'

const artifact = (name: string, bytes: string): ArtifactRef =>
  ({ name, kind: 'binary', file: name, digest: `sha256:${Buffer.from(bytes).toString('hex').padEnd(64, '0').slice(0, 64)}`, size: bytes.length })

/** One attempt on a real fold: announce, bid, award and start, then the finish `sign` makes of the runner's own state. */
async function attempt (announce: Partial<BodyOf<'job.announced'>>, finish: (job: string) => BodyOf<'job.finished'>, sign: 'runner' | 'garbage' | 'none' | Author = 'runner') {
  const origin = new Author()
  const runner = new Author()
  const a = await origin.make(1, 'job.announced', announceBody(announce))
  const started = await runner.make(4, 'job.started', { job: a.id, attempt: 1 })
  const before = [a, await runner.make(2, 'job.bid', { job: a.id, attempt: 1, labels: [], score }), await origin.make(3, 'job.awarded', { job: a.id, attempt: 1, runner: runner.id }), started]
  const fold = createFold()
  fold.apply(before)
  // What the runner signs: its own fold's state of the job and the time of its started event.
  const state = fold.job(a.id)!
  const body = finish(a.id)
  const facts = attemptFacts(state, runner.id, state.attempts[0]!.startedAt!, body)
  const sig = sign === 'none' ? undefined : sign === 'garbage' ? randomBytes(64).toString('base64') : await signProvenance(sign === 'runner' ? runner.signer : sign.signer, facts)
  const done = await runner.make(5, 'job.finished', { ...body, ...(sig === undefined ? {} : { provenance: { sig } }) })
  fold.apply([done])
  return { origin, runner, events: { announce: a, started, finish: done }, fold, job: a.id }
}

const succeeded = (artifacts: ArtifactRef[]) => (job: string): BodyOf<'job.finished'> => ({ ...finishBody(job, 1, 'succeeded'), artifacts, logDigest: `sha256:${'1'.repeat(64)}` })

/** The DSSE signature of `envelope` checked by hand: PAE of its payload, the runner's raw public key. */
function dsseHolds (envelope: { payloadType: string, payload: string, signatures: { keyid: string, sig: string }[] }): boolean {
  const body = Buffer.from(envelope.payload, 'base64')
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${envelope.payloadType.length} ${envelope.payloadType} ${body.length} `), body])
  const { keyid, sig } = envelope.signatures[0]!
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKeyFromPeerId(keyid)!]), format: 'der', type: 'spki' })
  return verify(null, pae, key, Buffer.from(sig, 'base64'))
}

describe('attempt provenance', () => {
  it('is an in-toto statement with a SLSA v1 predicate that the runner signed and anyone rebuilds from the ledger', async () => {
    const refs = [artifact('hello', 'hello'), artifact('hello.tar.gz', 'tarball')]
    const { runner, origin, events, fold, job } = await attempt({ tree: 'b'.repeat(40), run: 'f'.repeat(32) }, succeeded(refs))
    const verdict = checkProvenance(events)
    expect(verdict.valid, JSON.stringify(verdict)).toBe(true)
    if (!verdict.valid) return
    expect(verdict.envelope).toMatchObject({ payloadType: 'application/vnd.in-toto+json', signatures: [{ keyid: runner.id }] })
    expect(dsseHolds(verdict.envelope)).toBe(true)
    const statement = JSON.parse(Buffer.from(verdict.envelope.payload, 'base64').toString('utf8'))
    expect(statement).toMatchObject({
      _type: 'https://in-toto.io/Statement/v1',
      predicateType: 'https://slsa.dev/provenance/v1',
      subject: refs.map((r) => ({ name: r.file, digest: { sha256: r.digest.slice(7) } })),
      predicate: {
        buildDefinition: {
          buildType: expect.stringMatching(/^urn:devq:/),
          externalParameters: { repo: 'repo-1', ref: 'refs/heads/main', commit: 'c'.repeat(40), pipelineJob: 'build', run: 'f'.repeat(32) },
          internalParameters: { job, attempt: 1, origin: origin.id, status: 'succeeded' },
          resolvedDependencies: [{ name: 'commit', digest: { sha1: 'c'.repeat(40) } }, { name: 'tree', digest: { gitTree: 'b'.repeat(40) } }]
        },
        runDetails: {
          builder: { id: `urn:devq:peer:${runner.id}` },
          metadata: { invocationId: `urn:devq:job:${job}:attempt:1`, startedOn: new Date(events.started.event.time).toISOString(), finishedOn: new Date(events.started.event.time + 5).toISOString() }
        }
      }
    })
    // The fold names the finish that carries the signature; the result is the same as without it.
    expect(fold.job(job)!.result).toMatchObject({ status: 'succeeded', provenance: events.finish.id, artifacts: refs })
  })

  it('rebuilds to the bytes the runner signed, whatever the job and its artifacts', async () => {
    const arbArtifact = fc.record({
      name: fc.string({ minLength: 1, maxLength: 20 }),
      kind: fc.constantFrom('binary' as const, 'package' as const, 'container' as const),
      digest: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `sha256:${Buffer.from(b).toString('hex')}`),
      size: fc.nat({ max: 1 << 30 })
    })
    await fc.assert(fc.asyncProperty(
      fc.array(arbArtifact, { maxLength: 5 }), fc.string({ maxLength: 40 }), fc.option(fc.constant('d'.repeat(64)), { nil: undefined }), fc.nat({ max: 30 * 86_400_000 }), fc.constantFrom(0, 1, null),
      async (artifacts, ref, tree, totalMs, exitCode) => {
        const { events } = await attempt({ ref, ...(tree === undefined ? {} : { tree }) }, (job) => ({ ...finishBody(job, 1, 'failed'), exitCode, artifacts, durations: { runMs: 0, totalMs } }))
        expect(checkProvenance(events).valid).toBe(true)
      }), { numRuns: 40 })
  })

  it('does not hold for a garbage signature, another key\'s, a missing one, or events that are not one attempt', async () => {
    const refs = [artifact('hello', 'hello')]
    const garbage = await attempt({}, succeeded(refs), 'garbage')
    expect(checkProvenance(garbage.events)).toMatchObject({ valid: false, problem: 'bad_signature' })
    // Kept as history: the finish still counts for the job, only its provenance does not hold.
    expect(garbage.fold.job(garbage.job)).toMatchObject({ status: 'succeeded', result: { provenance: garbage.events.finish.id } })
    expect(checkProvenance((await attempt({}, succeeded(refs), new Author())).events)).toMatchObject({ valid: false, problem: 'bad_signature' })
    const unsigned = await attempt({}, succeeded(refs), 'none')
    expect(checkProvenance(unsigned.events)).toMatchObject({ valid: false, problem: 'unsigned' })
    expect(Object.keys(unsigned.fold.job(unsigned.job)!.result!)).not.toContain('provenance')

    const good = await attempt({}, succeeded(refs))
    const other = await attempt({}, succeeded(refs))
    expect(checkProvenance({ ...good.events, started: other.events.started })).toMatchObject({ valid: false, problem: 'mismatch' })
    expect(checkProvenance({ ...good.events, announce: other.events.announce })).toMatchObject({ valid: false, problem: 'mismatch' })
    // A finish whose listed artifacts were changed after signing: its own event signature fails first.
    const changed = { ...good.events.finish.event, body: { ...good.events.finish.event.body, artifacts: [artifact('evil', 'evil')] } } as DecodedEvent['event']
    const tampered: DecodedEvent = { ...good.events.finish, event: changed, signed: canonicalBytes({ ...changed, sig: undefined }) }
    expect(checkProvenance({ ...good.events, finish: tampered })).toMatchObject({ valid: false, problem: 'bad_event' })
  })

  it('takes the signature in a finish only in its canonical base64 spelling of 64 bytes', async () => {
    const { events } = await attempt({}, succeeded([]))
    const { sig: _sig, ...rest } = events.finish.event
    const sig = (events.finish.event.body as BodyOf<'job.finished'>).provenance!.sig
    const respelled = sig.slice(0, 85) + String.fromCharCode(sig.charCodeAt(85) + 1) + '=='
    for (const bad of [respelled, sig.slice(0, 80) + '==', 'x'.repeat(2000)]) {
      const res = decodeEventValue({ ...rest, body: { ...rest.body, provenance: { sig: bad } }, sig: events.finish.event.sig })
      expect(res).toMatchObject({ ok: false, reason: 'bad_schema' })
    }
  })
})
