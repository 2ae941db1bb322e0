/**
 * A child process for the store tests: starts a put that never ends, says so on stdout once bytes
 * are on disk, and waits to be killed, as a peer that crashes in the middle of an ingest would.
 */
import { silentLogger } from '@devq/core'
import { createArtifactStore } from '../../src/artifacts/store.ts'

const store = createArtifactStore({ dir: process.argv[2]!, budgetBytes: 1 << 30, logger: silentLogger })

async function * endless (): AsyncGenerator<Uint8Array> {
  const chunk = Buffer.alloc(64 * 1024, 7)
  for (let n = 1; ; n++) {
    yield chunk
    if (n === 8) process.stdout.write('writing\n')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

await store.putStream(endless())
