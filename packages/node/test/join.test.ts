/** `devq team join` takes the join token (which holds the team key) from stdin or a file, never needing it in argv. */
import { spawn } from 'node:child_process'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { cli, removeDir, tempDataDir } from './harness.ts'
import { validJson } from './cli-run.ts'

const CLI = fileURLToPath(new URL('../bin/devq.ts', import.meta.url))

const dirs: string[] = []
afterEach(async () => { await Promise.all(dirs.splice(0).map(removeDir)) })

async function dataDir (name: string): Promise<string> {
  const dir = await tempDataDir(name)
  dirs.push(dir)
  return dir
}

const keyOf = async (dir: string): Promise<string> => (JSON.parse(await readFile(join(dir, 'team.json'), 'utf8')) as { key: string }).key

/** A new team in a fresh data dir and its join token. */
async function team (): Promise<{ dir: string, token: string }> {
  const dir = await dataDir('join-admin')
  const made = validJson<{ token: string }>('teamInit', await cli(['team', 'init', '--json', '--data-dir', dir]))
  const token = (await cli(['team', 'token', '--data-dir', dir])).trim()
  expect(made.token).toBe(token)
  return { dir, token }
}

describe('devq team join', () => {
  it('reads the token from stdin with -: it is in neither the command line nor the process list', async () => {
    const admin = await team()
    const dir = await dataDir('join-stdin')
    const proc = spawn(process.execPath, [CLI, 'team', 'join', '-', '--data-dir', dir, '--json'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    proc.stdout.on('data', (c: Buffer) => { out += c.toString() })
    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve))
    // What ps shows for the process while it waits for the token.
    const cmdline = (await readFile(`/proc/${proc.pid!}/cmdline`, 'utf8')).split('\0').join(' ')
    expect(cmdline).toContain('team join -')
    expect(cmdline).not.toContain('devq1.')
    proc.stdin.end(`${admin.token}\n`)
    expect(await exited).toBe(0)
    expect(validJson('teamJoin', out)).toMatchObject({ team: expect.stringMatching(/^devq-/), mode: 'open', bootstrap: [] })
    expect(await keyOf(dir)).toBe(await keyOf(admin.dir))
    expect((await stat(join(dir, 'team.json'))).mode & 0o777).toBe(0o600)
  })

  it('reads the token from --token-file', async () => {
    const admin = await team()
    const file = join(await dataDir('join-file'), 'token.txt')
    await writeFile(file, `\n${admin.token}\n`, { mode: 0o600 })
    const dir = await dataDir('join-from-file')
    expect(await cli(['team', 'join', '--token-file', file, '--data-dir', dir])).toMatch(/^joined team devq-/)
    expect(await keyOf(dir)).toBe(await keyOf(admin.dir))
  })

  it('refuses a token file that group or others may read, naming the fix', async () => {
    const admin = await team()
    const file = join(await dataDir('join-open-file'), 'token.txt')
    await writeFile(file, `${admin.token}\n`, { mode: 0o644 })
    const dir = await dataDir('join-from-open-file')
    await expect(cli(['team', 'join', '--token-file', file, '--data-dir', dir])).rejects.toThrow(/permissions 0644 of .*token\.txt are too open: .*chmod 600/)
    await expect(stat(join(dir, 'team.json'))).rejects.toThrow(/ENOENT/)
  })

  it('says what is missing: no token, an empty stdin, an unreadable file, two sources at once', async () => {
    const admin = await team()
    const dir = await dataDir('join-bad')
    await expect(cli(['team', 'join', '--data-dir', dir])).rejects.toThrow(/no join token: pipe it in with devq team join -, or give --token-file/)
    await expect(cli(['team', 'join', '-', '--data-dir', dir], '')).rejects.toThrow(/no join token in stdin/)
    await expect(cli(['team', 'join', '--token-file', join(dir, 'absent'), '--data-dir', dir])).rejects.toThrow(/cannot read the join token from .*absent/)
    await expect(cli(['team', 'join', admin.token, '--token-file', join(dir, 'absent'), '--data-dir', dir])).rejects.toThrow(/not both/)
    await expect(stat(join(dir, 'team.json'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
