/** Worker thread of `createWorkerVerifier`: verifies packed slices with its own key cache. */
import { parentPort } from 'node:worker_threads'
import { KeyCache, verifyPacked, type VerifyRequest, type VerifyResponse } from './verifier.ts'

const cache = new KeyCache()
const port = parentPort
if (port !== null) {
  port.on('message', (req: VerifyRequest) => {
    const res: VerifyResponse = { id: req.id, ok: verifyPacked(cache, req) }
    port.postMessage(res, [res.ok.buffer])
  })
}
