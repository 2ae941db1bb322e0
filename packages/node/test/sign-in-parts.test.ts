/** The parts of browser sign-in that need no node: the code and session store on a set clock, and the opener per platform. */
import { describe, expect, it } from 'vitest'
import { CODE_TTL_MS, createBrowserSessions, MAX_CODES, MAX_SESSIONS, SESSION_TTL_MS } from '../src/browser-sessions.ts'
import { openerFor } from '../src/cli-open.ts'

describe('the sign-in store', () => {
  it('signs in once per code, within its minute', () => {
    let now = 0
    const store = createBrowserSessions(() => now)
    const first = store.issueCode().code
    const late = store.issueCode().code
    const session = store.redeem(first)
    expect(session?.session).toMatch(/^[0-9a-f]{64}$/)
    expect(store.redeem(first)).toBeUndefined()
    now = CODE_TTL_MS
    expect(store.redeem(late)).toBeUndefined()
    expect(store.remainingMs(session!.session)).toBe(SESSION_TTL_MS - CODE_TTL_MS)
  })

  it(`keeps at most ${MAX_CODES} codes outstanding, dropping the oldest`, () => {
    const store = createBrowserSessions(() => 0)
    const codes = Array.from({ length: MAX_CODES + 1 }, () => store.issueCode().code)
    expect(store.redeem(codes[0]!)).toBeUndefined()
    for (const code of codes.slice(1)) expect(store.redeem(code)).toBeDefined()
  })

  it('ends a session when it expires, when asked, and past the most it keeps', () => {
    let now = 0
    const store = createBrowserSessions(() => now)
    const signIn = (): string => store.redeem(store.issueCode().code)!.session
    const oldest = signIn()
    const ended = signIn()
    store.end(ended)
    store.end(ended)
    expect(store.remainingMs(ended)).toBeUndefined()
    const rest = Array.from({ length: MAX_SESSIONS - 1 }, signIn)
    expect(store.remainingMs(oldest)).toBeDefined()
    signIn()
    expect(store.remainingMs(oldest)).toBeUndefined()
    expect(store.remainingMs(rest[0]!)).toBeDefined()
    now = SESSION_TTL_MS
    expect(store.remainingMs(rest[0]!)).toBeUndefined()
    expect(store.remainingMs('not a session')).toBeUndefined()
  })
})

describe('the browser opener', () => {
  const url = 'http://127.0.0.1:4410/#code=ab'
  it('uses open on macOS, cmd /c start on Windows, and xdg-open on Linux only with a display', () => {
    expect(openerFor(url, 'darwin', {})).toEqual({ command: 'open', args: [url], verbatim: false })
    expect(openerFor(url, 'win32', {})).toEqual({ command: 'cmd', args: ['/c', 'start', '""', url], verbatim: true })
    expect(openerFor(url, 'linux', { DISPLAY: ':0' })).toEqual({ command: 'xdg-open', args: [url], verbatim: false })
    expect(openerFor(url, 'linux', { WAYLAND_DISPLAY: 'wayland-0' })).toMatchObject({ command: 'xdg-open' })
    expect(openerFor(url, 'linux', { DISPLAY: '' })).toEqual({ none: expect.stringContaining('no display') })
  })
})
