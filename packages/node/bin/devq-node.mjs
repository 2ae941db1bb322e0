#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --v8-pool-size=1 --max-semi-space-size=2 --optimize-for-size
// The devq-node command: loads the stripped-TypeScript cache (ts-cache.mjs) before any TypeScript,
// then the daemon. A dynamic import, so that the cache's loader hook is in place when it loads.
import './ts-cache.mjs'

await import('./devq-node.ts')
