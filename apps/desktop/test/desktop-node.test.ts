/**
 * The desktop app's main process against a real devq-node: the node link finds it, main's IPC
 * router answers for it, and the preload's DevqClient reaches it through IPC (in memory: the only
 * part that stands in for Electron).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '@devq/core'
import { launchDevqNode, type LaunchedNode } from '@devq/node'
import type { ServerMessage } from '../src/renderer/api/types.ts'
import { openEventStream } from '../src/main/event-stream.ts'
import { createHandlers, plainFileName } from '../src/main/ipc-handlers.ts'
import { createIpcRouter, ownRenderer } from '../src/main/ipc-router.ts'
import { linkNode, type NodeLink } from '../src/main/node-link.ts'
import { loadDevqNode } from '../src/main/devq-node-package.ts'
import { createIpcClient } from '../src/preload/ipc-client.ts'
import { createMemoryIpc } from './memory-ipc.ts'

/** @devq/node as the app loads it from the repository. */
const devqNode = await loadDevqNode()

const INDEX_URL = pathToFileURL('/opt/DevQ/resources/app/dist/renderer/index.html').href

describe('desktop main with a real node', () => {
  let dir: string
  let node: LaunchedNode
  let link: NodeLink
  const ipc = createMemoryIpc()

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'devq-desktop-'))
    node = await launchDevqNode({ dataDir: dir })
    link = await linkNode({ logger: silentLogger, node: devqNode, launch: async () => { throw new Error('a node runs already: no launch') } }, { dataDir: dir })
    const openStream = async (resume: Parameters<typeof openEventStream>[1], handlers: Parameters<typeof openEventStream>[2]) => await openEventStream({ api: link.api, apiUrl: link.apiUrl }, resume, handlers)
    const saved: string[] = []
    const handlers = createHandlers({ api: link.api, openStream, save: async (name) => { saved.push(name) } })
    createIpcRouter({ handlers, logger: silentLogger }, { isOwnRenderer: ownRenderer(INDEX_URL) }).attach(ipc.main)
  })
  afterAll(async () => {
    await link?.close()
    await node?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('the link connects to the node already running on the data dir', () => {
    expect(link.launched).toBe(false)
    expect(link.peerId).toBe(node.ready.peerId)
    expect(link.apiUrl).toBe(node.ready.api)
  })

  it('the window\'s client reads the status, jobs and runs, and changes the share mode', async () => {
    const client = createIpcClient(ipc.window(`${INDEX_URL}#/grid`).ipc)
    const status = await client.status()
    expect(status.value.peer.id).toBe(node.ready.peerId)
    expect(status.value.peer.self).toBe(true)
    expect(typeof status.seq).toBe('number')
    expect((await client.jobs({ limit: 10 })).value).toEqual([])
    expect((await client.runs()).value).toEqual([])
    expect((await client.setShareMode('idle')).mode).toBe('idle')
    expect((await client.share()).mode).toBe('idle')
    expect((await client.setShareMode('shared')).mode).toBe('shared')
  })

  it('the node\'s own error answers reach the window as {name, message, data}', async () => {
    const client = createIpcClient(ipc.window(INDEX_URL).ipc)
    const err = await client.job('f'.repeat(64)).catch((e: unknown) => e) as Error & { data: Record<string, unknown> }
    expect(err.name).toBe('ApiRequestError')
    expect(err.message).toMatch(/no job/)
    expect(err.data.status).toBe(404)
  })

  it('the event stream opens over IPC, says hello, and carries the share change', async () => {
    const window = ipc.window(INDEX_URL)
    const client = createIpcClient(window.ipc)
    const messages: ServerMessage[] = []
    let closed: { code: number } | undefined
    let wake: () => void = () => {}
    const next = async (pred: (m: ServerMessage) => boolean): Promise<ServerMessage> => {
      for (;;) {
        const found = messages.find(pred)
        if (found !== undefined) return found
        await new Promise<void>((resolve) => { wake = resolve })
      }
    }
    const conn = await client.openEvents(undefined, {
      message: (m) => { messages.push(m); wake() },
      closed: (info) => { closed = info; wake() }
    })
    const hello = await next((m) => m.type === 'hello')
    expect(hello).toMatchObject({ type: 'hello', stream: expect.stringMatching(/^[0-9a-f]{16}$/) })
    const before = (await client.share()).mode
    await client.setShareMode(before === 'off' ? 'idle' : 'off')
    const peer = await next((m) => m.type === 'peer.changed' && m.data.peer.self)
    expect(peer.type).toBe('peer.changed')
    // Only the window that subscribed hears its stream.
    const other = ipc.window(INDEX_URL)
    expect(other.pushes).toEqual([])
    conn.close()
    await new Promise<void>((resolve) => { if (closed !== undefined) resolve(); else wake = resolve })
    expect(closed?.code).toBe(1000)
  })

  it('an artifact download asks the node for the digest as the views spell it', async () => {
    const client = createIpcClient(ipc.window(INDEX_URL).ipc)
    const digest = `sha256:${'ab'.repeat(32)}`
    const err = await client.downloadArtifact(digest, 'app.tar').catch((e: unknown) => e) as Error & { data: Record<string, unknown> }
    expect(err.name).toBe('ApiRequestError')
    expect(err.message).toContain(`no job in the ledger lists ${digest}`)
    expect(err.data.status).toBe(404)
  })

  it('refuses a foreign frame, a bad payload and an unknown channel', async () => {
    const foreign = createIpcClient(ipc.window('https://evil.example/index.html').ipc)
    await expect(foreign.status()).rejects.toMatchObject({ name: 'IpcSenderError' })
    const own = ipc.window(INDEX_URL).ipc
    expect(await own.invoke('devq:setShareMode', { mode: 'always' })).toMatchObject({ ok: false, error: { name: 'IpcPayloadError', message: expect.stringContaining('mode') } })
    await expect(own.invoke('devq:shell', {})).rejects.toThrow(/No handler/)
  })
})

describe('the name a download is saved under', () => {
  it('is one plain file name, whatever the ledger named the artifact', () => {
    expect(plainFileName('app-1.2.tar.gz')).toBe('app-1.2.tar.gz')
    expect(plainFileName('../.bashrc')).toBe('.._.bashrc')
    expect(plainFileName('..\\..\\startup.bat')).toBe('.._.._startup.bat')
    expect(plainFileName('/etc/cron.d/x')).toBe('_etc_cron.d_x')
    expect(plainFileName('..')).toBe('_..')
    expect(plainFileName('a\nb\u0000c')).toBe('a_b_c')
  })
})
