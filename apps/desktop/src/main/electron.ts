/**
 * The desktop app's entry: the only file that creates Electron objects. Everything it wires is
 * plain TypeScript behind ports (node-link, tray-controller, node-watch, notify-policy,
 * idle-reporter, autostart, ipc-router); this file adapts Electron to them and is not unit-tested.
 */
import { createWriteStream } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, Notification, powerMonitor, shell, Tray, type IpcMainInvokeEvent, type MenuItemConstructorOptions } from 'electron'
import type { Logger } from '@devq/core'
import { loadDevqNode, STAGED_RELEASE, type DevqNodePackage } from './devq-node-package.ts'
import type { IpcMainPort, IpcSender } from '../shared/ipc-ports.ts'
import { createAutostart, launchCommand } from './autostart.ts'
import { openEventStream } from './event-stream.ts'
import { gitUserName } from './git-user.ts'
import { startIdleReporter } from './idle-reporter.ts'
import { createHandlers, type SaveFile } from './ipc-handlers.ts'
import { createIpcRouter, ownRenderer } from './ipc-router.ts'
import type { MenuAction, MenuItem } from './menu-model.ts'
import { linkNode, type NodeLink } from './node-link.ts'
import { createNotificationPolicy } from './notify-policy.ts'
import { startNodeWatch } from './node-watch.ts'
import { createTrayController, type TrayView } from './tray-controller.ts'
import type { TrayState } from './tray-model.ts'

