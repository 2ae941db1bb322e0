import { access, chmod, mkdtemp, symlink } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { tmpdir } from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { execa } from 'execa'
import { checkClock, checkMembership, checkPeers, type NodeReport } from '../src/doctor-checks.ts'
import { diskLevel } from '../src/doctor-system.ts'
import { removeDir, startCluster, waitMeshed, type Cluster } from './harness.ts'
import { runDevq, validJson } from './cli-run.ts'

let cluster: Cluster | undefined
const dirs: string[] = []
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
  await Promise.all(dirs.splice(0).map(removeDir))
})
const tempDir = async (name: string): Promise<string> => { const d = await mkdtemp(join(tmpdir(), `devq-${name}-`)); dirs.push(d); return d }

/** The first `name` on this process's PATH. */
async function onPath (name: string): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, name)
    if (await access(path).then(() => true, () => false)) return path
  }
  throw new Error(`no ${name} on the PATH`)
}

/** A git repository with DevQ's hooks, installed by `devq hook install` for the node on `dataDir`. */
async function repoWithHook (dataDir: string): Promise<string> {
  const repo = await tempDir('repo')
  await execa('git', ['init', '-q', repo])
  const installed = await runDevq(['hook', 'install', '--repo', repo, '--data-dir', dataDir])
  expect(installed.code, installed.stderr).toBe(0)
  return repo
}

const line = (out: string, level: string, check: string): RegExp => new RegExp(`^${level}\\s+${check}\\s+`, 'm')

describe('devq doctor', () => {
  it('fails a world-readable team file naming the fix, and warns that sandboxed jobs will not run without bubblewrap', async () => {
    const data = await tempDir('doctor')
    expect((await runDevq(['init', '--create', '--data-dir', data])).code).toBe(0)
    const teamFile = join(data, 'team.json')
    await chmod(teamFile, 0o644)
    // A PATH with git and nothing else: no bwrap.
    const bin = await tempDir('bin')
    await symlink(await onPath('git'), join(bin, 'git'))
    const repo = await tempDir('plain-repo')
    await execa('git', ['init', '-q', repo])
    const env = { ...process.env, PATH: bin, DEVQ_SANDBOX: '' }

    const planted = await runDevq(['doctor', '--data-dir', data], { env, cwd: repo })
    expect(planted.code).toBe(1)
    expect(planted.stdout).toMatch(line(planted.stdout, 'fail', 'team file'))
    expect(planted.stdout).toContain(`permissions 0644 of ${teamFile} are too open`)
    expect(planted.stdout).toContain(`fix: chmod 600 ${teamFile}`)
    expect(planted.stdout).toMatch(/^warn\s+sandbox\s+bubblewrap is not installed \(no bwrap on the PATH\): sandboxed \(network: false\) and sensitive jobs will not run here$/m)
    expect(planted.stdout).toMatch(/^ok\s+git\s+git version \d/m)
    expect(planted.stdout).toMatch(line(planted.stdout, 'warn', 'hook'))
    expect(planted.stdout).toMatch(/^fail\s+node\s+no devq-node is running/m)

    // A node that must sandbox cannot run here at all.
    const strict = await runDevq(['doctor', '--data-dir', data], { env: { ...env, DEVQ_SANDBOX: 'on' }, cwd: repo })
    expect(strict.stdout).toMatch(/^fail\s+sandbox\s+bubblewrap is not installed .*devq-node --sandbox on will not start/m)

    await chmod(teamFile, 0o600)
    const fixed = validJson<{ ok: boolean, checks: { check: string, level: string }[] }>('doctor', (await runDevq(['doctor', '--json', '--data-dir', data], { env, cwd: await repoWithHook(data) })).stdout)
    const level = (check: string): string | undefined => fixed.checks.find((c) => c.check === check)?.level
    expect([level('identity'), level('team file'), level('team'), level('hook'), level('git')]).toEqual(['ok', 'ok', 'ok', 'ok', 'ok'])
    expect(fixed.ok).toBe(false)
  }, 120_000)

  it('passes on a running team and warns of a peer whose clock is ahead', async () => {
    cluster = await startCluster(2, (i) => (i === 1 ? ['--fault-clock-offset-ms', '10000'] : []))
    const [a] = cluster.nodes
    await waitMeshed(cluster.nodes)
    const repo = await repoWithHook(a!.dataDir)
    const res = await runDevq(['doctor', '--data-dir', a!.dataDir], { cwd: repo })
    expect(res.code, res.stdout).toBe(0)
    expect(res.stdout).toMatch(/^ok\s+node\s+devq-node \(pid \d+\) answers at http:\/\/127\.0\.0\.1:\d+/m)
    expect(res.stdout).toMatch(/^ok\s+peers\s+1 connected, 1 live$/m)
    expect(res.stdout).toMatch(/^warn\s+clock\s+largest skew \+(9|10)\.\d s /m)
    expect(res.stdout).toMatch(/^0 fail, \d+ warn, \d+ ok$/m)
    const asJson = await runDevq(['doctor', '--json', '--data-dir', a!.dataDir], { cwd: repo })
    expect(asJson.code, asJson.stdout).toBe(0)
    const report = validJson<{ ok: boolean, checks: { check: string, level: string, message: string }[] }>('doctor', asJson.stdout)
    expect(report.ok).toBe(true)
    expect(report.checks.find((c) => c.check === 'clock')).toMatchObject({ level: 'warn', message: expect.stringMatching(/^largest skew \+(9|10)\.\d s /) })
  }, 120_000)
})

