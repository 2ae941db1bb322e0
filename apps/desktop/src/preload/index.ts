/**
 * The window's preload (sandboxed: it may require only 'electron'). It gives the page one object,
 * `window.devq`, whose named methods are the DevqClient; the page never sees ipcRenderer.
 */
import { contextBridge, ipcRenderer } from 'electron'
import { createIpcClient } from './ipc-client.ts'

contextBridge.exposeInMainWorld('devq', createIpcClient({
  invoke: async (channel, payload) => await ipcRenderer.invoke(channel, payload) as unknown,
  on: (channel, listener) => { ipcRenderer.on(channel, (_event, payload) => { listener(payload) }) }
}))
