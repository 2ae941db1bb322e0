/**
 * deploy/systemd/devq-node.service: systemd's own checks, the settings devq-node relies on, and a
 * real devq-node run in the directories the unit declares, with the variables systemd sets from them.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { launchDevqNode, type LaunchedNode } from '../src/index.ts'
import { cli } from './harness.ts'

const DEPLOY = fileURLToPath(new URL('../../../deploy/systemd/', import.meta.url))
const UNIT = join(DEPLOY, 'devq-node.service')
const ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p))

/** The unit's `Key=value` lines by `Section.Key`, in order (a key may repeat). */
function parseUnit (text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>()
  let section = ''
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const header = /^\[(.+)\]$/.exec(line)
    if (header !== null) { section = header[1]!; continue }
    const at = line.indexOf('=')
    const key = `${section}.${line.slice(0, at)}`
    keys.set(key, [...(keys.get(key) ?? []), line.slice(at + 1)])
  }
  return keys
}

/** This process's environment without DevQ's, XDG's or systemd's directory variables. */
function cleanEnv (): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DEVQ_') && !k.startsWith('XDG_') && !k.endsWith('_DIRECTORY')))
}

let root: string
let node: LaunchedNode | undefined
beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'devq-systemd-')) })
afterEach(async () => {
  await node?.stop()
  node = undefined
  await rm(root, { recursive: true, force: true })
})

describe('the unit file', () => {
  it.runIf(ANALYZE !== undefined)('passes systemd-analyze verify without a warning and scores as hardened offline', async () => {
    // verify looks the unit up by its file name; a copy keeps the repository's tree out of its search.
    const copy = join(root, 'devq-node.service')
    await copyFile(UNIT, copy)
    const verify = spawnSync(ANALYZE!, ['verify', copy], { encoding: 'utf8' })
    expect(verify.status, verify.stderr).toBe(0)
    expect(verify.stderr + verify.stdout).toBe('')
    const security = spawnSync(ANALYZE!, ['security', '--offline=true', '--no-pager', copy], { encoding: 'utf8' })
    const exposure = /Overall exposure level for devq-node\.service: ([\d.]+)/.exec(security.stdout)
    expect(exposure, security.stdout + security.stderr).not.toBeNull()
    expect(Number(exposure![1])).toBeLessThan(5)
  })

  it('hardens the service without taking away what bubblewrap needs, and stops it the way the node drains', async () => {
    const unit = parseUnit(await readFile(UNIT, 'utf8'))
    const one = (key: string): string | undefined => unit.get(`Service.${key}`)?.at(-1)
    const wanted: [string, string][] = [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['PrivateTmp', 'yes'],
      ['Restart', 'on-failure'], ['KillSignal', 'SIGTERM'], ['KillMode', 'mixed'], ['User', 'devq']]
    for (const [key, value] of wanted) expect(one(key), key).toBe(value)
    expect(one('ExecStart')).toMatch(/(^|\/|\s)devq-node(\s|$)/)
    expect(one('RestartSec')).toMatch(/^\d+s?$/)
    // The node drains for 5 s, hands back, closes the mesh and the ledger: well under 30 s.
    expect(Number(/^(\d+)s?$/.exec(one('TimeoutStopSec') ?? '')?.[1])).toBeGreaterThanOrEqual(15)
    for (const key of ['RestrictNamespaces', 'PrivateUsers', 'ProtectKernelTunables', 'ProtectKernelLogs', 'ProtectProc', 'ProcSubset', 'SystemCallFilter', 'MemoryDenyWriteExecute', 'DynamicUser']) {
      expect(one(key), `${key} would break bubblewrap or the node`).toBeUndefined()
    }
    for (const key of ['StateDirectory', 'CacheDirectory', 'RuntimeDirectory', 'ConfigurationDirectory']) expect(one(key), key).toBe('devq')
    expect(await readFile(join(DEPLOY, 'devq.sysusers.conf'), 'utf8')).toMatch(/^u devq - ".*" \/var\/lib\/devq$/m)
  })
})

describe('devq-node under the unit\'s directories', () => {
  it('keeps data, logs, cache, node.json and config where systemd says, and the CLI reaches it through the data dir', async () => {
    const unit = parseUnit(await readFile(UNIT, 'utf8'))
    const dirs = { STATE_DIRECTORY: ['StateDirectory', 'var/lib'], CACHE_DIRECTORY: ['CacheDirectory', 'var/cache'], RUNTIME_DIRECTORY: ['RuntimeDirectory', 'run'], CONFIGURATION_DIRECTORY: ['ConfigurationDirectory', 'etc'] } as const
    const env: NodeJS.ProcessEnv = { ...cleanEnv(), HOME: join(root, 'home') }
    for (const [name, [key, base]] of Object.entries(dirs)) {
      env[name] = join(root, base, unit.get(`Service.${key}`)![0]!)
      await mkdir(env[name], { recursive: true })
    }
    await mkdir(env.HOME!)
    const configFile = join(env.CONFIGURATION_DIRECTORY!, 'config.yml')
    await writeFile(configFile, '# set by the admin\nslots: 3\n')
    node = await launchDevqNode({ env })
    const state = env.STATE_DIRECTORY!
    expect(node.ready.dataDir).toBe(state)
    for (const file of ['peer.key', 'team.json', 'api.token', 'ledger']) expect(existsSync(join(state, file)), file).toBe(true)
    expect(existsSync(env.CACHE_DIRECTORY!)).toBe(true)
    expect(await readdir(env.HOME!)).toEqual([])
    expect((await lstat(join(state, 'node.json'))).isSymbolicLink()).toBe(true)
    expect(await readlink(join(state, 'node.json'))).toBe(join(env.RUNTIME_DIRECTORY!, 'node.json'))

    const status = JSON.parse(await cli(['status', '--json', '--data-dir', state], undefined, { env: cleanEnv() })) as { peer: { slots: { total: number } } }
    expect(status.peer.slots).toMatchObject({ total: 3 })
    const set = await cli(['config', 'set', 'slots', '2', '--data-dir', state], undefined, { env: cleanEnv() })
    expect(set).toBe(`slots = 2 in ${configFile}; the node running now (pid ${node.proc.pid}) reads it when it restarts\n`)
    expect(await readFile(configFile, 'utf8')).toBe('# set by the admin\nslots: 2\n')

    expect(await node.stop()).toBe(0)
    expect(existsSync(join(env.RUNTIME_DIRECTORY!, 'node.json'))).toBe(false)
    expect(existsSync(join(state, 'node.json'))).toBe(false)
  })

  it('refuses to start on a bad config file and says where the fault is', async () => {
    const dataDir = join(root, 'node')
    await mkdir(dataDir)
    await writeFile(join(dataDir, 'config.yml'), 'slots: 1\nshare-mode: lent\n')
    const started = launchDevqNode({ dataDir, env: cleanEnv() })
    await expect(started).rejects.toThrow(`exited (2) before it was ready: devq-node: ${join(dataDir, 'config.yml')}:2:13: share-mode: Invalid option`)
  })
})
