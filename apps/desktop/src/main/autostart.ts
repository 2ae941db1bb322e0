/**
 * Start at login. macOS and Windows keep it in the system (Electron's setLoginItemSettings); on
 * Linux it is an XDG autostart entry, `$XDG_CONFIG_HOME/autostart/dev.devq.desktop.desktop`
 * (default ~/.config), which this module writes and removes itself.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'

/** Electron's login item settings, as far as autostart uses them. */
export interface LoginItems {
  get(): { openAtLogin: boolean }
  set(settings: { openAtLogin: boolean, path: string, args: string[] }): void
}

export interface Autostart {
  enabled(): Promise<boolean>
  /** Turns start at login on or off. Idempotent: a second call with the same value changes nothing. */
  set(on: boolean): Promise<void>
}

export interface AutostartInit {
  platform: NodeJS.Platform
  /** The program to start and its arguments. */
  command: { path: string, args: readonly string[] }
  /** Used on Linux (default process.env). */
  env?: NodeJS.ProcessEnv
  /** File name (without `.desktop`) of the Linux entry. */
  id?: string
}

/** Characters that make a Desktop Entry Exec argument need quotes (the spec's reserved set). */
const RESERVED = /[\s"'\\><~|&;$*?#()`]/

/**
 * One Exec argument, quoted as the Desktop Entry spec asks: inside double quotes `"`, `` ` ``, `$`
 * and `\` take a backslash; `%` is doubled (field codes); then the string-value rule doubles
 * every backslash again. Newlines cannot be written and are refused.
 */
export function execArg (arg: string): string {
  if (/[\n\r]/.test(arg)) throw new Error(`an autostart argument may not hold a line break: ${JSON.stringify(arg)}`)
  const quoted = RESERVED.test(arg) || arg === '' ? `"${arg.replace(/(["`$\\])/g, '\\$1')}"` : arg
  return quoted.replace(/%/g, '%%').replace(/\\/g, '\\\\')
}

/** The entry's text. */
export function desktopEntry (command: AutostartInit['command']): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    'Name=DevQ',
    'Comment=DevQ build grid in the tray',
    `Exec=${[command.path, ...command.args].map(execArg).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    ''
  ].join('\n')
}

/** Where the Linux entry lives. */
export function autostartFile (env: NodeJS.ProcessEnv, id = 'dev.devq.desktop'): string {
  const configHome = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), '.config')
  return join(configHome, 'autostart', `${id}.desktop`)
}

/**
 * The program an autostart entry should start: an AppImage is mounted at a new path on each run,
 * so its entry names the image file itself (`$APPIMAGE`).
 */
export function launchCommand (execPath: string, env: NodeJS.ProcessEnv): { path: string, args: string[] } {
  return { path: env.APPIMAGE ?? execPath, args: ['--hidden'] }
}

function linuxAutostart (init: AutostartInit): Autostart {
  const file = autostartFile(init.env ?? process.env, init.id)
  const text = desktopEntry(init.command)
  const current = async (): Promise<string | undefined> => await readFile(file, 'utf8').catch(() => undefined)
  return {
    enabled: async () => await current() !== undefined,
    async set (on) {
      if (!on) return await rm(file, { force: true })
      if (await current() === text) return
      await mkdir(join(file, '..'), { recursive: true })
      const tmp = `${file}.tmp`
      await writeFile(tmp, text, { mode: 0o644 })
      await rename(tmp, file)
    }
  }
}

/** The autostart of this platform; `loginItems` serves macOS and Windows. */
export function createAutostart (components: { loginItems: LoginItems }, init: AutostartInit): Autostart {
  if (init.platform === 'linux') return linuxAutostart(init)
  const { loginItems } = components
  return {
    enabled: async () => loginItems.get().openAtLogin,
    async set (on) {
      if (loginItems.get().openAtLogin === on) return
      loginItems.set({ openAtLogin: on, path: init.command.path, args: [...init.command.args] })
    }
  }
}
