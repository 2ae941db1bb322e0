/** Start at login: the XDG autostart entry on Linux (real files), login items elsewhere. */
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { autostartFile, createAutostart, execArg, launchCommand } from '../src/main/autostart.ts'

const noLoginItems = { get: () => { throw new Error('not on Linux') }, set: () => { throw new Error('not on Linux') } }

describe('autostart on Linux', () => {
  let home: string
  beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'devq-autostart-')) })
  afterEach(async () => { await rm(home, { recursive: true, force: true }) })

  it('writes an XDG autostart entry with the command quoted, idempotently, and removes it', async () => {
    const env = { XDG_CONFIG_HOME: join(home, 'cfg') }
    const a = createAutostart({ loginItems: noLoginItems }, { platform: 'linux', env, command: { path: '/opt/Dev Q/devq', args: ['--hidden', '100%'] } })
    expect(await a.enabled()).toBe(false)
    await a.set(true)
    const file = join(home, 'cfg', 'autostart', 'dev.devq.desktop.desktop')
    const text = await readFile(file, 'utf8')
    expect(text.split('\n')).toEqual(expect.arrayContaining([
      '[Desktop Entry]', 'Type=Application', 'Name=DevQ', 'Exec="/opt/Dev Q/devq" --hidden 100%%', 'X-GNOME-Autostart-enabled=true'
    ]))
    const { mtimeMs } = await stat(file)
    await a.set(true)
    expect((await stat(file)).mtimeMs).toBe(mtimeMs)
    expect(await readdir(join(home, 'cfg', 'autostart'))).toEqual(['dev.devq.desktop.desktop'])
    expect(await a.enabled()).toBe(true)
    await a.set(false)
    await a.set(false)
    expect(await a.enabled()).toBe(false)
  })

  it('defaults to ~/.config/autostart, also when XDG_CONFIG_HOME is not absolute', () => {
    expect(autostartFile({ HOME: home })).toBe(join(home, '.config', 'autostart', 'dev.devq.desktop.desktop'))
    expect(autostartFile({ HOME: home, XDG_CONFIG_HOME: 'rel' })).toBe(join(home, '.config', 'autostart', 'dev.devq.desktop.desktop'))
  })

  it('quotes arguments as the Desktop Entry spec asks', () => {
    expect(execArg('/usr/bin/devq')).toBe('/usr/bin/devq')
    expect(execArg('a"b$c')).toBe('"a\\\\"b\\\\$c"')
    expect(execArg('C:\\x y')).toBe('"C:\\\\\\\\x y"')
    expect(execArg('')).toBe('""')
    expect(() => execArg('a\nb')).toThrow(/line break/)
  })

  it('an AppImage starts from its image file, not its mount point', () => {
    expect(launchCommand('/tmp/.mount_DevQ/devq', { APPIMAGE: '/home/a/DevQ.AppImage' })).toEqual({ path: '/home/a/DevQ.AppImage', args: ['--hidden'] })
    expect(launchCommand('/usr/lib/devq/devq', {}).path).toBe('/usr/lib/devq/devq')
  })
})

describe('autostart on macOS and Windows', () => {
  it('uses the login items, and sets them only on a change', async () => {
    let open = false
    const sets: unknown[] = []
    const loginItems = { get: () => ({ openAtLogin: open }), set: (s: { openAtLogin: boolean }) => { sets.push(s); open = s.openAtLogin } }
    const a = createAutostart({ loginItems }, { platform: 'darwin', command: { path: '/Applications/DevQ.app/Contents/MacOS/DevQ', args: ['--hidden'] } })
    await a.set(true)
    await a.set(true)
    expect(await a.enabled()).toBe(true)
    expect(sets).toEqual([{ openAtLogin: true, path: '/Applications/DevQ.app/Contents/MacOS/DevQ', args: ['--hidden'] }])
  })
})
