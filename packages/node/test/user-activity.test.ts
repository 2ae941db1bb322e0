import { afterEach, describe, expect, it, vi } from 'vitest'
import { silentLogger, systemClock, type Clock } from '@devq/core'
import { parseShowSessions, parseWho, probeSessions, type RunCommand } from '../src/sessions.ts'
import { createUserActivity, PROBE_EVERY_MS, REPORT_STALE_MS } from '../src/user-activity.ts'
import { createSharing } from '../src/sharing.ts'

const components = { clock: systemClock, logger: silentLogger }

describe('login sessions', () => {
  it('reads the idle column of who -u in either date format, and takes unknown terminals as in use', () => {
    const text = [
      'alice    pts/0        2026-01-05 09:12   .          4242 (10.0.0.7)',
      'bob      pts/1        Jan  5 08:01 01:30        4300 (10.0.0.8)',
      'carol    tty2         2026-01-01 10:00  old         812',
      'dave     :0           2026-01-05 07:00   ?          900 (:0)',
      'garbage'
    ].join('\n')
    expect(parseWho(text).map((s) => s.idleSeconds)).toEqual([0, 5400, 86_400, 0])
  })

  it('counts only user sessions of logind, idle since their hint', () => {
    const now = 1_800_000_000_000
    const text = [
      'Class=user\nIdleHint=no\nIdleSinceHint=0',
      'Class=greeter\nIdleHint=no\nIdleSinceHint=0',
      `Class=user\nIdleHint=yes\nIdleSinceHint=${(now - 600_000) * 1000}`
    ].join('\n\n')
    expect(parseShowSessions(text, now)).toEqual([{ idleSeconds: 0 }, { idleSeconds: 600 }])
  })

  it('asks logind first and falls back to who when it does not answer', async () => {
    const asked: string[] = []
    const noLogind: RunCommand = async (file, args) => {
      asked.push(`${file} ${args[0]}`)
      return file === 'who' ? 'erin pts/3 2026-01-05 09:00 00:02 77 (x)\n' : undefined
    }
    expect(await probeSessions(noLogind)).toEqual([{ idleSeconds: 120 }])
    expect(asked).toEqual(['loginctl list-sessions', 'who -u'])
    const logind: RunCommand = async (_file, args) => args[0] === 'list-sessions' ? '  3 1000 erin seat0 tty2\n c7 1001 finn - pts/1\n' : `Class=user\nIdleHint=no\n\nClass=user\nIdleHint=no\n`
    expect(await probeSessions(logind)).toEqual([{ idleSeconds: 0 }, { idleSeconds: 0 }])
  })
})

describe('user activity', () => {
  it('takes the desktop report from then on, its idle time growing with the clock', () => {
    const activity = createUserActivity(components, { load: () => 0, idleLoad: 1000, ownWork: () => false, sessions: async () => [] })
    expect(activity.idleSeconds()).toBeUndefined()
    activity.report(3600)
    expect(activity.source()).toBe('desktop')
    expect(activity.idleSeconds()).toBeGreaterThanOrEqual(3600)
    expect(activity.idleSeconds()).toBeLessThan(3601)
    activity.report(0)
    expect(activity.idleSeconds()).toBeLessThan(1)
    activity.close()
  })

  it('probes sessions while watched: the most recent input of any session counts', async () => {
    const activity = createUserActivity(components, { load: () => 0, idleLoad: 1000, ownWork: () => false, sessions: async () => [{ idleSeconds: 900 }, { idleSeconds: 40 }] })
    activity.watch(true)
    expect(activity.source()).toBe('probe')
    await new Promise((resolve) => setImmediate(resolve))
    expect(activity.idleSeconds()).toBeGreaterThanOrEqual(40)
    expect(activity.idleSeconds()).toBeLessThan(41)
    activity.close()
  })

  it('a dedicated or off peer never counts its user active; an idle one does until it knows better', () => {
    const sharing = createSharing(components, { mode: 'dedicated', idleAfterS: 300, load: () => 0, idleLoad: 1000, ownWork: () => false, activity: createUserActivity(components, { load: () => 0, idleLoad: 1000, ownWork: () => false, sessions: async () => [] }) })
    expect(sharing.userActive()).toBe(false)
    const modes: string[] = []
    sharing.onModeChanged((m) => { modes.push(m) })
    sharing.setMode('idle')
    expect(sharing.userActive()).toBe(true)
    sharing.reportActivity(299)
    expect(sharing.userActive()).toBe(true)
    sharing.reportActivity(301)
    expect(sharing.view()).toMatchObject({ mode: 'idle', userActive: false, activitySource: 'desktop', idleAfterS: 300 })
    expect(sharing.lowPriority()).toBe(true)
    sharing.setMode('off')
    sharing.setMode('off')
    expect(sharing.userActive()).toBe(false)
    expect(sharing.lowPriority()).toBe(false)
    expect(modes).toEqual(['idle', 'off'])
    sharing.close()
  })
})

describe('desktop reports that stop', () => {
  afterEach(() => { vi.useRealTimers() })

  it('count while they come; once none came for REPORT_STALE_MS the probe takes over, and a new report takes it back', async () => {
    // The probe's ticks are timers; the clock it reads is the one it is given.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    let now = 1_000_000
    const clock: Clock = { monotonicMs: () => now, wallMs: () => now }
    const pass = async (ms: number): Promise<void> => {
      now += ms
      await vi.advanceTimersByTimeAsync(ms)
    }
    // Someone is at the keyboard, as the login session says.
    const activity = createUserActivity({ clock, logger: silentLogger }, { load: () => 0, idleLoad: 1000, ownWork: () => false, sessions: async () => [{ idleSeconds: 0 }] })
    activity.watch(true)
    // The desktop app's last report before it crashed: no input for an hour.
    activity.report(3600)
    await pass(REPORT_STALE_MS - PROBE_EVERY_MS)
    expect(activity.source()).toBe('desktop')
    expect(activity.idleSeconds()).toBe(3600 + (REPORT_STALE_MS - PROBE_EVERY_MS) / 1000)

    await pass(2 * PROBE_EVERY_MS)
    expect(activity.source()).toBe('probe')
    expect(activity.idleSeconds()).toBeLessThanOrEqual(PROBE_EVERY_MS / 1000)

    activity.report(7200)
    expect(activity.source()).toBe('desktop')
    expect(activity.idleSeconds()).toBe(7200)
    await pass(PROBE_EVERY_MS)
    expect(activity.idleSeconds()).toBe(7200 + PROBE_EVERY_MS / 1000)
    activity.close()
  })
})
