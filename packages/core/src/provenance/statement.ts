/**
 * The provenance of one attempt: an in-toto v1 Statement with a SLSA provenance v1 predicate,
 * built from ledger facts alone (the job's announce, its runner's `started` and `finished`), so
 * every peer rebuilds the same bytes from the same events, and the DSSE envelope that carries it
 * with the runner's Ed25519 signature. The runner signs when it writes the finish; the signature
 * travels in the finish body (`provenance.sig`), and the envelope is put together when read.
 */
import { canonicalBytes } from '../events/canonical.ts'
import type { ArtifactRef, BodyOf } from '../events/bodies.ts'
import type { JobState } from '../fold/types.ts'
import type { Signer } from '../ports.ts'

export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1'
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1'
/** What a DevQ build is: one pipeline job of a commit's `.devq.yml`, run by one runner. */
export const DEVQ_BUILD_TYPE = 'urn:devq:build:pipeline-job:v1'
/** The DSSE payload type of an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json'

/** Latest wall time (ms) a JavaScript Date (and so an RFC 3339 time) can hold. */
const MAX_DATE_MS = 8.64e15

/** The ledger facts a statement is made of; every field comes from a signed event. */
export interface ProvenanceFacts {
  /** The job id (its announce event's id). */
  job: string
  /** The announce's author. */
  origin: string
  announce: Pick<BodyOf<'job.announced'>, 'repo' | 'ref' | 'commit' | 'tree' | 'pipelineJob' | 'run' | 'synthetic'>
  /** The finish's author, which wrote the attempt's `started` too. */
  runner: string
  attempt: number
  /** The `time` of the runner's `job.started` event for the attempt (its wall clock, ms). */
  startedAt: number
  finish: Pick<BodyOf<'job.finished'>, 'status' | 'exitCode' | 'durations' | 'artifacts' | 'logDigest'>
}

/** An in-toto resource descriptor. */
export interface ResourceDescriptor {
  name?: string
  uri?: string
  digest: Record<string, string>
  annotations?: Record<string, string | number>
}

/** The statement as plain JSON: encoded canonically, it is the DSSE payload. */
export interface ProvenanceStatement {
  _type: typeof IN_TOTO_STATEMENT_V1
  subject: ResourceDescriptor[]
  predicateType: typeof SLSA_PROVENANCE_V1
  predicate: {
    buildDefinition: {
      buildType: string
      externalParameters: Record<string, unknown>
      internalParameters: Record<string, unknown>
      resolvedDependencies: ResourceDescriptor[]
    }
    runDetails: {
      builder: { id: string }
      metadata: { invocationId: string, startedOn: string, finishedOn: string }
      byproducts: ResourceDescriptor[]
    }
  }
}

/** A DSSE envelope (https://github.com/secure-systems-lab/dsse), as `devq provenance` prints it. */
export interface DsseEnvelope {
  payloadType: string
  /** Standard base64 of the payload bytes. */
  payload: string
  signatures: { keyid: string, sig: string }[]
}

/** The URI naming a peer (a runner as SLSA builder id). */
export const peerUri = (peerId: string): string => `urn:devq:peer:${peerId}`

/** Whether a statement can be made of these facts: its times must be ones a Date can hold. */
export function timesInRange (facts: Pick<ProvenanceFacts, 'startedAt' | 'finish'>): boolean {
  return Number.isSafeInteger(facts.startedAt) && facts.startedAt >= 0 && facts.startedAt + facts.finish.durations.totalMs <= MAX_DATE_MS
}

/** A git object id's digest set: sha1 or sha256 by its length, and the in-toto git name. */
function gitDigest (kind: 'gitCommit' | 'gitTree', id: string): Record<string, string> {
  return { [id.length === 40 ? 'sha1' : 'sha256']: id, [kind]: id }
}

function subjectOf (a: ArtifactRef): ResourceDescriptor {
  return { name: a.file ?? a.name, digest: { sha256: a.digest.slice('sha256:'.length) }, annotations: { artifact: a.name, kind: a.kind, size: a.size } }
}

