/**
 * libp2p's own diagnostics, which its components write through a `ComponentLogger` with
 * debug-style format strings, turned into lines of the mesh's logger. Without it libp2p writes
 * them to stderr in its own format when `DEBUG=libp2p*` is set, which would break the node's
 * JSON lines; with it they follow the node's log level and nothing else.
 */
import { inspect } from 'node:util'
import type { ComponentLogger, Logger as Libp2pLogger } from '@libp2p/interface'
import type { Logger } from '@devq/core'

/** How much of libp2p's output reaches the logger: none, its debug and error lines, or its trace lines too. */
export type Libp2pLogLevel = 'off' | 'debug' | 'trace'

/** The logger libp2p lines go to; `trace` is used for libp2p's trace lines when the logger has it. */
type Sink = Logger & { trace?: (obj: object, msg?: string) => void }

/** Longest message kept from one libp2p line, in characters (a dumped buffer can be large). */
const MAX_MESSAGE_CHARS = 4096

function text (value: unknown): string {
  return typeof value === 'string' ? value : inspect(value, { depth: 2, breakLength: Infinity })
}

function bytes (value: unknown): string {
  return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64url') : text(value)
}

function errorText (value: unknown): string {
  if (!(value instanceof Error)) return text(value)
  const stack = value.stack ?? ''
  return stack.includes(value.message) ? stack : `${value.message}\n${stack}`
}

/** One conversion of the `debug` format language, with the ones libp2p adds (%p peer, %a multiaddr, %b/%t/%m bytes, %e error...). */
function convert (kind: string, value: unknown): string {
  switch (kind) {
    case 'd': case 'i': return String(Number(value))
    case 'j': try { return JSON.stringify(value) } catch { return '[unserializable]' }
    case 'o': case 'O': return text(value)
    case 'b': case 't': case 'm': return bytes(value)
    case 'e': return errorText(value)
    default: return value == null ? String(value) : String(value as string)
  }
}

/** `formatter` with its `%x` placeholders filled from `args`; leftover arguments are appended. */
export function formatLibp2pLine (formatter: unknown, args: readonly unknown[]): string {
  if (typeof formatter !== 'string') return [formatter, ...args].map(text).join(' ').slice(0, MAX_MESSAGE_CHARS)
  let next = 0
  const filled = formatter.replace(/%([a-zA-Z%])/g, (whole, kind: string) => {
    if (kind === '%') return '%'
    if (next >= args.length) return whole
    return convert(kind, args[next++])
  })
  const rest = args.slice(next).map(text)
  return (rest.length === 0 ? filled : `${filled} ${rest.join(' ')}`).slice(0, MAX_MESSAGE_CHARS)
}

function disabled (): Libp2pLogger {
  const log = Object.assign(() => {}, { enabled: false, error: () => {}, trace: () => {}, newScope: () => log })
  return log
}

function scoped (sink: Sink, level: Exclude<Libp2pLogLevel, 'off'>, scope: string): Libp2pLogger {
  const line = (severity: string, formatter: unknown, args: unknown[]): void => {
    const fields = severity === 'debug' ? { scope } : { scope, libp2p_level: severity }
    sink.debug(fields, formatLibp2pLine(formatter, args))
  }
  const traceLine = (formatter: unknown, args: unknown[]): void => {
    if (sink.trace === undefined) line('trace', formatter, args)
    else sink.trace({ scope }, formatLibp2pLine(formatter, args))
  }
  return Object.assign((formatter: unknown, ...args: unknown[]) => { line('debug', formatter, args) }, {
    enabled: true,
    error: (formatter: unknown, ...args: unknown[]) => { line('error', formatter, args) },
    trace: level === 'trace' ? (formatter: unknown, ...args: unknown[]) => { traceLine(formatter, args) } : () => {},
    newScope: (name: string) => scoped(sink, level, `${scope}:${name}`)
  })
}

/**
 * The `logger` option of `createLibp2p`: every libp2p component's lines go to `sink` at debug
 * level (`scope` is libp2p's component name; errors carry `libp2p_level: "error"`), trace lines
 * only at `trace`. At `off` every logger is disabled, so libp2p formats nothing.
 */
export function libp2pLogger (sink: Sink, level: Libp2pLogLevel): ComponentLogger {
  if (level === 'off') {
    const off = disabled()
    return { forComponent: () => off }
  }
  return { forComponent: (name: string) => scoped(sink, level, name) }
}