describe('doctor checks', () => {
  const report = (over: Partial<NodeReport>): NodeReport => ({ peerId: 'P'.repeat(52), team: { name: 't', mode: 'strict', members: {} }, live: [], connected: [], clocks: [], sandbox: 'auto', ...over })
  const team = { v: 1 as const, name: 't', mode: 'strict' as const, key: 'k'.repeat(16), admin: 'A'.repeat(52), bootstrap: [] }

  it('judges clock skew, disk space, membership and reach by their thresholds', async () => {
    expect(['ok', 'ok', 'warn', 'fail'].map((_, i) => checkClock([{ peer: 'x', skewMs: [0, -2_000, 2_001, -30_001][i]! }]).level)).toEqual(['ok', 'ok', 'warn', 'fail'])
    expect(checkClock([]).level).toBe('ok')
    const GIB = 1024 ** 3
    expect([diskLevel(0.5 * GIB, 100 * GIB), diskLevel(4 * GIB, 8 * GIB), diskLevel(6 * GIB, 100 * GIB), diskLevel(20 * GIB, 100 * GIB)]).toEqual(['fail', 'warn', 'warn', 'ok'])
    const outsider = checkMembership(team, report({}))
    expect(outsider).toMatchObject({ level: 'fail', fix: `ask an admin to run: devq team add ${'P'.repeat(52)}` })
    expect(checkMembership(team, report({ team: { ...team, members: { ['P'.repeat(52)]: 'trusted' } } }))).toMatchObject({ level: 'ok', message: 'strict team t: this peer is trusted' })
    expect(checkMembership(team, undefined).level).toBe('warn')
    const members = { ['P'.repeat(52)]: 'admin', ['B'.repeat(52)]: 'member' }
    expect(checkPeers(team, report({ team: { ...team, members } })).level).toBe('fail')
    expect(checkPeers(team, report({ team: { ...team, members }, connected: ['x'] })).level).toBe('warn')
    expect(checkPeers(team, report({ team: { ...team, members }, connected: ['x'], live: ['B'.repeat(52)] })).level).toBe('ok')
    expect(checkPeers(team, report({ team: { ...team, members: { ['P'.repeat(52)]: 'admin' } } })).level).toBe('ok')
  })
})
