/** The config file, its precedence under environment and flags, and how its errors read. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolveSettings } from '../src/config.ts'
import { MAX_CONFIG_FILE_BYTES } from '../src/config-file.ts'
import { resolveLocation } from '../src/paths.ts'

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'devq-config-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

/** Writes `text` as the data dir's config.yml and returns its path. */
async function configFile (text: string): Promise<string> {
  const path = join(dir, 'config.yml')
  await writeFile(path, text)
  return path
}

/** The ConfigError resolving with the data dir's config file throws (fails the test when none). */
function refusal (env: NodeJS.ProcessEnv = {}, flags: Record<string, unknown> = {}, configFile?: string): { name: string, message: string, data: { key: string, source: string } } {
  try {
    resolveSettings({ dataDir: dir, ...flags }, env, dir, { configFile })
  } catch (err) {
    return err as { name: string, message: string, data: { key: string, source: string } }
  }
  throw new Error('the config was accepted')
}

describe('precedence', () => {
  it('takes a setting from the config file over the default, the environment over the file, a flag over both', async () => {
    const path = await configFile('# this node\nslots: 2\nlabels: [linux, gpu]\nshare-mode: idle\n')
    const fromFile = resolveSettings({ dataDir: dir }, {}, dir)
    expect(fromFile.config.slots).toBe(2)
    expect(fromFile.config.labels).toEqual(['linux', 'gpu'])
    expect(fromFile.config.shareMode).toBe('idle')
    expect(fromFile.sources.slots).toEqual({ kind: 'file', from: `${path}:2:8` })
    expect(fromFile.sources.leaseMs).toEqual({ kind: 'default' })

    const fromEnv = resolveSettings({ dataDir: dir }, { DEVQ_SLOTS: '3' }, dir)
    expect(fromEnv.config.slots).toBe(3)
    expect(fromEnv.sources.slots).toEqual({ kind: 'env', from: 'DEVQ_SLOTS' })
    expect(fromEnv.config.labels).toEqual(['linux', 'gpu'])

    const fromFlag = resolveSettings({ dataDir: dir, slots: '4' }, { DEVQ_SLOTS: '3' }, dir)
    expect(fromFlag.config.slots).toBe(4)
    expect(fromFlag.sources.slots).toEqual({ kind: 'flag', from: '--slots' })
  })

  it('reads the file --config names (over DEVQ_CONFIG), and refuses one that does not exist', async () => {
    const named = join(dir, 'other.yml')
    await writeFile(named, 'slots: 7\n')
    await configFile('slots: 2\n')
    expect(resolveSettings({ dataDir: dir }, { DEVQ_CONFIG: join(dir, 'config.yml') }, dir, { configFile: named }).config.slots).toBe(7)
    expect(resolveSettings({ dataDir: dir }, { DEVQ_CONFIG: named }, dir).config.slots).toBe(7)
    const missing = refusal({}, {}, join(dir, 'typo.yml'))
    expect(missing.name).toBe('ConfigError')
    expect(missing.message).toBe(`${join(dir, 'typo.yml')}: no such config file`)
  })

  it('starts from defaults when the data dir has no config file', () => {
    expect(resolveSettings({ dataDir: dir }, {}, dir).file.exists).toBe(false)
  })
})

