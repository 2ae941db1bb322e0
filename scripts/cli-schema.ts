/**
 * `npm run schema:cli`: writes doc/cli-json.schema.json, the JSON Schema of every `devq --json`
 * output, from the zod schemas the CLI prints through. `--check` exits 1 instead of writing when
 * the file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderCliJsonSchema } from '../packages/node/src/index.ts'

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'doc', 'cli-json.schema.json')
const fresh = renderCliJsonSchema()

if (process.argv.includes('--check')) {
  let current = ''
  try {
    current = readFileSync(target, 'utf8')
  } catch {
    // A missing file is simply stale.
  }
  if (current !== fresh) {
    console.error(`${target} is stale; run npm run schema:cli`)
    process.exit(1)
  }
} else {
  writeFileSync(target, fresh)
  console.log(`wrote ${target}`)
}
