import { afterEach, describe, expect, it } from 'vitest'
import { cli, removeDir, startNode, startStrictAdmin, tempDataDir, waitFor, waitMeshed, type NodeProc } from './harness.ts'
import { runDevq, validJson } from './cli-run.ts'

const nodes: NodeProc[] = []
const dirs: string[] = []
afterEach(async () => {
  await Promise.all(nodes.splice(0).map(async (n) => { await n.kill() }))
  await Promise.all(dirs.splice(0).map(removeDir))
})

describe('a strict team as devq doctor and devq team list show it', () => {
  it('doctor fails a peer the admin has not added yet; team list shows roles, this peer and who is live', async () => {
    const { admin, dir, token } = await startStrictAdmin()
    nodes.push(admin)
    dirs.push(dir)
    const joinerDir = await tempDataDir('joiner')
    dirs.push(joinerDir)
    expect((await runDevq(['init', '--join', '-', '--data-dir', joinerDir], { input: token + '\n' })).code).toBe(0)
    const joiner = await startNode(joinerDir)
    nodes.push(joiner)

    const outsider = await runDevq(['doctor', '--data-dir', joinerDir])
    expect(outsider.code).toBe(1)
    expect(outsider.stdout).toMatch(new RegExp(`^fail\\s+team\\s+strict team \\S+: this peer \\(${joiner.peerId}\\) is not a member yet`, 'm'))
    expect(outsider.stdout).toContain(`fix: ask an admin to run: devq team add ${joiner.peerId}`)

    const added = validJson('teamMembers', await cli(['team', 'add', joiner.peerId, '--trusted', '--json', '--data-dir', dir]))
    expect(added).toMatchObject({ mode: 'strict', members: { [admin.peerId]: 'admin', [joiner.peerId]: 'trusted' } })
    await waitMeshed([admin, joiner])
    const listed = await cli(['team', 'list', '--data-dir', dir])
    expect(listed).toMatch(/^team \S+ \(strict\): 2 member\(s\), 2 live \(this peer among them\)$/m)
    expect(listed).toMatch(new RegExp(`^  ${admin.peerId}  admin    live  \\(this peer\\)$`, 'm'))
    expect(listed).toMatch(new RegExp(`^  ${joiner.peerId}  trusted  live$`, 'm'))
    // The joiner learns of its membership by sync.
    const asJson = await waitFor('the joiner to list itself', async () => {
      const answer = validJson<{ members: { peer: string }[] }>('teamList', await cli(['team', 'list', '--json', '--data-dir', joinerDir]))
      return answer.members.length === 2 ? answer : undefined
    })
    expect(asJson).toMatchObject({ mode: 'strict', self: joiner.peerId })
    expect(asJson.members).toEqual([
      { peer: admin.peerId, role: 'admin', listed: true, live: true, self: false },
      { peer: joiner.peerId, role: 'trusted', listed: true, live: true, self: true }
    ])
  }, 120_000)
})
