/** The daemon's log format: JSON lines for machines, pretty lines at a terminal. */
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createProcessLogger } from '../src/index.ts'

/** A stream that keeps what it is given, and a wait for the first `n` lines. */
function sink (): { stream: Writable, lines: (n: number) => Promise<string[]> } {
  let text = ''
  let wake: (() => void) | undefined
  const stream = new Writable({ write (chunk: Buffer, _enc, done) { text += chunk.toString(); wake?.(); done() } })
  return {
    stream,
    async lines (n) {
      while (text.split('\n').length <= n) await new Promise<void>((resolve) => { wake = resolve })
      return text.split('\n').slice(0, n)
    }
  }
}

describe('the process logger', () => {
  it('writes one JSON object a line when stderr is not a terminal, with the fields as given', async () => {
    const out = sink()
    const log = createProcessLogger('info', { isTty: false, destination: out.stream })
    log.child({ component: 'scheduler', peer_id: '12D3KooWPeer' }).info({ job_id: 'abc', wait_ms: 12 }, 'job started')
    log.debug({}, 'below the level')
    log.warn({}, 'second')
    const [first, second] = (await out.lines(2)).map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(first).toMatchObject({ level: 30, msg: 'job started', component: 'scheduler', peer_id: '12D3KooWPeer', job_id: 'abc', wait_ms: 12 })
    expect(typeof first!.time).toBe('number')
    expect(first).not.toHaveProperty('pid')
    expect(second).toMatchObject({ level: 40, msg: 'second' })
  })

  it('pretty-prints for a person at a terminal: level name, message, one field a line', async () => {
    const out = sink()
    const log = createProcessLogger('info', { isTty: true, destination: out.stream })
    log.child({ component: 'scheduler' }).info({ job_id: 'abc' }, 'job started')
    const lines = await out.lines(3)
    expect(() => JSON.parse(lines[0]!)).toThrow()
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: job started$/)
    expect(lines.slice(1)).toEqual(['    component: "scheduler"', '    job_id: "abc"'])
  })
})
