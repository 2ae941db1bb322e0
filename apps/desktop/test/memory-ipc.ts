/**
 * IPC in one process: our IpcMainPort and IpcRendererPort joined in memory, with payloads and
 * answers copied by structured clone as Electron copies them. It stands in for ipcMain and
 * ipcRenderer, which need Electron's binary.
 */
import type { PushChannels, PushName } from '../src/shared/channels.ts'
import type { IpcMainPort, IpcRendererPort, IpcSender } from '../src/shared/ipc-ports.ts'

export interface MemoryIpc {
  main: IpcMainPort
  /** A window whose frame is at `url`; `gone()` closes it (as a closed or reloaded window). */
  window(url: string): { ipc: IpcRendererPort, gone: () => void, pushes: { channel: string, payload: unknown }[] }
}

export function createMemoryIpc (): MemoryIpc {
  const handlers = new Map<string, (sender: IpcSender, payload: unknown) => Promise<unknown>>()
  let nextId = 1
  return {
    main: {
      handle (channel, handler) {
        if (handlers.has(channel)) throw new Error(`a second handler for ${channel}`)
        handlers.set(channel, handler)
      }
    },
    window (url) {
      const listeners = new Map<string, ((payload: never) => void)[]>()
      const goneFns: (() => void)[] = []
      const pushes: { channel: string, payload: unknown }[] = []
      let alive = true
      const sender: IpcSender = {
        id: nextId++,
        url,
        push<N extends PushName>(channel: N, payload: PushChannels[N]) {
          if (!alive) return
          const copy = structuredClone(payload)
          pushes.push({ channel, payload: copy })
          queueMicrotask(() => { for (const l of listeners.get(channel) ?? []) l(copy as never) })
        },
        onGone: (fn) => { goneFns.push(fn) }
      }
      const ipc: IpcRendererPort = {
        async invoke (channel, payload) {
          const handler = handlers.get(channel)
          if (handler === undefined) throw new Error(`Error invoking remote method '${channel}': No handler registered for '${channel}'`)
          return structuredClone(await handler(sender, structuredClone(payload)))
        },
        on (channel, listener) {
          listeners.set(channel, [...(listeners.get(channel) ?? []), listener as (payload: never) => void])
        }
      }
      return { ipc, pushes, gone: () => { alive = false; for (const fn of goneFns.splice(0)) fn() } }
    }
  }
}
