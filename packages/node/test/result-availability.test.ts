import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger, systemClock, type ArtifactRef, type ByteStream, type JobState } from '@devq/core'
import { createArtifactServer, createArtifactStore, createLocalPair, type ArtifactStore } from '@devq/runner'
import { createResultAvailability } from '../src/result-availability.ts'
import { waitFor } from './harness.ts'

const dirs: string[] = []
afterEach(async () => { await Promise.all(dirs.splice(0).map(async (d) => { await rm(d, { recursive: true, force: true }) })) })

async function store (): Promise<ArtifactStore> {
  const dir = await mkdtemp(join(tmpdir(), 'devq-avail-'))
  dirs.push(dir)
  return createArtifactStore({ dir, budgetBytes: 1 << 30, logger: silentLogger })
}

/** A peer serving `held` over the real artifacts protocol, through an in-memory stream pair. */
function servedBy (held: ArtifactStore): () => Promise<ByteStream> {
  const handler = createArtifactServer({ store: held, logger: silentLogger, authorize: () => true })
  return async () => {
    const { client, server } = createLocalPair()
    void handler(server, 'coordinator')
    return client
  }
}

async function resultOn (holder: ArtifactStore, by = 'builder'): Promise<JobState> {
  const { digest, size } = await holder.putStream((async function * () { yield Buffer.from('the build output') })())
  const ref: ArtifactRef = { name: 'app', kind: 'binary', digest, size }
  return { id: 'a'.repeat(64), origin: 'origin', result: { by, artifacts: [ref] } } as unknown as JobState
}

/** The answers of `fetchable` until it gives one (it is undefined while probes are out). */
async function decided (avail: { fetchable: (j: JobState) => boolean | undefined }, job: JobState): Promise<boolean> {
  return await waitFor('an answer', async () => { const a = avail.fetchable(job); return a === undefined ? undefined : { a } }, 10_000, 20).then((x) => x.a)
}

describe('whether an earlier result can stand in', () => {
  it('asks live peers at once, so a silent one does not hold up the answer, and a yes lasts only while its holder stays', async () => {
    // The builder that is asked first has gone silent; another peer holds a copy.
    const holder = await store()
    const job = await resultOn(holder, 'silent')
    let live = ['silent', 'keeper']
    const avail = createResultAvailability({
      store: await store(),
      live: () => live,
      dial: async (peer) => peer === 'keeper' ? await servedBy(holder)() : await new Promise<ByteStream>(() => {}),
      clock: systemClock,
      logger: silentLogger
    }, { self: 'coordinator', probeTimeoutMs: 5_000 })
    const t0 = performance.now()
    expect(await decided(avail, job)).toBe(true)
    expect(performance.now() - t0).toBeLessThan(4_000)
    live = ['silent']
    expect(await decided(avail, job)).toBe(false)
  })

  it('does not keep asking a peer that is leaving: a holder outside the live peers counts for nothing', async () => {
    const holder = await store()
    const job = await resultOn(holder)
    let dials = 0
    const avail = createResultAvailability({
      store: await store(),
      live: () => [],
      dial: async () => { dials++; return await servedBy(holder)() },
      clock: systemClock,
      logger: silentLogger
    }, { self: 'coordinator' })
    expect(await decided(avail, job)).toBe(false)
    expect(avail.fetchable(job)).toBe(false)
    expect(dials).toBe(0)
  })

  it('answers yes at once, with no probe, when this peer holds every artifact', async () => {
    const here = await store()
    const job = await resultOn(here)
    const avail = createResultAvailability({ store: here, live: () => [], dial: async () => { throw new Error('no dial expected') }, clock: systemClock, logger: silentLogger }, { self: 'coordinator' })
    expect(avail.fetchable(job)).toBe(true)
  })
})
