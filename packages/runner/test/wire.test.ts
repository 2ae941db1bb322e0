import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { answerError, FrameReader, MAX_FRAME_BYTES, withIdleTimeout, writeFrame } from '../src/wire.ts'
import { SourceError } from '../src/errors.ts'
import { streamPair } from './streams.ts'

describe('wire framing over a real socket', () => {
  it('carries frames and then raw bytes, split however the transport splits them', async () => {
    const { client, server, close } = await streamPair()
    const payload = Buffer.alloc(3 * 1024 * 1024, 7)
    const sending = (async () => {
      await writeFrame(client, { want: 'abc' })
      for (let i = 0; i < payload.length; i += 100_000) await client.write(payload.subarray(i, i + 100_000))
      await client.end()
    })()
    const reader = new FrameReader(server.source, 'test')
    expect(await reader.frame(z.object({ want: z.string() }))).toEqual({ want: 'abc' })
    let got = 0
    for await (const chunk of reader.rest()) got += chunk.length
    await sending
    expect(got).toBe(payload.length)
    close()
  })

  it('refuses an oversized frame and a frame of the wrong shape with a ProtocolError', async () => {
    const { client, server, close } = await streamPair()
    const big = Buffer.alloc(8)
    big.writeUInt32BE(MAX_FRAME_BYTES + 1, 0)
    await client.write(big)
    await expect(new FrameReader(server.source, 'test').frame(z.object({}))).rejects.toMatchObject({ name: 'ProtocolError', data: { protocol: 'test' } })
    close()
    const pair = await streamPair()
    await writeFrame(pair.client, { want: 5 })
    await expect(new FrameReader(pair.server.source, 'test').frame(z.object({ want: z.string() }))).rejects.toThrow(/want/)
    pair.close()
  })

  it('turns an error answer into a RemoteError that keeps the name and data', async () => {
    const { client, server, close } = await streamPair()
    await answerError(server, new SourceError('no such commit', { repo: 'r', commit: 'c', reason: 'refused', detail: 'x' }))
    const err = await new FrameReader(client.source, 'git').answer(z.object({ ok: z.literal(true) })).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'RemoteError', data: { remote: { name: 'SourceError', data: { reason: 'refused' } } } })
    close()
  })

  it('fails a stalled transfer after the idle timeout', async () => {
    const { client, server, close } = await streamPair()
    await client.write(new Uint8Array([1, 2, 3]))
    const chunks: number[] = []
    const err = await (async () => { for await (const c of withIdleTimeout(server.source, 200, 'test')) chunks.push(c.length) })().catch((e: unknown) => e)
    expect(chunks).toEqual([3])
    expect(err).toMatchObject({ name: 'StreamStalledError', data: { idleMs: 200 } })
    close()
  })
})
