/**
 * The slots and labels a running node lends, changed through its control API, and the team and
 * join token it shows (real processes, a real repository whose jobs wait at a gate on loopback).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { arch, platform } from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeJoinToken } from '../src/index.ts'
import { cli, removeDir, startNode, tempDataDir, waitFor, waitMeshed, type NodeProc } from './harness.ts'
import { startRun, waitRun } from './builds.ts'
import { commitAll, git } from './fixtures/c-project.ts'
import { socketRequest } from './unix-socket.ts'

const nodes: NodeProc[] = []
const dirs: string[] = []
const sockets: Socket[] = []
let closeGate = (): void => {}
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  closeGate()
  await Promise.all(nodes.splice(0).map(async (n) => { await n.kill() }))
  await Promise.all(dirs.splice(0).map(removeDir))
})

async function dir (name: string): Promise<string> {
  const d = await tempDataDir(name)
  dirs.push(d)
  return d
}

/** A port on loopback where steps wait (a read on a connection) until `open` sends them a word. */
async function gate (): Promise<{ port: number, waiting: () => number, open: () => void }> {
  const server = createServer((s) => { sockets.push(s) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closeGate = () => { server.close() }
  return { port: (server.address() as { port: number }).port, waiting: () => sockets.length, open: () => { for (const s of sockets) s.end('go\n') } }
}

/** A request whose error answer is returned, not thrown: status and body. */
async function answer (node: NodeProc, method: string, path: string, body?: unknown): Promise<{ status: number, body: { message?: string, data?: Record<string, unknown> } & Record<string, unknown> }> {
  const token = (await readFile(join(node.dataDir, 'api.token'), 'utf8')).trim()
  const res = await fetch(node.api + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) })
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}

interface PeerRow { id: string, slots?: { used: number, total: number }, labels?: string[] }
const rowOf = async (viewer: NodeProc, peer: string): Promise<PeerRow | undefined> => {
  const s = await viewer.get<{ peer: PeerRow, peers: PeerRow[] }>('/v1/views/status')
  return [s.peer, ...s.peers].find((p) => p.id === peer)
}
const running = async (node: NodeProc): Promise<string[]> => (await node.get<{ peer: { running: string[] } }>('/v1/status')).peer.running

/** The labels a node offers by default. */
const OWN = [platform(), arch()]
const CONFIG = '# lent to the team while the desk is empty\nslots: 1\n'

