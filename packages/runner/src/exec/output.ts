/**
 * Moves a step's output from its pipes to the caller chunk by chunk, holding nothing but the
 * chunk in flight. When the caller's `onOutput` returns a promise, reading pauses until it
 * settles, so a slow log sink slows the step (through the pipe) instead of filling memory.
 */
import type { Readable } from 'node:stream'
import type { Logger } from '@devq/core'

/** Receives output bytes in arrival order. May return a promise to apply backpressure. */
export type OutputSink = (chunk: Uint8Array) => void | Promise<void>

/** The pump of one step's pipes. */
export interface OutputPump {
  /**
   * Waits up to `ms` for the pipes to end, then closes them whatever holds them open (a daemon
   * that kept the step's stdout). Bytes after that are dropped. Idempotent.
   */
  drain(ms: number): Promise<void>
}

/** Starts pumping `streams` into `sink`. A sink that throws is logged once and fed no more; the pipes are still read. */
export function pumpOutput (streams: readonly Readable[], sink: OutputSink, logger: Logger): OutputPump {
  let broken = false
  const fail = (err: unknown): void => {
    if (broken) return
    broken = true
    logger.warn({ err }, 'the output sink failed; the rest of the step output is dropped')
  }
  const ended = streams.map((stream) => new Promise<void>((resolve) => {
    stream.once('close', resolve)
    stream.on('error', () => { resolve() })
    stream.on('data', (chunk: Buffer) => {
      if (broken) return
      let pending: void | Promise<void>
      try {
        pending = sink(chunk)
      } catch (err) {
        fail(err)
        return
      }
      if (pending instanceof Promise) {
        stream.pause()
        pending.then(() => { stream.resume() }, (err: unknown) => { fail(err); stream.resume() })
      }
    })
  }))
  return {
    async drain (ms) {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, ms) })
      await Promise.race([Promise.all(ended), timeout])
      clearTimeout(timer)
      for (const stream of streams) stream.destroy()
    }
  }
}