/**
 * The statement of `facts`. Pure: the same facts give the same statement, and through
 * `canonicalBytes` the same bytes, on every peer. `finishedOn` is `startedAt` plus the attempt's
 * `totalMs`, since the runner signs before its finish event (and that event's time) exists.
 * Throws RangeError when `timesInRange` does not hold.
 */
export function provenanceStatement (facts: ProvenanceFacts): ProvenanceStatement {
  if (!timesInRange(facts)) throw new RangeError(`provenance times out of range: started ${facts.startedAt}, ${facts.finish.durations.totalMs} ms`)
  const a = facts.announce
  const repoUri = `urn:devq:repo:${encodeURIComponent(a.repo)}`
  const dependencies: ResourceDescriptor[] = [{ name: 'commit', uri: repoUri, digest: gitDigest('gitCommit', a.commit), annotations: { ref: a.ref } }]
  if (a.tree !== undefined) dependencies.push({ name: 'tree', uri: repoUri, digest: gitDigest('gitTree', a.tree) })
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: facts.finish.artifacts.map(subjectOf),
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: DEVQ_BUILD_TYPE,
        externalParameters: {
          repo: a.repo, ref: a.ref, commit: a.commit, pipelineJob: a.pipelineJob,
          ...(a.run === undefined ? {} : { run: a.run }), ...(a.synthetic === undefined ? {} : { synthetic: a.synthetic })
        },
        internalParameters: { job: facts.job, attempt: facts.attempt, origin: facts.origin, status: facts.finish.status, exitCode: facts.finish.exitCode },
        resolvedDependencies: dependencies
      },
      runDetails: {
        builder: { id: peerUri(facts.runner) },
        metadata: {
          invocationId: `urn:devq:job:${facts.job}:attempt:${facts.attempt}`,
          startedOn: new Date(facts.startedAt).toISOString(),
          finishedOn: new Date(facts.startedAt + facts.finish.durations.totalMs).toISOString()
        },
        byproducts: facts.finish.logDigest === null ? [] : [{ name: 'log', digest: { sha256: facts.finish.logDigest.slice('sha256:'.length) } }]
      }
    }
  }
}

/** The statement's canonical bytes: the DSSE payload. */
export function statementBytes (facts: ProvenanceFacts): Uint8Array {
  return canonicalBytes(provenanceStatement(facts))
}

/** DSSE's pre-authentication encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`, lengths in bytes. */
export function dssePae (payloadType: string, payload: Uint8Array): Uint8Array {
  const head = Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `, 'utf8')
  return Buffer.concat([head, payload])
}

/** The runner side: its base64 DSSE signature over the statement of `facts`. */
export async function signProvenance (signer: Signer, facts: ProvenanceFacts): Promise<string> {
  const sig = await signer.sign(dssePae(IN_TOTO_PAYLOAD_TYPE, statementBytes(facts)))
  return Buffer.from(sig).toString('base64')
}

/** The envelope of `payload` signed `sig` (base64) by `runner`. */
export function provenanceEnvelope (payload: Uint8Array, runner: string, sig: string): DsseEnvelope {
  return { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: Buffer.from(payload).toString('base64'), signatures: [{ keyid: runner, sig }] }
}

/**
 * The facts of the attempt `attempt` a runner is finishing, as its fold holds them: `job` is the
 * job's state and `startedAt` the time of the runner's own `started` event.
 */
export function attemptFacts (job: JobState, runner: string, startedAt: number, finish: ProvenanceFacts['finish'] & { attempt: number }): ProvenanceFacts {
  const announce: ProvenanceFacts['announce'] = { repo: job.repo, ref: job.ref, commit: job.commit, pipelineJob: job.pipelineJob }
  if (job.tree !== undefined) announce.tree = job.tree
  if (job.run !== undefined) announce.run = job.run
  if (job.synthetic !== undefined) announce.synthetic = job.synthetic
  const { status, exitCode, durations, artifacts, logDigest } = finish
  return { job: job.id, origin: job.origin, announce, runner, attempt: finish.attempt, startedAt, finish: { status, exitCode, durations, artifacts, logDigest } }
}
