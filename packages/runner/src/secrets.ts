/**
 * The `secrets` protocol: the awarded runner of a sensitive job asks the job's origin for the
 * secret values the job names. They travel only on this encrypted direct stream, never on gossip
 * or in the ledger, and the origin answers only the runner the ledger says holds the attempt.
 *
 *   runner -> origin   {job, attempt}
 *   origin -> runner   {ok:true, secrets:{NAME: value}} | {ok:false, error}
 */
import { z } from 'zod'
import type { ByteStream, Logger } from '@devq/core'
import { StreamStalledError } from './errors.ts'
import { answerError, beforeDeadline, FrameReader, noteRefusedFrame, writeFrame, type RefusedFrame } from './wire.ts'

const PROTOCOL = 'secrets'
/** Largest answer: the secrets of one job together. */
const MAX_ANSWER_BYTES = 1024 * 1024
/** The request must arrive within this (ms); a peer that opens and says nothing is let go. */
const REQUEST_TIMEOUT_MS = 10_000

const SecretsRequest = z.strictObject({ job: z.string().regex(/^[0-9a-f]{64}$/), attempt: z.number().int().min(1).max(1000) })
const SecretsAnswer = z.looseObject({ ok: z.literal(true), secrets: z.record(z.string().max(128), z.string().max(64 * 1024)) })

/** What the origin decides with. */
export interface SecretServerComponents {
  /**
   * The secret values for this request, or throws an error that names why not (the peer is not
   * the attempt's runner, the job is not this peer's, a value is missing). Its `{name, message,
   * data}` goes back to the runner.
   */
  secretsFor(peer: string, job: string, attempt: number): Promise<Record<string, string>>
  logger: Logger
  refusedFrame?: RefusedFrame
}

/** The origin side: one request per stream. Never throws. */
export function createSecretServer (c: SecretServerComponents, init: { requestTimeoutMs?: number } = {}): (stream: ByteStream, peer: string) => Promise<void> {
  const timeoutMs = init.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
  return async (stream, peer) => {
    try {
      const req = await beforeDeadline(new FrameReader(stream.source, PROTOCOL).frame(SecretsRequest), timeoutMs,
        () => new StreamStalledError(`${PROTOCOL}: no request within ${timeoutMs} ms`, { protocol: PROTOCOL, idleMs: timeoutMs }))
      const secrets = await c.secretsFor(peer, req.job, req.attempt)
      await writeFrame(stream, { ok: true, secrets })
      await stream.end()
      c.logger.info({ job_id: req.job, attempt: req.attempt, runner: peer, names: Object.keys(secrets) }, 'secrets handed to the runner')
    } catch (err) {
      c.logger.warn({ err, remote: peer }, 'secrets refused')
      noteRefusedFrame(err, c.refusedFrame)
      await answerError(stream, err)
    }
  }
}

/** The runner side: asks the origin over `stream` for the secrets of one attempt. */
export async function requestSecrets (stream: ByteStream, job: string, attempt: number): Promise<Record<string, string>> {
  try {
    await writeFrame(stream, { job, attempt })
    await stream.end()
    return (await new FrameReader(stream.source, PROTOCOL).answer(SecretsAnswer, MAX_ANSWER_BYTES)).secrets
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}
