import { createEvent, generateSigner, type BodyOf, type DecodedEvent, type EventType, type Signer } from '../src/index.ts'

/** A test author that chains its own events and lets the test choose each Lamport time. */
export class Author {
  readonly signer: Signer = generateSigner()
  readonly id = this.signer.peerId
  private seq = 0
  private prev: string | null = null

  async make<T extends EventType> (lamport: number, type: T, body: BodyOf<T>, time = 1_000 * lamport): Promise<DecodedEvent> {
    this.seq += 1
    const e = await createEvent(this.signer, { seq: this.seq, prev: this.prev, lamport, time }, type, body)
    this.prev = e.id
    return e
  }
}

/** A synthetic announce body with overridable fields. */
export function announceBody (over: Partial<BodyOf<'job.announced'>> = {}): BodyOf<'job.announced'> {
  return {
    repo: 'repo-1',
    ref: 'refs/heads/main',
    commit: 'c'.repeat(40),
    pipelineJob: 'build',
    priority: 'normal',
    labels: [],
    retry: { max: 0, when: [] },
    timeoutMs: 0,
    cache: false,
    sensitive: false,
    source: { addrs: [] },
    synthetic: { durationMs: 10, exitCode: 0, outputBytes: 0 },
    ...over
  }
}

export const score = { freeSlots: 1, cores: 4, load: 0, warm: false, shareMode: 'dedicated' as const, userActive: false, recentFailures: 0 }

export const finishBody = (job: string, attempt: number, status: 'succeeded' | 'failed' | 'cancelled', exitCode: number | null = status === 'succeeded' ? 0 : 1): BodyOf<'job.finished'> =>
  ({ job, attempt, status, exitCode, durations: { runMs: 5, totalMs: 5 }, artifacts: [], logDigest: null, ...(status === 'failed' ? { failure: 'exit_code' as const } : {}) })
