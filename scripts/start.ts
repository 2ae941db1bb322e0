/**
 * `npm start`: one devq-node on an embedded default: data under the project's `.devq/` (git-ignored),
 * a new single-peer team, loopback only. Prints where its control API answers; Ctrl-C stops it.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runDaemon } from '../packages/node/src/index.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const dataDir = join(root, '.devq', 'node')

await runDaemon(process.argv.slice(2), { dataDir, logLevel: 'warn' }, (ready) => {
  const token = join(ready.dataDir, 'api.token')
  console.log(`DevQ node ${ready.peerId} is up (team ${ready.team}).`)
  console.log(`Control API: ${ready.api}  (bearer token in ${token})`)
  console.log(`Try: curl -H "authorization: Bearer $(cat ${token})" ${ready.api}/v1/status`)
  console.log('Ctrl-C stops it.')
}).catch((err: unknown) => {
  console.error(`devq: ${(err as Error).message}`)
  process.exit(2)
})
