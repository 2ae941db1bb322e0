/** The tray's state, tooltip and menu, from node views; and the controller that shows them. */
import { describe, expect, it } from 'vitest'
import { silentLogger } from '@devq/core'
import type { ShareMode } from '../src/renderer/api/types.ts'
import { menuNeedsSet, trayMenu, type MenuItem, type MenuSnapshot } from '../src/main/menu-model.ts'
import { createTrayController, type TrayView } from '../src/main/tray-controller.ts'
import { gridSummary, trayState, trayTooltip, type TrayState } from '../src/main/tray-model.ts'
import { OTHER, SELF, peer, runLine, status } from './main-fixtures.ts'

const me = { peerId: SELF, authorName: 'Ada Lovelace' }
const snap = (over: Partial<MenuSnapshot> = {}): MenuSnapshot => ({ status: status(), myRuns: [], shareMode: 'idle', pausedFrom: undefined, autostart: false, ...over })
const labels = (items: MenuItem[]): string[] => items.flatMap((i) => (i.type === 'separator' ? [] : [i.label]))

describe('tray state', () => {
  it('is offline without a status, building while this peer runs a job or a run of yours is under way', () => {
    expect(trayState({ status: undefined, myRuns: [] })).toBe('offline')
    expect(trayState({ status: status({ peer: { jobs: ['j1'] } }), myRuns: [] })).toBe('building')
    expect(trayState({ status: status(), myRuns: [runLine({ status: 'queued' })] })).toBe('building')
  })

  it('is failed when your latest finished run failed, idle once a later one passed', () => {
    const failed = runLine({ status: 'failed', announcedAt: 10 })
    const passed = runLine({ status: 'succeeded', announcedAt: 20 })
    expect(trayState({ status: status(), myRuns: [failed] })).toBe('failed')
    expect(trayState({ status: status(), myRuns: [passed, failed] })).toBe('idle')
  })

  it('counts this peer among the online ones, and waiting jobs in the queue', () => {
    const s = status({ peer: { state: 'busy' }, peers: [peer(), peer({ id: 'x', state: 'offline' }), peer({ id: 'y', state: 'busy' })], queued: 2, waiting: 1 })
    expect(gridSummary(s)).toEqual({ online: 3, busy: 2, queued: 3 })
    expect(trayTooltip({ status: s, myRuns: [runLine({ status: 'failed' })] })).toBe('DevQ: acme\n3 peers online, 2 busy, 3 jobs queued\nyour last build failed')
    expect(trayTooltip({ status: undefined, myRuns: [] })).toMatch(/does not answer/)
  })
})

