import { pino } from 'pino'
import type { Logger } from '@devq/core'

/** The process logger: JSON lines on stderr, so stdout stays for results and the ready line. */
export function createProcessLogger (level: string): Logger {
  return pino({ level, base: {} }, pino.destination(2)) as unknown as Logger
}
