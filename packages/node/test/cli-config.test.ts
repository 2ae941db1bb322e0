/** `devq config` and how the CLI finds the node it talks to, run as the real CLI process. */
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cli, cliResult } from './harness.ts'
import { validJson } from './cli-run.ts'

let root: string
/** An environment with no DevQ or XDG variables and HOME inside the test's directory. */
let env: NodeJS.ProcessEnv

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'devq-cli-config-'))
  env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DEVQ_') && !k.startsWith('XDG_') && !k.endsWith('_DIRECTORY')))
  env.HOME = join(root, 'home')
  await mkdir(env.HOME)
})
afterEach(async () => { await rm(root, { recursive: true, force: true }) })

interface Listed { file: string, exists: boolean, settings: { key: string, value: unknown, source: string, from?: string }[] }

async function list (args: string[], options: { cwd?: string, env?: NodeJS.ProcessEnv } = {}): Promise<Listed> {
  return validJson<Listed>('configList', await cli(['config', 'list', '--json', ...args], undefined, { cwd: options.cwd ?? root, env: options.env ?? env }))
}
const valueOf = (listed: Listed, key: string): unknown => listed.settings.find((s) => s.key === key)?.value

describe('which node the CLI talks to', () => {
  it('takes --data-dir, then DEVQ_DATA_DIR, then the nearest project .devq/node with a node.json, then the default dirs', async () => {
    const project = join(root, 'project')
    const nested = join(project, 'src', 'deep')
    await mkdir(join(project, '.devq', 'node'), { recursive: true })
    await mkdir(nested, { recursive: true })
    await writeFile(join(project, '.devq', 'node', 'node.json'), '{}')
    const flagDir = join(root, 'flag')
    const envDir = join(root, 'env')

    expect(valueOf(await list([], { cwd: nested }), 'data-dir')).toBe(join(project, '.devq', 'node'))
    expect(valueOf(await list([], { cwd: nested, env: { ...env, DEVQ_DATA_DIR: envDir } }), 'data-dir')).toBe(envDir)
    const byFlag = await list(['--data-dir', flagDir], { cwd: nested, env: { ...env, DEVQ_DATA_DIR: envDir } })
    expect(valueOf(byFlag, 'data-dir')).toBe(flagDir)
    expect(byFlag.file).toBe(join(flagDir, 'config.yml'))

    const home = env.HOME!
    const outside = await list([], { cwd: root })
    expect(valueOf(outside, 'data-dir')).toBe(join(home, '.local', 'share', 'devq'))
    expect(valueOf(outside, 'cache-dir')).toBe(join(home, '.cache', 'devq'))
    expect(valueOf(outside, 'state-dir')).toBe(join(home, '.local', 'state', 'devq'))
    expect(outside.file).toBe(join(home, '.config', 'devq', 'config.yml'))
  })

  it('does not take a project .devq/node that has no node.json (no node ran there)', async () => {
    await mkdir(join(root, 'project', '.devq', 'node'), { recursive: true })
    expect(valueOf(await list([], { cwd: join(root, 'project') }), 'data-dir')).toBe(join(env.HOME!, '.local', 'share', 'devq'))
  })

  it('shows a setting with no value as (not set), and config get prints an empty line for it', async () => {
    const dataDir = join(root, 'node')
    const text = await cli(['config', 'list', '--data-dir', dataDir], undefined, { cwd: root, env })
    expect(text).toMatch(/^webhook-listen +\(not set\) +\(default\)$/m)
    expect(text).not.toContain('undefined')
    expect(await cli(['config', 'get', 'webhook-listen', '--data-dir', dataDir], undefined, { cwd: root, env })).toBe('\n')
  })

  it('prints the version of the root package.json', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
    expect((await cli(['--version'], undefined, { env })).trim()).toBe(version)
  })
})