describe('errors in the file', () => {
  it('names the file, line and column and the setting of a value out of range', async () => {
    const path = await configFile('# DevQ node\nlisten:\n  - /ip4/0.0.0.0/tcp/4411\nslots: 300\n')
    const err = refusal()
    expect(err.name).toBe('ConfigError')
    expect(err.message).toBe(`${path}:4:8: slots: expected a number from 0 to 256`)
    expect(err.data.key).toBe('slots')
  })

  it('places an error inside a list at its entry', async () => {
    const path = await configFile('labels:\n  - linux\n  - 7\n')
    expect(refusal().message).toBe(`${path}:3:5: labels[1]: Invalid input: expected string, received number`)
  })

  it('refuses an unknown setting by name instead of ignoring it, with the likely fix', async () => {
    const path = await configFile('slots: 2\nslotz: 4\n')
    const typo = refusal()
    expect(typo.message).toBe(`${path}:2:1: slotz: not a setting; did you mean slots?`)
    expect(typo.data.key).toBe('slotz')
    await configFile('shareMode: shared\n')
    expect(refusal().message).toBe(`${path}:1:1: shareMode: settings are spelled in kebab-case, as the flags are: share-mode`)
  })

  it('refuses the test-only settings and the data dir', async () => {
    for (const [line, key] of [['test-hooks: true', 'test-hooks'], ['rebuild-ledger: true', 'rebuild-ledger'], ['faults: {drop: 0.5}', 'faults'], ['clock-fault: {offsetMs: 5}', 'clock-fault'], ['data-dir: /srv/devq', 'data-dir']]) {
      const path = await configFile(`slots: 1\n${line}\n`)
      const err = refusal()
      expect(err.message).toMatch(new RegExp(`^${path}:2:1: ${key}: cannot be set in the config file: `))
    }
  })

  it('names the line and column of a YAML syntax error, and refuses a file that is not a mapping', async () => {
    const path = await configFile('slots: 2\nlabels: [linux\n')
    expect(refusal().message).toMatch(new RegExp(`^${path}:\\d+:\\d+: `))
    await configFile('- slots\n')
    expect(refusal().message).toBe(`${path}:1:1: the config file must be a mapping of settings (name: value)`)
    await configFile('slots: 2\nslots: 3\n')
    expect(refusal().message).toMatch(new RegExp(`^${path}:2:1: Map keys must be unique`))
  })

  it(`refuses a file larger than ${MAX_CONFIG_FILE_BYTES} bytes`, async () => {
    const text = 'slots: 2\n' + '#'.repeat(MAX_CONFIG_FILE_BYTES)
    const path = await configFile(text)
    expect(refusal().message).toBe(`${path}: the config file is ${text.length} bytes, more than the ${MAX_CONFIG_FILE_BYTES} it may have`)
  })

  it('names the variable or the flag of a bad value from the environment or a flag as the user typed it', () => {
    expect(refusal({ DEVQ_SLOTS: 'many' }).message).toBe('environment DEVQ_SLOTS: expected a number from 0 to 256')
    expect(refusal({}, { slots: '999' }).message).toBe('flag --slots: expected a number from 0 to 256')
    const flag = refusal({}, { stepMaxProcesses: '2' })
    expect(flag.message).toBe('flag --step-max-processes: expected a number from 8 to 1000000')
    expect(flag.data.key).toBe('step-max-processes')
    expect(refusal({ DEVQ_STEP_MAX_MEMORY_MB: '64.5' }).message).toBe('environment DEVQ_STEP_MAX_MEMORY_MB: expected a whole number from 16 to 16777216')
    expect(refusal({ DEVQ_LABELS: 'linux,devq:sandbox' }).message).toMatch(/^environment DEVQ_LABELS: entry 2: labels starting with devq: are set by DevQ itself/)
    expect(refusal({}, { faults: { drop: 3, duplicate: 0, delayMs: 0 } }).message).toBe('flag --fault-drop: expected a number from 0 to 1')
  })

  it('reads a number written 2000.0 or 2e3 as 2000, and says when a whole one is needed', () => {
    expect(resolveSettings({ dataDir: dir, leaseMs: '2000.0' }, { DEVQ_SLOTS: '2e0' }, dir).config).toMatchObject({ leaseMs: 2000, slots: 2 })
    expect(refusal({}, { leaseMs: '2000.5' }).message).toBe('flag --lease-ms: expected a whole number from 2000 to 600000')
  })

  it('names the file of an alias bomb and of a file that is not UTF-8 text', async () => {
    const rows = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
    for (const n of ['b', 'c', 'd', 'e', 'f']) rows.push(`${n}: &${n} [${Array(10).fill(`*${String.fromCharCode(n.charCodeAt(0) - 1)}`).join(', ')}]`)
    const path = await configFile(rows.join('\n') + '\nlabels: *f\n')
    expect(refusal().message).toMatch(new RegExp(`^${path}: its YAML aliases \\(\\*name\\) expand to more than 100 copies`))
    await writeFile(path, Buffer.concat([Buffer.from('slots: 2\nlabels: [linux, '), Buffer.from([0xff, 0xfe]), Buffer.from(']\n')]))
    const latin = refusal()
    expect(latin.name).toBe('ConfigError')
    expect(latin.message).toBe(`${path}: the config file is not UTF-8 text (line 2 holds bytes that are not): it must be YAML in UTF-8`)
  })
})

