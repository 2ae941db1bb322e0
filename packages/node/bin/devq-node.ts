#!/usr/bin/env node
import { runDaemon } from '../src/daemon.ts'

await runDaemon(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`devq-node: ${(err as Error).message}\n`)
  process.exit(2)
})
