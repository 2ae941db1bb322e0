/**
 * The tray's state machine: keeps the latest snapshot, shows it through a TrayView (icon, tooltip,
 * menu; electron.ts adapts a Tray to it) and carries out the menu's actions, pause and resume
 * among them. Single-threaded: call from main's event loop only.
 */
import type { Logger } from '@devq/core'
import type { RunLine, ShareMode, ShareView, StatusView } from '../renderer/api/types.ts'
import { menuNeedsSet, trayMenu, type MenuAction, type MenuItem, type MenuSnapshot } from './menu-model.ts'
import { ownRunsNewestFirst, type Me } from './own-runs.ts'
import { trayState, trayTooltip, type TrayState } from './tray-model.ts'

/** The tray as the controller drives it. */
export interface TrayView {
  setState(state: TrayState): void
  setToolTip(text: string): void
  setMenu(items: MenuItem[]): void
}

/** What the menu's actions do outside the tray. */
export interface TrayActions {
  setShareMode(mode: ShareMode): Promise<ShareView>
  /** Shows the window at a route (`#/runs/<run>`). */
  open(hash: string): void
  setAutostart(on: boolean): Promise<void>
  quit(): void
}

/** A change of what the tray knows; absent keys stay as they were. `status: undefined` means offline. */
export interface TrayUpdate {
  status?: StatusView | undefined
  /** The runs view (any runs: the controller keeps yours). */
  runs?: readonly RunLine[]
  shareMode?: ShareMode
  autostart?: boolean
}

export interface TrayController {
  update(change: TrayUpdate): void
  /** Carries out a menu action; errors are logged, and the menu shows the node's answer. */
  act(action: MenuAction): Promise<void>
  /** The snapshot shown now (for tests and logs). */
  snapshot(): Readonly<MenuSnapshot>
}

export function createTrayController (components: { view: TrayView, actions: TrayActions, logger: Logger }, init: { me: Me, platform: NodeJS.Platform }): TrayController {
  const { view, actions } = components
  const log = components.logger.child({ component: 'tray' })
  const s: MenuSnapshot = { status: undefined, myRuns: [], shareMode: undefined, pausedFrom: undefined, autostart: false }
  let shown: { state?: TrayState, tooltip?: string, menu?: MenuItem[] } = {}

  function render (): void {
    const state = trayState(s)
    if (state !== shown.state) view.setState(state)
    const tooltip = trayTooltip(s)
    if (tooltip !== shown.tooltip) view.setToolTip(tooltip)
    const menu = trayMenu(s)
    if (menuNeedsSet(init.platform, shown.menu, menu)) view.setMenu(menu)
    shown = { state, tooltip, menu }
  }

  function update (change: TrayUpdate): void {
    if ('status' in change) s.status = change.status
    if (change.runs !== undefined) s.myRuns = ownRunsNewestFirst(change.runs, init.me)
    if (change.shareMode !== undefined) {
      s.shareMode = change.shareMode
      // Sharing again (from here, the dashboard or the CLI) ends the pause.
      if (change.shareMode !== 'off') s.pausedFrom = undefined
    }
    if (change.autostart !== undefined) s.autostart = change.autostart
    render()
  }

  async function share (mode: ShareMode): Promise<void> {
    const answer = await actions.setShareMode(mode)
    update({ shareMode: answer.mode })
  }

  async function act (action: MenuAction): Promise<void> {
    try {
      switch (action.type) {
        case 'open': return actions.open(action.hash)
        case 'quit': return actions.quit()
        case 'share': return await share(action.mode)
        case 'pause': {
          if (s.shareMode === undefined || s.shareMode === 'off') return
          const from = s.shareMode
          await share('off')
          s.pausedFrom = from
          return render()
        }
        case 'resume': {
          if (s.pausedFrom !== undefined) await share(s.pausedFrom)
          return
        }
        case 'autostart':
          await actions.setAutostart(action.on)
          return update({ autostart: action.on })
      }
    } catch (err) {
      log.warn({ err, action }, 'tray action failed')
    }
  }

  render()
  return { update, act, snapshot: () => ({ ...s }) }
}