describe('devq config', () => {
  it('sets a value and keeps the comments and the other settings of the file', async () => {
    const path = join(root, 'config.yml')
    await writeFile(path, '# grid box in the attic\nslots: 2 # two cores free\n\n# labels it offers\nlabels: [linux]\n')
    const set = validJson<{ value: unknown, file: string, restartNeeded: boolean }>('configSet', await cli(['config', 'set', 'slots', '6', '--data-dir', root, '--json'], undefined, { env }))
    expect(set).toMatchObject({ value: 6, file: path, restartNeeded: true })
    await cli(['config', 'set', 'share-mode', 'idle', '--data-dir', root], undefined, { env })
    expect(await readFile(path, 'utf8')).toBe('# grid box in the attic\nslots: 6 # two cores free\n\n# labels it offers\nlabels: [linux]\nshare-mode: idle\n')
    const text = await cli(['config', 'set', 'labels', 'linux,gpu', '--data-dir', root], undefined, { env })
    expect(text).toBe(`labels = linux,gpu in ${path}; a devq-node started from now on reads it\n`)
    expect(await readFile(path, 'utf8')).toContain('labels: [linux, gpu]\n')
  })

  it('writes through a config file that is a link, which stays a link', async () => {
    const target = join(root, 'managed.yml')
    await writeFile(target, 'slots: 1\n')
    await symlink(target, join(root, 'config.yml'))
    await cli(['config', 'set', 'slots', '5', '--data-dir', root], undefined, { env })
    expect((await lstat(join(root, 'config.yml'))).isSymbolicLink()).toBe(true)
    expect(await readFile(target, 'utf8')).toBe('slots: 5\n')
  })

  it('refuses a bad value or an unknown setting and leaves the file as it was', async () => {
    const path = join(root, 'config.yml')
    const before = '# mine\nslots: 2\n'
    await writeFile(path, before)
    const big = await cliResult(['config', 'set', 'slots', '300', '--data-dir', root], undefined, { env })
    expect(big.code).toBe(2)
    expect(big.err).toBe('devq: slots: expected a number from 0 to 256\n')
    const typo = await cliResult(['config', 'set', 'sandbx', 'on', '--data-dir', root], undefined, { env })
    expect(typo.err).toBe('devq: sandbx: not a setting; did you mean sandbox?\n')
    const hooks = await cliResult(['config', 'set', 'test-hooks', 'true', '--data-dir', root], undefined, { env })
    expect(hooks.code).toBe(2)
    expect(await readFile(path, 'utf8')).toBe(before)
  })

  it('checks the settings the file would give as a whole: no webhook without its secret file, a warning for a secret file alone', async () => {
    const path = join(root, 'config.yml')
    const before = '# mine\nslots: 2\n'
    await writeFile(path, before)
    const lone = await cliResult(['config', 'set', 'webhook-listen', '127.0.0.1:9000', '--data-dir', root], undefined, { env })
    expect(lone.code).toBe(2)
    expect(lone.err).toBe(`devq: ${path}:3:17: webhook-listen needs webhook-secret-file too: a file (chmod 600) holding the secret the forge signs its deliveries with\n`)
    expect(await readFile(path, 'utf8')).toBe(before)
    const secret = await cliResult(['config', 'set', 'webhook-secret-file', join(root, 'webhook.secret'), '--data-dir', root], undefined, { env })
    expect(secret.code).toBe(0)
    expect(secret.err).toBe(`devq: warning: ${path}:3:22: webhook-secret-file is ignored without webhook-listen: the push webhook is off\n`)
    const both = await cliResult(['config', 'set', 'webhook-listen', '127.0.0.1:9000', '--data-dir', root], undefined, { env })
    expect([both.code, both.err]).toEqual([0, ''])
    const unset = await cliResult(['config', 'unset', 'webhook-secret-file', '--data-dir', root], undefined, { env })
    expect(unset.code).toBe(2)
    expect(unset.err).toMatch(/webhook-listen needs webhook-secret-file too/)
    expect(await readFile(path, 'utf8')).toContain('webhook-secret-file: ')
  })

  it('writes and prints a number plainly, whatever form the file or the command line gave it in', async () => {
    const path = join(root, 'config.yml')
    await writeFile(path, 'lease-ms: 2500.0\nworkspace-budget-mb: 1e3\n')
    await cli(['config', 'set', 'lease-ms', '3000', '--data-dir', root], undefined, { env })
    await cli(['config', 'set', 'workspace-budget-mb', '2048', '--data-dir', root], undefined, { env })
    expect(await readFile(path, 'utf8')).toBe('lease-ms: 3000\nworkspace-budget-mb: 2048\n')
    expect(await cli(['config', 'set', 'lease-ms', '2000.0', '--data-dir', root], undefined, { env })).toMatch(/^lease-ms = 2000 in /)
    expect(await cli(['config', 'get', 'lease-ms', '--data-dir', root], undefined, { env })).toBe('2000\n')
    expect(await readFile(path, 'utf8')).toBe('lease-ms: 2000\nworkspace-budget-mb: 2048\n')
  })

  it('gets and lists each setting with where it comes from: default, file or environment', async () => {
    const path = join(root, 'config.yml')
    await writeFile(path, 'slots: 3\nlog-level: debug\n')
    const slots = validJson('configGet', await cli(['config', 'get', 'slots', '--data-dir', root, '--json'], undefined, { env }))
    expect(slots).toEqual({ key: 'slots', value: 3, source: 'file', from: `${path}:1:8` })
    expect((await cli(['config', 'get', 'slots', '--data-dir', root], undefined, { env })).trim()).toBe('3')
    const listed = await list(['--data-dir', root], { env: { ...env, DEVQ_LOG_LEVEL: 'warn' } })
    expect(listed.settings.find((s) => s.key === 'log-level')).toEqual({ key: 'log-level', value: 'warn', source: 'env', from: 'DEVQ_LOG_LEVEL' })
    expect(listed.settings.find((s) => s.key === 'lease-ms')).toEqual({ key: 'lease-ms', value: 10_000, source: 'default' })
    expect(listed.settings.find((s) => s.key === 'data-dir')).toEqual({ key: 'data-dir', value: root, source: 'flag', from: '--data-dir' })
    expect(listed.settings.map((s) => s.key)).not.toContain('test-hooks')
  })

  it('unsets a value back to its default', async () => {
    const path = join(root, 'config.yml')
    await writeFile(path, '# keep me\nslots: 3\nmdns: true\n')
    await cli(['config', 'unset', 'slots', '--data-dir', root], undefined, { env })
    expect(await readFile(path, 'utf8')).toBe('# keep me\nmdns: true\n')
    const again = validJson('configUnset', await cli(['config', 'unset', 'slots', '--data-dir', root, '--json'], undefined, { env }))
    expect(again).toEqual({ key: 'slots', file: path, removed: false, restartNeeded: false, running: false })
  })
})
