/**
 * `npm run bench -- <suite> [--json]`: runs scripts/bench/<suite>.ts, whose `run()` returns the
 * suite's figures. Human-readable lines go to stdout as they come; with --json the last stdout line
 * is one JSON object of all figures.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export type Figures = Record<string, number | boolean | string>

const args = process.argv.slice(2)
const json = args.includes('--json')
const suite = args.find((a) => !a.startsWith('--'))
const here = dirname(fileURLToPath(import.meta.url))
if (suite === undefined || !/^[a-z0-9-]+$/.test(suite) || !existsSync(join(here, `${suite}.ts`))) {
  console.error(`usage: npm run bench -- <suite> [--json]   (suite ${JSON.stringify(suite)} not found in scripts/bench/)`)
  process.exit(2)
}
const mod = await import(pathToFileURL(join(here, `${suite}.ts`)).href) as { run: (log: (line: string) => void) => Promise<Figures> }
const figures = await mod.run((line) => { console.log(line) })
for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(32)} ${String(v)}`)
if (json) console.log(JSON.stringify(figures))
process.exit(0)
