/**
 * `npm run openapi`: writes doc/openapi.json, the OpenAPI 3.1 document of the control API, from the
 * route table the node itself checks against. `--check` exits 1 instead of writing when the file
 * is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderOpenApi } from '@devq/node'

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'doc', 'openapi.json')
const fresh = renderOpenApi()

if (process.argv.includes('--check')) {
  let current = ''
  try {
    current = readFileSync(target, 'utf8')
  } catch {
    // A missing file is simply stale.
  }
  if (current !== fresh) {
    console.error(`${target} is stale; run npm run openapi`)
    process.exit(1)
  }
} else {
  writeFileSync(target, fresh)
  console.log(`wrote ${target}`)
}