describe('settings that go together', () => {
  it('refuses the webhook without its secret file, where the webhook was set, naming both settings as spelled there', async () => {
    expect(refusal({}, { webhookListen: '127.0.0.1:0' }).message).toMatch(/^flag --webhook-listen: --webhook-listen needs --webhook-secret-file too: /)
    expect(refusal({ DEVQ_WEBHOOK_LISTEN: '127.0.0.1:0' }).message).toMatch(/^environment DEVQ_WEBHOOK_LISTEN: DEVQ_WEBHOOK_LISTEN needs DEVQ_WEBHOOK_SECRET_FILE too: /)
    const path = await configFile('slots: 1\nwebhook-listen: 127.0.0.1:8471\n')
    const err = refusal()
    expect(err.message).toBe(`${path}:2:17: webhook-listen needs webhook-secret-file too: a file (chmod 600) holding the secret the forge signs its deliveries with`)
    expect(err.data.key).toBe('webhook-listen')
    // Given elsewhere, the secret file completes the file's webhook.
    expect(resolveSettings({ dataDir: dir }, { DEVQ_WEBHOOK_SECRET_FILE: join(dir, 'secret') }, dir).warnings).toEqual([])
  })

  it('warns that a webhook secret file without the webhook is ignored', async () => {
    const path = await configFile('webhook-secret-file: /etc/devq/webhook.secret\n')
    expect(resolveSettings({ dataDir: dir }, {}, dir).warnings).toEqual([`${path}:1:22: webhook-secret-file is ignored without webhook-listen: the push webhook is off`])
  })
})

describe('locations', () => {
  it('puts everything in an explicit data dir, config.yml included, whatever systemd says', () => {
    const systemd = { STATE_DIRECTORY: '/var/lib/devq', CACHE_DIRECTORY: '/var/cache/devq', RUNTIME_DIRECTORY: '/run/devq', CONFIGURATION_DIRECTORY: '/etc/devq' }
    expect(resolveLocation({ dataDir: 'node' }, systemd, dir)).toEqual({
      dataDir: join(dir, 'node'), cacheDir: join(dir, 'node'), stateDir: join(dir, 'node'), runtimeDir: join(dir, 'node'), configFile: join(dir, 'node', 'config.yml'), layout: 'one-dir'
    })
  })

  it('follows the systemd directory variables without one, taking the first of a list', () => {
    const env = { STATE_DIRECTORY: '/var/lib/devq:/var/lib/other', CACHE_DIRECTORY: '/var/cache/devq', RUNTIME_DIRECTORY: '/run/devq', CONFIGURATION_DIRECTORY: '/etc/devq:/etc/other' }
    expect(resolveLocation({}, env, dir)).toEqual({
      dataDir: '/var/lib/devq', cacheDir: '/var/cache/devq', stateDir: '/var/lib/devq', runtimeDir: '/run/devq', configFile: '/etc/devq/config.yml', layout: 'split'
    })
    const { config, sources, file } = resolveSettings({}, { ...env, CONFIGURATION_DIRECTORY: dir }, dir)
    expect(file.path).toBe(join(dir, 'config.yml'))
    expect(config.cacheDir).toBe('/var/cache/devq')
    expect(sources.dataDir).toEqual({ kind: 'env', from: 'STATE_DIRECTORY' })
  })
})
