/** libp2p's ComponentLogger lines into the mesh's logger: formatting, levels and scopes. */
import { describe, expect, it } from 'vitest'
import type { Logger } from '@devq/core'
import { formatLibp2pLine, libp2pLogger } from '../src/index.ts'

interface Line { level: string, obj: object, msg?: string }

/** A logger that keeps its lines; `withTrace` gives it a trace method as pino has. */
function recorder (withTrace: boolean): { logger: Logger & { trace?: (obj: object, msg?: string) => void }, lines: Line[] } {
  const lines: Line[] = []
  const at = (level: string) => (obj: object, msg?: string) => { lines.push({ level, obj, msg }) }
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger, ...(withTrace ? { trace: at('trace') } : {}) }
  return { logger, lines }
}

describe('libp2p log lines', () => {
  it('fill debug-style placeholders, libp2p\'s own included, and append leftover arguments', () => {
    const peer = { toString: () => '12D3KooWPeer' }
    const addr = { toString: () => '/ip4/127.0.0.1/tcp/4001' }
    expect(formatLibp2pLine('dial %p at %a: %s %d%%', [peer, addr, 'ok', 5])).toBe('dial 12D3KooWPeer at /ip4/127.0.0.1/tcp/4001: ok 5%')
    expect(formatLibp2pLine('bytes %b', [Uint8Array.from([0xfb, 0xff])])).toBe('bytes -_8')
    expect(formatLibp2pLine('failed: %e', [new Error('boom')])).toMatch(/^failed: Error: boom\n\s+at /)
    expect(formatLibp2pLine('no args %s', [])).toBe('no args %s')
    expect(formatLibp2pLine('extra', [1, { a: 2 }])).toBe('extra 1 { a: 2 }')
    expect(formatLibp2pLine(new Error('as formatter'), [])).toMatch(/as formatter/)
    expect(formatLibp2pLine('%s', ['x'.repeat(10_000)])).toHaveLength(4096)
  })

  it('are all disabled when off, so libp2p formats nothing', () => {
    const { logger, lines } = recorder(true)
    const log = libp2pLogger(logger, 'off').forComponent('libp2p:dialer')
    expect(log.enabled).toBe(false)
    log('hello')
    log.error('bad')
    log.trace('detail')
    log.newScope('queue')('more')
    expect(lines).toEqual([])
  })

  it('go to the logger at debug with their scope; errors are marked, trace lines only at trace', () => {
    const { logger, lines } = recorder(true)
    const log = libp2pLogger(logger, 'debug').forComponent('libp2p:dialer')
    expect(log.enabled).toBe(true)
    log('dialing %s', 'peer')
    log.error('dial failed: %s', 'refused')
    log.trace('not at debug')
    log.newScope('queue')('queued')
    expect(lines).toEqual([
      { level: 'debug', obj: { scope: 'libp2p:dialer' }, msg: 'dialing peer' },
      { level: 'debug', obj: { scope: 'libp2p:dialer', libp2p_level: 'error' }, msg: 'dial failed: refused' },
      { level: 'debug', obj: { scope: 'libp2p:dialer:queue' }, msg: 'queued' }
    ])
    const traced = recorder(true)
    libp2pLogger(traced.logger, 'trace').forComponent('yamux').trace('frame %d', 7)
    expect(traced.lines).toEqual([{ level: 'trace', obj: { scope: 'yamux' }, msg: 'frame 7' }])
    const plain = recorder(false)
    libp2pLogger(plain.logger, 'trace').forComponent('yamux').trace('frame %d', 7)
    expect(plain.lines).toEqual([{ level: 'debug', obj: { scope: 'yamux', libp2p_level: 'trace' }, msg: 'frame 7' }])
  })
})
