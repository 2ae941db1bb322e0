/** The local git user's name, which marks commits as yours on other peers' runs. */
import { execFile } from 'node:child_process'

/** `git config --global user.name`, or undefined when git or the setting is missing. Never throws. */
export async function gitUserName (): Promise<string | undefined> {
  return await new Promise((resolve) => {
    execFile('git', ['config', '--global', 'user.name'], { timeout: 5_000 }, (err, stdout) => {
      const name = err === null ? stdout.trim() : ''
      resolve(name === '' ? undefined : name)
    })
  })
}
