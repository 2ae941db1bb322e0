/**
 * `POST /v1/pull/stream`: the pull of `POST /v1/pull` (same body, same checks) answered as NDJSON
 * progress, so a client can draw a progress bar. A request refused before any transfer begins
 * (bad body, unknown job, no result, no room) gets the usual error status and body. Once it is
 * accepted the answer is 200 and `application/x-ndjson`, one JSON object per line:
 *
 *   {"type":"start","artifacts":N,"totalBytes":T}
 *   {"type":"progress","bytes":B,"totalBytes":T,"artifact":"<name>"}   at most every PROGRESS_EVERY_MS, and as each artifact is stored
 *   {"type":"done","files":[{name,kind,digest,size,path}]}               last line on success
 *   {"type":"error","status":S,"error":{name,code,message,data,retryable}}   last line on failure
 *
 * `bytes` counts artifacts already stored here whole, plus what arrived of the one being fetched
 * (its stream's bytes, so framing makes it run a little ahead; it is capped at the artifact's size).
 */
import { PassThrough } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { DevqError, type ArtifactRef, type ByteStream, type Logger } from '@devq/core'
import type { DevqNode } from './node.ts'
import { ApiInternalError, ApiRequestError } from './errors.ts'
import { pull, type PullProgress } from './api-builds.ts'
import { statusOf } from './api-errors.ts'

/** Shortest gap between two progress lines, ms. */
export const PROGRESS_EVERY_MS = 100

/** A stream whose received bytes are reported to `onBytes` as they are read. */
function counted (stream: ByteStream, onBytes: (n: number) => void): ByteStream {
  async function * source (): AsyncGenerator<Uint8Array> {
    for await (const chunk of stream.source) {
      onBytes(chunk.byteLength)
      yield chunk
    }
  }
  return { source: source(), write: async (c) => { await stream.write(c) }, end: async () => { await stream.end() }, abort: (err) => { stream.abort(err) } }
}

/** The error line for a failure after the answer began: a known cause as is, anything else hidden behind a request id. */
function errorLine (err: unknown, requestId: string, logger: Logger): object {
  if (err instanceof ApiRequestError) return { type: 'error', status: err.data.status, error: err.toJSON() }
  const status = err instanceof DevqError ? statusOf(err) : undefined
  if (status !== undefined) return { type: 'error', status, error: (err as DevqError<object>).toJSON() }
  logger.error({ err, requestId }, 'pull with progress failed')
  return { type: 'error', status: 500, error: new ApiInternalError(`internal error in the devq-node; its log has the details under request id ${requestId}`, { requestId }).toJSON() }
}

/** Progress hooks that write NDJSON lines to `out`. */
function progressLines (out: PassThrough, onPlanned: () => void): PullProgress {
  let total = 0
  let stored = 0
  let current = 0
  let lastAt = 0
  const line = (value: object): void => { out.write(`${JSON.stringify(value)}\n`) }
  const report = (ref: ArtifactRef, force: boolean): void => {
    const now = performance.now()
    if (!force && now - lastAt < PROGRESS_EVERY_MS) return
    lastAt = now
    line({ type: 'progress', bytes: stored + Math.min(current, ref.size), totalBytes: total, artifact: ref.name })
  }
  return {
    planned (refs) {
      total = refs.reduce((n, r) => n + r.size, 0)
      line({ type: 'start', artifacts: refs.length, totalBytes: total })
      onPlanned()
    },
    stream: (s, ref) => counted(s, (n) => { current += n; report(ref, false) }),
    stored (ref) {
      stored += ref.size
      current = 0
      report(ref, true)
    }
  }
}

/** Registers `POST /v1/pull/stream`. */
export function pullStreamRoute (app: FastifyInstance, node: DevqNode, logger: Logger): void {
  app.post('/v1/pull/stream', async (req, reply) => {
    const out = new PassThrough()
    let accepted!: () => void
    const planned = new Promise<void>((resolve) => { accepted = resolve })
    const work = pull(node, req.body, progressLines(out, () => { accepted() }))
    // Until the pull is accepted its errors are ordinary error answers; after that, the last line.
    await Promise.race([planned, work])
    void work.then(
      (res) => { out.end(`${JSON.stringify({ type: 'done', files: res.files })}\n`) },
      (err: unknown) => { out.end(`${JSON.stringify(errorLine(err, req.id, logger))}\n`) }
    )
    return await reply.header('content-type', 'application/x-ndjson; charset=utf-8').send(out)
  })
}