describe('slots, labels and the team through the control API (real processes)', () => {
  it('more slots take a queued job at once; fewer stop nothing; each change is in the config file, a bad one is a 400 naming the field', async () => {
    // A announces and coordinates; B runs, with its settings in its config file.
    const aDir = await dir('a')
    const a = await startNode(aDir, ['--slots', '0'])
    nodes.push(a)
    const token = (await cli(['team', 'token', '--data-dir', aDir])).trim()
    const bDir = await dir('b')
    await cli(['team', 'join', '-', '--data-dir', bDir], token)
    const file = join(bDir, 'config.yml')
    await writeFile(file, CONFIG)
    let b = await startNode(bDir)
    nodes.push(b)
    await waitMeshed([a, b])
    expect(await b.get('/v1/settings')).toEqual({ slots: 1, labels: OWN })

    const g = await gate()
    const step = `exec 3<>/dev/tcp/127.0.0.1/${g.port}; read -r word <&3; echo "through the gate: $word"`
    const repo = await dir('repo')
    await writeFile(join(repo, '.devq.yml'), `version: 1\njobs:\n  one:\n    steps: ['${step}']\n  two:\n    steps: ['${step}']\n`)
    await git(repo, ['init', '-q', '-b', 'main'])
    await commitAll(repo, 'two jobs at a gate')
    const run = await startRun(a, repo)
    await waitFor('one job at the gate', async () => g.waiting() === 1 && (await running(b)).length === 1)
    expect(await rowOf(b, b.peerId)).toMatchObject({ slots: { used: 1, total: 1 } })

    // A second slot: B bids for the queued job at once, and A hears the new slots in B's heartbeat.
    expect(await b.post('/v1/settings', { slots: 2 })).toEqual({ slots: 2, labels: OWN, kept: { file } })
    await waitFor('the second job at the gate', async () => g.waiting() === 2 && (await running(b)).length === 2, 30_000)
    expect(await rowOf(b, b.peerId)).toMatchObject({ slots: { used: 2, total: 2 } })
    await waitFor('A to see two slots on B', async () => (await rowOf(a, b.peerId))?.slots?.total === 2, 30_000)
    const kept = await readFile(file, 'utf8')
    expect(kept).toMatch(/^slots: 2$/m)
    expect(kept).toContain('# lent to the team while the desk is empty')

    // Back to one slot while two run: both go on to the end.
    expect(await b.post('/v1/settings', { slots: 1 })).toMatchObject({ slots: 1, kept: { file } })
    expect(await running(b)).toHaveLength(2)
    // New labels reach the peers with the next heartbeat, sent at once.
    expect(await b.post('/v1/settings', { labels: [...OWN, 'gpu', 'gpu'] })).toEqual({ slots: 1, labels: [...OWN, 'gpu'], kept: { file } })
    expect((await readFile(file, 'utf8')).match(/gpu/g)).toHaveLength(1)
    await waitFor('A to see the gpu label on B', async () => (await rowOf(a, b.peerId))?.labels?.includes('gpu') === true, 30_000)
    g.open()
    const jobs = await waitRun(a, run.run)
    expect([...jobs.values()].map((j) => [j.pipelineJob, j.status, j.attempts.length])).toEqual([['one', 'succeeded', 1], ['two', 'succeeded', 1]])

    // Refused as the config file would refuse them, naming the field; nothing changes.
    const tooMany = await answer(b, 'POST', '/v1/settings', { slots: 300 })
    expect(tooMany).toMatchObject({ status: 400, body: { name: 'ApiRequestError', data: { status: 400, field: 'slots' } } })
    expect(tooMany.body.message).toContain('slots: expected a number from 0 to 256')
    const reserved = await answer(b, 'POST', '/v1/settings', { labels: [OWN[0], 'devq:sandbox'] })
    expect(reserved).toMatchObject({ status: 400, body: { data: { field: 'labels.1' } } })
    expect(reserved.body.message).toMatch(/labels\[1\]: labels starting with devq: are set by DevQ itself/)
    expect(await answer(b, 'POST', '/v1/settings', { slotz: 2 })).toMatchObject({ status: 400, body: { data: { field: 'slotz' } } })
    expect(await answer(b, 'POST', '/v1/settings', {})).toMatchObject({ status: 400 })
    expect(await b.get('/v1/settings')).toEqual({ slots: 1, labels: [...OWN, 'gpu'] })

    // The file holds the last change: the next start lends the same.
    expect(await readFile(file, 'utf8')).toMatch(new RegExp(`^slots: 1\nlabels: \\[${OWN.join(', ')}, gpu\\]$`, 'm'))
    await b.stop()
    nodes.splice(nodes.indexOf(b), 1)
    b = await startNode(bDir)
    nodes.push(b)
    expect(await b.get('/v1/settings')).toEqual({ slots: 1, labels: [...OWN, 'gpu'] })
  }, 180_000)

  it('shows the team with each member\'s role and gives the join token devq team token prints', async () => {
    const aDir = await dir('team-a')
    const a = await startNode(aDir, ['--slots', '0'])
    nodes.push(a)
    const printed = (await cli(['team', 'token', '--data-dir', aDir])).trim()
    const bDir = await dir('team-b')
    await cli(['team', 'join', '-', '--data-dir', bDir], printed)
    const b = await startNode(bDir, ['--slots', '0'])
    nodes.push(b)
    await waitMeshed([a, b])
    const decoded = decodeJoinToken(printed)

    expect(await a.get('/v1/team')).toEqual({ name: decoded.name, mode: 'open', self: a.peerId, members: [{ peer: a.peerId, role: 'admin', self: true }] })
    expect(await b.get('/v1/team')).toEqual({ name: decoded.name, mode: 'open', self: b.peerId, members: [{ peer: a.peerId, role: 'admin', self: false }] })
    await a.post('/v1/team/members', { peer: b.peerId, role: 'trusted' })
    await waitFor('B to learn it is trusted', async () => (await b.get<{ members: { peer: string }[] }>('/v1/team')).members.length === 2)
    expect(await b.get('/v1/team')).toMatchObject({ members: [{ peer: a.peerId, role: 'admin', self: false }, { peer: b.peerId, role: 'trusted', self: true }] })

    const { token } = await a.post<{ token: string }>('/v1/team/token')
    expect(token).toBe(printed)
    expect(decodeJoinToken(token)).toEqual({ name: decoded.name, mode: 'open', key: decoded.key, admin: a.peerId, addrs: a.addresses })
    // Over the unix socket no bearer token is needed; B's token names B's addresses and the same team.
    const viaSocket = await socketRequest(bDir, 'POST', '/v1/team/token')
    expect(viaSocket.status).toBe(200)
    expect(decodeJoinToken((JSON.parse(viaSocket.body) as { token: string }).token)).toMatchObject({ name: decoded.name, key: decoded.key, admin: a.peerId, addrs: b.addresses })
  }, 120_000)
})