describe('tray menu', () => {
  it('lists the grid, your last five builds newest first, the share modes as one radio group, and the app actions', () => {
    const runs = Array.from({ length: 7 }, (_, i) => runLine({ subject: `commit ${i}`, announcedAt: 100 + i, status: i === 6 ? 'running' : 'succeeded', jobs: { total: 2, succeeded: 1, failed: 0, cancelled: 0, skipped: 0, active: 1 } }))
    const items = trayMenu(snap({ myRuns: [...runs].reverse(), status: status({ peers: [peer()], queued: 1 }) }))
    expect(labels(items).slice(0, 3)).toEqual(['Grid: 2 online, 0 busy', 'Queue: 1 job', 'Your last builds'])
    const builds = items.filter((i) => i.type === 'normal' && i.action?.type === 'open' && i.action.hash.startsWith('#/runs/'))
    expect(builds.map((b) => (b as { label: string }).label)).toEqual([
      'app: commit 6 (running (1/2 done))', 'app: commit 5 (passed)', 'app: commit 4 (passed)', 'app: commit 3 (passed)', 'app: commit 2 (passed)'
    ])
    expect(builds[0]).toMatchObject({ enabled: true, action: { type: 'open', hash: `#/runs/${runs[6]!.run}` } })
    const radios = items.filter((i) => i.type === 'radio')
    expect(radios.map((r) => [r.group, r.checked, r.action])).toEqual([
      ['share', false, { type: 'share', mode: 'off' }], ['share', true, { type: 'share', mode: 'idle' }],
      ['share', false, { type: 'share', mode: 'shared' }], ['share', false, { type: 'share', mode: 'dedicated' }]
    ])
    expect(labels(items).slice(-4)).toEqual(['Pause sharing', 'Open dashboard', 'Start at login', 'Quit DevQ'])
  })

  it('offline, the share items are disabled and the grid says the node does not answer', () => {
    const items = trayMenu(snap({ status: undefined }))
    expect(labels(items)[0]).toBe('The node does not answer')
    expect(items.filter((i) => i.type === 'radio').every((r) => !r.enabled)).toBe(true)
  })

  it('on Linux the menu is set again after every change, elsewhere only when it differs', () => {
    const a = trayMenu(snap())
    const same = trayMenu(snap())
    const b = trayMenu(snap({ shareMode: 'shared' }))
    expect(menuNeedsSet('linux', a, same)).toBe(true)
    expect(menuNeedsSet('darwin', a, same)).toBe(false)
    expect(menuNeedsSet('win32', a, b)).toBe(true)
    expect(menuNeedsSet('darwin', undefined, a)).toBe(true)
  })
})

function recorder (): TrayView & { calls: string[], menus: MenuItem[][] } {
  const calls: string[] = []
  const menus: MenuItem[][] = []
  return { calls, menus, setState: (s: TrayState) => { calls.push(`state:${s}`) }, setToolTip: () => { calls.push('tooltip') }, setMenu: (m) => { calls.push('menu'); menus.push(m) } }
}

describe('tray controller', () => {
  function controller (platform: NodeJS.Platform) {
    const view = recorder()
    const posted: ShareMode[] = []
    const c = createTrayController({
      view,
      actions: { setShareMode: async (mode) => { posted.push(mode); return { mode, userActive: false, activitySource: 'desktop', idleAfterS: 300 } }, open: () => {}, setAutostart: async () => {}, quit: () => {} },
      logger: silentLogger
    }, { me, platform })
    return { c, view, posted }
  }

  it('keeps only your runs: this peer\'s and commits by the local git user', () => {
    const { c } = controller('darwin')
    c.update({ status: status(), runs: [runLine({ origin: OTHER, author: 'Grace' }), runLine({ origin: OTHER, author: ' ada lovelace ' }), runLine({ origin: SELF, author: 'Bob' })] })
    expect(c.snapshot().myRuns.map((r) => r.author)).toEqual(['Bob', ' ada lovelace '])
  })

  it('pause turns sharing off and remembers the mode; resume brings it back', async () => {
    const { c, posted } = controller('linux')
    c.update({ status: status(), shareMode: 'shared' })
    await c.act({ type: 'pause' })
    expect(c.snapshot()).toMatchObject({ shareMode: 'off', pausedFrom: 'shared' })
    expect(labels(trayMenu(c.snapshot()))).toContain('Resume sharing (shared)')
    await c.act({ type: 'resume' })
    expect(posted).toEqual(['off', 'shared'])
    expect(c.snapshot()).toMatchObject({ shareMode: 'shared', pausedFrom: undefined })
  })

  it('sets the icon only when the state changes, and on Linux the menu on every update', () => {
    const linux = controller('linux')
    linux.c.update({ status: status() })
    linux.c.update({ status: status() })
    expect(linux.view.calls.filter((x) => x === 'menu')).toHaveLength(3)
    expect(linux.view.calls.filter((x) => x.startsWith('state:'))).toEqual(['state:offline', 'state:idle'])
    const mac = controller('darwin')
    mac.c.update({ status: status() })
    mac.c.update({ status: status() })
    expect(mac.view.calls.filter((x) => x === 'menu')).toHaveLength(2)
  })
})
