/**
 * `npm start`: one devq-node on an embedded default: data under the project's `.devq/` (git-ignored),
 * a new single-peer team, loopback only. Prints where its control API answers and a sign-in link
 * for its dashboard, built first when missing or stale; Ctrl-C stops it.
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connectApi, runDaemon, type ReadyInfo } from '../packages/node/src/index.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const dataDir = join(root, '.devq', 'node')

// Here, not in prestart: prestart runs on the machine's own Node (npm start on a fresh clone finds
// no node_modules/.bin/node before ensure-deps installs it), which may be too old to run TypeScript.
// A script, as release.ts runs it: nothing outside apps/ imports apps/.
execFileSync(process.execPath, [join(root, 'apps', 'desktop', 'scripts', 'ensure-renderer.ts')], { stdio: 'inherit' })

/** The dashboard's line: a fresh one-time sign-in URL, or where the dashboard is when none could be had. */
async function dashboardLine (ready: ReadyInfo): Promise<string> {
  try {
    const { url } = await (await connectApi(ready.dataDir)).post<{ url: string }>('/v1/session/code')
    return `Dashboard: ${url}\n  (that link signs a browser in once, within 60 s; for another: npx devq open)`
  } catch (err) {
    return `Dashboard: ${ready.api}/  (sign in with: npx devq open; no link now: ${(err as Error).message})`
  }
}

await runDaemon(process.argv.slice(2), { dataDir, logLevel: 'warn' }, (ready) => {
  void dashboardLine(ready).then((dashboard) => {
    const token = join(ready.dataDir, 'api.token')
    console.log(`DevQ node ${ready.peerId} is up (team ${ready.team}).`)
    console.log(dashboard)
    console.log(`Control API: ${ready.api}  (bearer token in ${token})`)
    console.log(`Try: curl -H "authorization: Bearer $(cat ${token})" ${ready.api}/v1/status`)
    console.log('Ctrl-C stops it.')
  })
}).catch((err: unknown) => {
  console.error(`devq: ${(err as Error).message}`)
  process.exit(2)
})
