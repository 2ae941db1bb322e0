import { execFileSync } from 'node:child_process'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { removeDir, tempDataDir } from './harness.ts'
import { runDevq, validJson } from './cli-run.ts'

const dirs: string[] = []
afterEach(async () => { await Promise.all(dirs.splice(0).map(removeDir)) })
const dataDir = async (name: string): Promise<string> => { const d = await tempDataDir(name); dirs.push(d); return d }
const teamOf = async (dir: string): Promise<{ name: string, mode: string, key: string, admin: string }> => JSON.parse(await readFile(join(dir, 'team.json'), 'utf8'))

const hasScript = ((): boolean => { try { execFileSync('script', ['--version'], { stdio: 'ignore' }); return true } catch { return false } })()

describe('devq init', () => {
  it('creates a team or joins one from flags, and says what to do next', async () => {
    const a = await dataDir('init-a')
    const created = await runDevq(['init', '--create', '--name', 'alpha', '--mode', 'strict', '--data-dir', a])
    expect(created.code, created.stderr).toBe(0)
    const team = await teamOf(a)
    expect(team).toMatchObject({ name: 'alpha', mode: 'strict' })
    expect((await stat(join(a, 'team.json'))).mode & 0o777).toBe(0o600)
    expect((await stat(join(a, 'peer.key'))).mode & 0o777).toBe(0o600)
    expect(created.stdout).toContain(`new identity: peer ${team.admin}`)
    for (const step of [`devq-node --data-dir ${a}`, 'devq hook install', 'devq team add <peer>', `devq doctor --data-dir ${a}`]) expect(created.stdout).toContain(step)

    const token = (await runDevq(['team', 'token', '--data-dir', a])).stdout.trim()
    expect(validJson('teamToken', (await runDevq(['team', 'token', '--json', '--data-dir', a])).stdout)).toEqual({ token, addrs: [] })
    const b = await dataDir('init-b')
    const joined = await runDevq(['init', '--join', '-', '--json', '--data-dir', b], { input: token + '\n' })
    expect(joined.code, joined.stderr).toBe(0)
    const answer = validJson<{ peerId: string, action: string, team: string, next: string[] }>('init', joined.stdout)
    expect(answer).toMatchObject({ action: 'joined', team: 'alpha', mode: 'strict', identity: 'created' })
    expect(answer.peerId).not.toBe(team.admin)
    expect(answer.next).toContain(`ask an admin to add this peer: devq team add ${answer.peerId}`)
    expect(await teamOf(b)).toEqual({ ...team, bootstrap: [] })

    const c = await dataDir('init-c')
    await writeFile(join(c, 'token'), token + '\n', { mode: 0o600 })
    const fromFile = await runDevq(['init', '--token-file', join(c, 'token'), '--data-dir', join(c, 'node')])
    expect(fromFile.code, fromFile.stderr).toBe(0)
    expect(fromFile.stdout).toContain('joined team alpha (strict)')

    // Once set up, init says so; creating or joining again is refused.
    const again = await runDevq(['init', '--data-dir', a])
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('already in team alpha (strict)') })
    expect(again.stdout).toContain(`identity: peer ${team.admin}`)
    const againJson = await runDevq(['init', '--json', '--data-dir', a])
    expect(validJson('init', againJson.stdout)).toMatchObject({ peerId: team.admin, identity: 'existing', action: 'existing', team: 'alpha', admin: true })
    const twice = await runDevq(['init', '--create', '--data-dir', a])
    expect(twice.code).toBe(2)
    expect(twice.stderr).toContain(`${a} already belongs to team alpha`)
  })

  it('without a terminal and without flags explains the flags, exits 2 and makes nothing', async () => {
    const d = await dataDir('init-plain')
    const res = await runDevq(['init', '--data-dir', join(d, 'node')], { input: '' })
    expect(res.code).toBe(2)
    for (const flag of ['--create', '--mode open|strict', '--join -', '--token-file <path>']) expect(res.stderr).toContain(flag)
    expect(await readdir(d)).toEqual([])
    const both = await runDevq(['init', '--create', '--join', '-', '--data-dir', join(d, 'node')], { input: '' })
    expect(both.code).toBe(2)
    expect(both.stderr).toContain('either --create or --join')
  })

  it.skipIf(!hasScript)('asks on a terminal, taking answers typed ahead', async () => {
    const d = await dataDir('init-tty')
    const devq = fileURLToPath(new URL('../bin/devq.ts', import.meta.url))
    const command = [process.execPath, devq, 'init', '--data-dir', join(d, 'node')].map((w) => `'${w}'`).join(' ')
    // script(1) runs the CLI on a pseudo-terminal; what it reads on stdin is typed into it.
    const out = execFileSync('script', ['-qec', command, '/dev/null'], { input: 'c\nbeta\nopen\n', encoding: 'utf8', timeout: 60_000 })
    expect(out).toContain('Create a new team (c) or join one with a join token (j)?')
    expect(out).toContain('team beta created (open)')
    expect(await teamOf(join(d, 'node'))).toMatchObject({ name: 'beta', mode: 'open' })
  })
})
