/**
 * `devq open [--print]`: signs a browser in to the dashboard the running node serves. It asks the
 * node for a one-time code (over the unix socket, or TCP with api.token), prints the sign-in URL
 * and, unless `--print`, opens it with the platform's opener. The URL signs in once, within 60 s;
 * the token itself never reaches the browser.
 */
import { spawn } from 'node:child_process'
import type { Command } from 'commander'
import { connectApi } from './client.ts'
import { OpenOutput } from './cli-schemas-tools.ts'
import { printJson, shaped } from './cli-output.ts'
import { SignInCodeAnswer } from './api-responses.ts'

type DataDirOf = (o: { dataDir?: string }) => string

/** How a platform opens a URL in the user's browser, or why it cannot here. */
export type Opener = { command: string, args: string[], verbatim: boolean } | { none: string }

/** The opener for `url` on `platform` with `env`: `open` on macOS, `cmd /c start` on Windows, xdg-open where a display is. */
export function openerFor (url: string, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): Opener {
  if (platform === 'darwin') return { command: 'open', args: [url], verbatim: false }
  // `start` takes its first quoted argument as a window title, hence the empty one; verbatim, so
  // Node does not quote the quotes.
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', url], verbatim: true }
  if ((env.DISPLAY ?? '') === '' && (env.WAYLAND_DISPLAY ?? '') === '') return { none: 'no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' }
  return { command: 'xdg-open', args: [url], verbatim: false }
}

/** Starts the opener, detached; resolves with why it did not start, or undefined once it has. */
async function launch (opener: Opener): Promise<string | undefined> {
  if ('none' in opener) return opener.none
  return await new Promise((resolve) => {
    const child = spawn(opener.command, opener.args, { detached: true, stdio: 'ignore', windowsVerbatimArguments: opener.verbatim })
    child.once('error', (err) => { resolve(`${opener.command} did not start: ${err.message}`) })
    child.once('spawn', () => {
      child.unref()
      resolve(undefined)
    })
  })
}

/** Adds `devq open` to the program. */
export function openCommand (program: Command, dataDirOf: DataDirOf): void {
  program.command('open').description('sign a browser in to the dashboard of the running node: prints a one-time sign-in URL (valid once, for 60 s) and opens it')
    .option('--print', 'only print the URL, do not open a browser')
    .option('--data-dir <dir>').option('--json')
    .action(async (o: { print?: boolean, dataDir?: string, json?: boolean }) => {
      const api = await connectApi(dataDirOf(o))
      const { url, expiresInMs } = shaped(SignInCodeAnswer, await api.post('/v1/session/code'), 'the sign-in code')
      const notOpened = o.print === true ? 'asked to print only' : await launch(openerFor(url, process.platform, process.env))
      if (o.json === true) {
        printJson(OpenOutput, { url, expiresInMs, opened: notOpened === undefined })
        return
      }
      process.stdout.write(`${url}\n`)
      if (notOpened !== undefined && o.print !== true) process.stderr.write(`devq: no browser opened (${notOpened}): open the URL above; it signs in once, within ${Math.round(expiresInMs / 1000)} s\n`)
    })
}
