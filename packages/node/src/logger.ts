import { pino } from 'pino'
import { PinoPretty } from 'pino-pretty'
import type { Logger } from '@devq/core'
import type { Libp2pLogLevel } from '@devq/p2p'

/** Where the process logger writes and how. */
export interface ProcessLoggerOptions {
  /**
   * Whether the lines are read by a person at a terminal: then they are pretty-printed (colour,
   * local time, fields indented), otherwise one JSON object a line. Default: whether stderr is a TTY.
   */
  isTty?: boolean
  /** Where the lines go. Default: stderr (fd 2), written synchronously so a crash loses none. */
  destination?: NodeJS.WritableStream
}

/**
 * The process logger: pino lines on stderr, so stdout stays for results and the ready line. JSON
 * (`level`, `time` in epoch ms, `msg`, then `component`, `peer_id`, `job_id` and the call's fields)
 * unless stderr is a terminal. Build output never goes here: steps write to the attempt's log store.
 */
export function createProcessLogger (level: string, options: ProcessLoggerOptions = {}): Logger {
  const isTty = options.isTty ?? process.stderr.isTTY
  const init = { level, base: {} }
  if (isTty) {
    const pretty = PinoPretty({
      destination: options.destination ?? 2,
      sync: true,
      colorize: options.destination === undefined,
      translateTime: 'SYS:HH:MM:ss.l',
      singleLine: false
    })
    return pino(init, pretty) as unknown as Logger
  }
  return pino(init, options.destination ?? pino.destination({ dest: 2, sync: true })) as unknown as Logger
}

/** How much of libp2p's own output the node logs at `level`: only at debug and trace. */
export function libp2pLogLevel (level: string): Libp2pLogLevel {
  if (level === 'trace') return 'trace'
  return level === 'debug' ? 'debug' : 'off'
}
