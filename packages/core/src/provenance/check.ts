/**
 * Checking an attempt's provenance from its three ledger events, as anyone holding them can:
 * each event's own signature, that they belong together, and the runner's DSSE signature over
 * the statement rebuilt from them. Never throws on bad input: the answer says what failed.
 */
import { verify } from 'node:crypto'
import { canonicalBytes } from '../events/canonical.ts'
import { signatureBytes, type DecodedEvent, type LedgerEventOf } from '../events/envelope.ts'
import { keyObjectFromPeerId } from '../events/peer-id.ts'
import { dssePae, IN_TOTO_PAYLOAD_TYPE, provenanceEnvelope, provenanceStatement, timesInRange, type DsseEnvelope, type ProvenanceFacts, type ProvenanceStatement } from './statement.ts'

/** The events an attempt's provenance is made of. */
export interface ProvenanceEvents {
  announce: DecodedEvent
  started: DecodedEvent
  finish: DecodedEvent
}

/**
 * Why provenance does not hold: `unsigned` (the finish carries no provenance signature),
 * `bad_event` (an event's own signature does not verify), `mismatch` (the events are not one
 * attempt's announce, start and finish), `bad_signature` (the runner's DSSE signature does not
 * verify over the rebuilt statement).
 */
export type ProvenanceProblem = 'unsigned' | 'bad_event' | 'mismatch' | 'bad_signature'

/** The outcome of `checkProvenance`. An invalid one still shows what was claimed, when it can be built. */
export type ProvenanceVerdict =
  | { valid: true, facts: ProvenanceFacts, statement: ProvenanceStatement, envelope: DsseEnvelope }
  | { valid: false, problem: ProvenanceProblem, detail: string, facts?: ProvenanceFacts, statement?: ProvenanceStatement, envelope?: DsseEnvelope }

/** Whether `sig` is `signer`'s Ed25519 signature of `message`; false for any malformed input. */
export function verifiedBy (signer: string, message: Uint8Array, sig: Uint8Array): boolean {
  const key = keyObjectFromPeerId(signer)
  if (key === undefined || sig.length !== 64) return false
  try {
    return verify(null, message, key, sig)
  } catch {
    return false
  }
}

/** Whether an event's own signature verifies with the key its author's peer id embeds. */
export function eventSignatureHolds (e: DecodedEvent): boolean {
  return verifiedBy(e.event.author, e.signed, signatureBytes(e.event))
}

/** The three events' contents, once known to be an announce, a start and a finish. */
interface AttemptEvents {
  announce: { id: string, event: LedgerEventOf<'job.announced'> }
  started: LedgerEventOf<'job.started'>
  finish: LedgerEventOf<'job.finished'>
}

/** The events as one attempt's announce, start and finish, or why they are not that. */
function asAttempt (e: ProvenanceEvents): AttemptEvents | string {
  const [announce, started, finish] = [e.announce.event, e.started.event, e.finish.event]
  if (announce.type !== 'job.announced') return `the announce is a ${announce.type} event`
  if (started.type !== 'job.started') return `the start is a ${started.type} event`
  if (finish.type !== 'job.finished') return `the finish is a ${finish.type} event`
  if (started.body.job !== e.announce.id || finish.body.job !== e.announce.id) return 'the start or the finish names another job'
  if (started.author !== finish.author) return 'the start and the finish have different authors'
  if (started.body.attempt !== finish.body.attempt) return `the start is of attempt ${started.body.attempt}, the finish of attempt ${finish.body.attempt}`
  return { announce: { id: e.announce.id, event: announce }, started, finish }
}

/** The facts of one attempt's events. */
function factsOf ({ announce, started, finish }: AttemptEvents): ProvenanceFacts {
  const a = announce.event.body
  const f = finish.body
  const facts: ProvenanceFacts = {
    job: announce.id,
    origin: announce.event.author,
    announce: { repo: a.repo, ref: a.ref, commit: a.commit, pipelineJob: a.pipelineJob },
    runner: finish.author,
    attempt: f.attempt,
    startedAt: started.time,
    finish: { status: f.status, exitCode: f.exitCode, durations: f.durations, artifacts: f.artifacts, logDigest: f.logDigest }
  }
  if (a.tree !== undefined) facts.announce.tree = a.tree
  if (a.run !== undefined) facts.announce.run = a.run
  if (a.synthetic !== undefined) facts.announce.synthetic = a.synthetic
  return facts
}

/**
 * Checks the provenance of the attempt `events` describe. It does not judge whether this finish is
 * the job's winning one: the fold does (`JobResult.provenance` names it).
 */
export function checkProvenance (events: ProvenanceEvents): ProvenanceVerdict {
  for (const [role, e] of Object.entries(events) as [string, DecodedEvent][]) {
    if (!eventSignatureHolds(e)) return { valid: false, problem: 'bad_event', detail: `the ${role} event ${e.id.slice(0, 12)}'s own signature does not verify with its author's key` }
  }
  const attempt = asAttempt(events)
  if (typeof attempt === 'string') return { valid: false, problem: 'mismatch', detail: attempt }
  const facts = factsOf(attempt)
  if (!timesInRange(facts)) return { valid: false, problem: 'mismatch', detail: 'the start time or the duration is out of range', facts }
  const statement = provenanceStatement(facts)
  const sig = attempt.finish.body.provenance?.sig
  if (sig === undefined) return { valid: false, problem: 'unsigned', detail: `the finish of attempt ${facts.attempt} carries no provenance signature`, facts, statement }
  const payload = canonicalBytes(statement)
  const envelope = provenanceEnvelope(payload, facts.runner, sig)
  if (!verifiedBy(facts.runner, dssePae(IN_TOTO_PAYLOAD_TYPE, payload), Buffer.from(sig, 'base64'))) {
    return { valid: false, problem: 'bad_signature', detail: `the runner ${facts.runner}'s provenance signature does not verify over the statement rebuilt from the ledger`, facts, statement, envelope }
  }
  return { valid: true, facts, statement, envelope }
}
