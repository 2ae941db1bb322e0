/**
 * `npm run schema`: writes schema/devq.schema.json, the editor schema of `.devq.yml`, from the zod
 * schema the parser itself uses. `--check` exits 1 instead of writing when the file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderPipelineJsonSchema } from '@devq/core'

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'schema', 'devq.schema.json')
const fresh = renderPipelineJsonSchema()

if (process.argv.includes('--check')) {
  let current = ''
  try {
    current = readFileSync(target, 'utf8')
  } catch {
    // A missing file is simply stale.
  }
  if (current !== fresh) {
    console.error(`${target} is stale; run npm run schema`)
    process.exit(1)
  }
} else {
  writeFileSync(target, fresh)
  console.log(`wrote ${target}`)
}
