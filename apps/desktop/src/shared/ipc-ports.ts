/**
 * The two ends of IPC as our code sees them. Electron's ipcMain and ipcRenderer are adapted to
 * these in electron.ts and the preload; tests join them in memory. Payloads cross as structured
 * clones: plain data, no functions, no class instances.
 */
import type { PushChannels, PushName } from './channels.ts'

/** The window a message came from, as main's router sees it. */
export interface IpcSender {
  /** Identifies its webContents for as long as it lives. */
  readonly id: number
  /** URL of the frame that sent the message (checked on every message). */
  readonly url: string
  /** Sends a push message to this window only; dropped once it is gone. */
  push<N extends PushName>(channel: N, payload: PushChannels[N]): void
  /** Calls `fn` once when the window is closed or reloaded. */
  onGone(fn: () => void): void
}

/** Main's end: one handler per channel, each answering the invoke. */
export interface IpcMainPort {
  handle(channel: string, handler: (sender: IpcSender, payload: unknown) => Promise<unknown>): void
}

/** The renderer's end, used by the preload only (never exposed to the page as such). */
export interface IpcRendererPort {
  /** Sends `payload` on `channel` and resolves with main's answer. */
  invoke(channel: string, payload: unknown): Promise<unknown>
  /** Calls `listener` with each push message on `channel`. */
  on<N extends PushName>(channel: N, listener: (payload: PushChannels[N]) => void): void
}