/** apps/desktop (or the packaged app's root): dist/ and assets/ are below it. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const INDEX = join(ROOT, 'dist', 'renderer', 'index.html')
const PRELOAD = join(ROOT, 'dist', 'preload', 'preload.cjs')
const icon = (state: TrayState): Electron.NativeImage => nativeImage.createFromPath(join(ROOT, 'assets', 'tray', `tray-${state}.png`))

function senderOf (event: IpcMainInvokeEvent): IpcSender {
  const contents = event.sender
  return {
    id: contents.id,
    url: event.senderFrame?.url ?? '',
    push: (channel, payload) => { if (!contents.isDestroyed()) contents.send(channel, payload) },
    onGone: (fn) => {
      let done = false
      const once = (): void => { if (!done) { done = true; fn() } }
      contents.once('destroyed', once)
      contents.once('did-navigate', once)
    }
  }
}

const ipcPort: IpcMainPort = { handle: (channel, handler) => { ipcMain.handle(channel, async (event, payload: unknown) => await handler(senderOf(event), payload)) } }

function template (items: MenuItem[], act: (a: MenuAction) => void): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    if (item.type === 'separator') return { type: 'separator' }
    const action = item.action
    const click = action === undefined ? undefined : () => { act(action) }
    if (item.type === 'normal') return { type: 'normal', label: item.label, enabled: item.enabled, ...(click === undefined ? {} : { click }) }
    return { type: item.type, label: item.label, enabled: item.enabled, checked: item.checked, ...(click === undefined ? {} : { click }) }
  })
}

/** The one window: created on demand, hidden on close (the app lives in the tray). */
function windowKeeper (log: Logger): { open: (hash: string) => void, quitting: () => void } {
  let win: BrowserWindow | undefined
  let quitting = false
  const isOwn = ownRenderer(pathToFileURL(INDEX).href)
  function create (): BrowserWindow {
    const w = new BrowserWindow({
      width: 1200, height: 800, show: false, title: 'DevQ',
      webPreferences: { preload: PRELOAD, contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, spellcheck: false }
    })
    // The page may follow links only within itself; the rest opens in the user's browser.
    w.webContents.on('will-navigate', (e, url) => { if (!isOwn(url)) e.preventDefault() })
    w.webContents.setWindowOpenHandler(({ url }) => {
      if (/^https?:\/\//.test(url)) void shell.openExternal(url)
      return { action: 'deny' }
    })
    w.on('close', (e) => { if (!quitting) { e.preventDefault(); w.hide() } })
    w.on('closed', () => { win = undefined })
    return w
  }
  return {
    open (hash) {
      const first = win === undefined
      win ??= create()
      const shown = win
      shown.loadFile(INDEX, { hash: hash.replace(/^#/, '') }).catch((err: unknown) => { log.error({ err }, 'the window did not load') })
      if (first) shown.once('ready-to-show', () => { shown.show() })
      else shown.show()
    },
    quitting: () => { quitting = true }
  }
}

const saveFile: SaveFile = async (name, body) => {
  const choice = await dialog.showSaveDialog({ defaultPath: join(app.getPath('downloads'), name) })
  if (choice.canceled || choice.filePath === undefined) return
  await pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), createWriteStream(choice.filePath))
}

function trayView (tray: Tray, act: (a: MenuAction) => void): TrayView {
  return {
    setState: (state) => { tray.setImage(icon(state)) },
    setToolTip: (text) => { tray.setToolTip(text) },
    setMenu: (items) => { tray.setContextMenu(Menu.buildFromTemplate(template(items, act))) }
  }
}

async function start (node: DevqNodePackage, log: Logger): Promise<void> {
  const location = node.locateNode(undefined, process.env, homedir())
  const link: NodeLink = await linkNode({ logger: log, node }, {
    dataDir: location.dataDir,
    passDataDir: location.foundBy !== 'default',
    // The app's own binary runs the node: Electron as plain Node.
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }
  })
  const windows = windowKeeper(log)
  const openStream = async (resume: Parameters<typeof openEventStream>[1], handlers: Parameters<typeof openEventStream>[2]) => await openEventStream({ api: link.api, apiUrl: link.apiUrl }, resume, handlers)
  const router = createIpcRouter({ handlers: createHandlers({ api: link.api, openStream, save: saveFile }), logger: log }, { isOwnRenderer: ownRenderer(pathToFileURL(INDEX).href) })
  router.attach(ipcPort)

  const autostart = createAutostart({
    loginItems: { get: () => app.getLoginItemSettings(), set: (s) => { app.setLoginItemSettings(s) } }
  }, { platform: process.platform, command: launchCommand(process.execPath, process.env) })
  const me = { peerId: link.peerId, authorName: await gitUserName() }
  const tray = new Tray(icon('offline'))
  const stopAll: (() => void)[] = []
  const quit = (): void => {
    windows.quitting()
    for (const stop of stopAll) stop()
    void link.close().finally(() => { app.exit(0) })
  }
  const controller = createTrayController({
    view: trayView(tray, (a) => { void controller.act(a) }),
    actions: { setShareMode: async (mode) => await link.api.post('/v1/share', { mode }), open: windows.open, setAutostart: autostart.set, quit },
    logger: log
  }, { me, platform: process.platform })
  controller.update({ autostart: await autostart.enabled() })

  const after = (ms: number, fn: () => void): () => void => { const t = setTimeout(fn, ms); return () => { clearTimeout(t) } }
  const policy = createNotificationPolicy({ detail: async (run) => await link.api.get(`/v1/views/runs/${encodeURIComponent(run)}`), logger: log }, { me })
  const notify = (n: { title: string, body: string, hash: string }): void => {
    const shown = new Notification({ title: n.title, body: n.body })
    shown.on('click', () => { windows.open(n.hash) })
    shown.show()
  }
  const watch = startNodeWatch({ api: link.api, openStream, tray: controller, policy, notify, after, logger: log })
  const idle = startIdleReporter({
    idleSeconds: () => powerMonitor.getSystemIdleTime(),
    report: async (idleSeconds) => { await link.api.post('/v1/activity', { idleSeconds }) },
    nowMs: () => performance.now(),
    every: (ms, tick) => { const t = setInterval(tick, ms); return () => { clearInterval(t) } },
    logger: log
  })
  stopAll.push(() => { watch.stop() }, () => { idle.stop() }, () => { tray.destroy() })
  app.on('second-instance', () => { windows.open('#/grid') })
  app.on('before-quit', () => { windows.quitting() })
  if (!process.argv.includes('--hidden')) windows.open('#/grid')
}

async function main (): Promise<void> {
  const node = await loadDevqNode(app.isPackaged ? join(process.resourcesPath, STAGED_RELEASE) : undefined)
  const log = node.createProcessLogger(process.env.DEVQ_LOG_LEVEL ?? 'info').child({ app: 'desktop' })
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  // A tray app: closing the window does not end it; Quit in the tray does.
  app.on('window-all-closed', () => {})
  app.whenReady().then(async () => { await start(node, log) }).catch((err: unknown) => {
    log.error({ err }, 'the desktop app could not start')
    dialog.showErrorBox('DevQ could not start', (err as Error).message)
    app.exit(1)
  })
}

main().catch((err: unknown) => {
  dialog.showErrorBox('DevQ could not start', (err as Error).message)
  app.exit(1)
})
