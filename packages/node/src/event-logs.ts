/**
 * A log subscription on the event stream: the lines of one attempt's log, from the store of this
 * peer or live from the runner (the same source as `GET /v1/jobs/:id/log?follow=1`), sent as
 * `log.appended` messages of whole lines, then `log.ended`. Each message waits until the socket
 * took the one before, so a slow client slows the reading of the log, not this peer's memory.
 */
import type { JobState } from '@devq/core'
import type { DevqNode } from './node.ts'
import type { EventHub } from './event-hub.ts'
import { logSource } from './api-builds.ts'
import { ApiRequestError } from './errors.ts'

/** Most text one `log.appended` carries, in bytes; a longer line is cut (on a UTF-8 boundary). */
export const MAX_LOG_TEXT = 64 * 1024

/** How long a subscription waits for the next change of a job that has not started its log yet, in ms. */
const RECHECK_MS = 250

/** What a log subscription needs. */
export interface LogPumpDeps {
  node: DevqNode
  hub: EventHub
  /** Sends one message; resolves once the socket took it. */
  send: (message: object) => Promise<void>
  signal: AbortSignal
}

/** Where the bytes up to `limit` may be cut: after the last newline, else on a UTF-8 boundary at the limit. */
export function cutPoint (bytes: Uint8Array, limit: number, final: boolean): number {
  const window = Math.min(bytes.length, limit)
  const newline = bytes.subarray(0, window).lastIndexOf(0x0a)
  if (newline >= 0) return newline + 1
  if (bytes.length < limit) return final ? bytes.length : 0
  // Back off continuation bytes (10xxxxxx) so a character is never split; a UTF-8 character has at
  // most three of them, so more means the bytes are not UTF-8 and any cut will do.
  let cut = limit
  while (cut > limit - 3 && (bytes[cut]! & 0xc0) === 0x80) cut--
  return (bytes[cut]! & 0xc0) === 0x80 ? limit : cut
}

/** Resolves at the next event about job `id`, after `ms`, or when `signal` aborts. */
async function nextChange (hub: EventHub, id: string, ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = (): void => {
      off()
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const off = hub.listen((event) => { if ((event.data as { job?: { id?: string } }).job?.id === id) done() })
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
}

/**
 * The log of `attempt` once there is one to read: this peer holds it, or the attempt started on
 * another peer. Undefined when the signal aborted first.
 */
async function openWhenStarted (d: LogPumpDeps, jobId: string, attempt: number | undefined, from: number): Promise<{ source: AsyncIterable<Uint8Array>, attempt: number } | undefined> {
  while (!d.signal.aborted) {
    const job: JobState | undefined = d.node.fold.job(jobId)
    if (job === undefined) throw new ApiRequestError(`no job ${jobId}`, { status: 404, detail: 'unknown job' })
    const n = attempt ?? job.attempt
    const state = job.attempts.find((a) => a.n === n)
    if (await d.node.runner.logs.has(jobId, n)) return { source: await logSource(d.node, job, n, from, true, d.signal), attempt: n }
    if (state === undefined && n < job.attempt) throw new ApiRequestError(`job ${jobId} never ran attempt ${n}`, { status: 404, detail: 'no attempt' })
    if (state !== undefined && state.runner !== d.node.peerId && state.startedAt !== undefined) {
      return { source: await logSource(d.node, job, n, from, true, d.signal), attempt: n }
    }
    if (state?.outcome !== undefined && state.runner === d.node.peerId) throw new ApiRequestError(`this peer holds no log of attempt ${n} of job ${jobId}`, { status: 404, detail: 'no log' })
    await nextChange(d.hub, jobId, RECHECK_MS, d.signal)
  }
  return undefined
}

/**
 * Follows the log of `job` (its current attempt unless `attempt` is given) from byte `from` until
 * it ends or `signal` aborts. Throws ApiRequestError for a job or attempt that has no log, and the
 * source's errors (LogError, RemoteError...) when reading fails.
 */
export async function pumpLog (d: LogPumpDeps, job: string, attempt: number | undefined, from: number): Promise<void> {
  const opened = await openWhenStarted(d, job, attempt, from)
  if (opened === undefined) return
  let offset = from
  let pending: Uint8Array = new Uint8Array(0)
  const flush = async (final: boolean): Promise<void> => {
    for (;;) {
      const cut = cutPoint(pending, MAX_LOG_TEXT, final)
      if (cut === 0) return
      const text = Buffer.from(pending.buffer, pending.byteOffset, cut).toString('utf8')
      await d.send({ type: 'log.appended', job, attempt: opened.attempt, offset, end: offset + cut, text })
      offset += cut
      pending = pending.subarray(cut)
    }
  }
  for await (const chunk of opened.source) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    await flush(false)
    if (d.signal.aborted) return
  }
  if (d.signal.aborted) return
  await flush(true)
  await d.send({ type: 'log.ended', job, attempt: opened.attempt, end: offset })
}
