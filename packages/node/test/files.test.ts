/** The data dir's secret files on disk: real files with real modes, read by real devq and devq-node processes. */
import { chmod, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cli, removeDir, startNode, tempDataDir, type NodeProc } from './harness.ts'

const dirs: string[] = []
const nodes: NodeProc[] = []
afterEach(async () => {
  await Promise.all(nodes.splice(0).map(async (n) => { await n.kill() }))
  await Promise.all(dirs.splice(0).map(removeDir))
})

async function dataDir (name: string): Promise<string> {
  const dir = await tempDataDir(name)
  dirs.push(dir)
  return dir
}

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777

/** What a promise rejected with (fails the test if it resolved). */
async function rejection (p: Promise<unknown>): Promise<Error> {
  return await p.then(() => { throw new Error('expected a rejection') }, (err: unknown) => err as Error)
}

/** The message of a refused file, as ssh words it, with the fix. */
const refusal = (path: string, mode: string): RegExp => new RegExp(`permissions ${mode} of ${path} are too open: .*run chmod 600 ${path}`)

describe('secret files of the data dir', () => {
  it('are created 0600 in a 0700 dir; a team.json others may read is refused by devq and devq-node alike', async () => {
    const dir = join(await dataDir('files-team'), 'a', 'b')
    await cli(['team', 'init', '--data-dir', dir])
    for (const d of [join(dir, '..'), dir]) expect(await modeOf(d)).toBe(0o700)
    const team = join(dir, 'team.json')
    expect(await modeOf(team)).toBe(0o600)
    expect(await modeOf(join(dir, 'peer.key'))).toBe(0o600)
    await chmod(team, 0o644)
    expect((await rejection(cli(['team', 'token', '--data-dir', dir]))).message).toMatch(refusal(team, '0644'))
    await chmod(team, 0o640)
    expect((await rejection(startNode(dir))).message).toMatch(refusal(team, '0640'))
    await chmod(team, 0o600)
    expect(await cli(['team', 'token', '--data-dir', dir])).toMatch(/^devq1\./)
  })

  it('an api.token others may read is refused by devq-node at its next start; the CLI, over the 0600 socket, never reads it', async () => {
    const dir = await dataDir('files-token')
    const node = await startNode(dir)
    nodes.push(node)
    const token = join(dir, 'api.token')
    expect(await modeOf(token)).toBe(0o600)
    expect(await modeOf(join(dir, 'node.json'))).toBe(0o600)
    await chmod(token, 0o604)
    expect(await cli(['status', '--data-dir', dir])).toMatch(/^peer /)
    await node.stop()
    expect((await rejection(startNode(dir))).message).toMatch(refusal(token, '0604'))
    await chmod(token, 0o600)
    nodes.push(await startNode(dir))
    expect(await cli(['status', '--data-dir', dir])).toMatch(/^peer /)
  })

  it('node.json left 0644 by an earlier crash is written again 0600', async () => {
    const dir = await dataDir('files-runtime')
    await cli(['team', 'init', '--data-dir', dir])
    await writeFile(join(dir, 'node.json'), '{}', { mode: 0o644 })
    await chmod(join(dir, 'node.json'), 0o644)
    nodes.push(await startNode(dir))
    expect(await modeOf(join(dir, 'node.json'))).toBe(0o600)
  })
})
