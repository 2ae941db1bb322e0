import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createWorkerVerifier, generateSigner, signatureBytes, type VerifyItem } from '../../src/index.ts'
import { bids } from './helpers.ts'

async function items (n: number): Promise<{ items: VerifyItem[], expected: boolean[] }> {
  const signer = generateSigner()
  const evs = await bids(signer, n)
  const expected = evs.map((_, i) => i % 7 !== 3)
  const list = evs.map((ev, i) => {
    const signature = signatureBytes(ev.event)
    // Every seventh item gets a flipped signature bit; one gets a truncated signature.
    if (expected[i] === false) signature[i % 64]! ^= 1
    return { author: ev.event.author, message: ev.signed, signature: i === 3 ? signature.subarray(0, 10) : signature }
  })
  return { items: list, expected }
}

describe('worker verifier', () => {
  it('verifies big batches on workers and small ones inline, keeping order, and closes', async () => {
    const verifier = createWorkerVerifier({ threads: 2 })
    const big = await items(301)
    expect(await verifier.verifyBatch(big.items)).toEqual(big.expected)
    const small = await items(10)
    expect(await verifier.verifyBatch(small.items)).toEqual(small.expected)
    expect(await verifier.verifyBatch([{ author: 'not a peer id', message: new Uint8Array(1), signature: new Uint8Array(64) }])).toEqual([false])
    const [a, b] = await Promise.all([verifier.verifyBatch(big.items.slice(0, 100)), verifier.verifyBatch(big.items.slice(100))])
    expect([...a!, ...b!]).toEqual(big.expected)
    await verifier.close()
    expect(await verifier.verifyBatch(big.items)).toEqual(big.expected)
  })

  it('ends its workers after a while without work, and starts them again for the next big batch', async () => {
    const threads = (): number => readdirSync('/proc/self/task').length
    const before = threads()
    const verifier = createWorkerVerifier({ threads: 2, idleMs: 200 })
    const big = await items(200)
    expect(await verifier.verifyBatch(big.items)).toEqual(big.expected)
    const working = threads()
    expect(working).toBeGreaterThan(before)
    const deadline = Date.now() + 10_000
    while (threads() >= working && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(threads()).toBeLessThan(working)
    expect(await verifier.verifyBatch(big.items)).toEqual(big.expected)
    await verifier.close()
  })
})
