#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --v8-pool-size=1 --max-semi-space-size=2 --optimize-for-size
import { runDaemon } from '../src/daemon.ts'

await runDaemon(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`devq-node: ${(err as Error).message}\n`)
  process.exit(2)
})
