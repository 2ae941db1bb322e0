import { describe, expect, it } from 'vitest'
import { silentLogger } from '@devq/core'
import { createSecretServer, requestSecrets } from '../src/secrets.ts'
import { SourceError } from '../src/errors.ts'
import { streamPair } from './streams.ts'

const JOB = 'a'.repeat(64)

describe('the secrets protocol over a real socket', () => {
  it('hands the values to the peer the origin approves and refuses others with the origin\'s reason', async () => {
    const asked: string[] = []
    const serve = createSecretServer({
      secretsFor: async (peer, job, attempt) => {
        asked.push(`${peer} ${job.slice(0, 4)} ${attempt}`)
        if (peer !== 'runner') throw new SourceError(`${peer} does not hold attempt ${attempt}`, { repo: '', commit: '', reason: 'refused', detail: 'not the runner' })
        return { TOKEN: 's3cret' }
      },
      logger: silentLogger
    })
    const ok = await streamPair()
    void serve(ok.server, 'runner')
    expect(await requestSecrets(ok.client, JOB, 2)).toEqual({ TOKEN: 's3cret' })
    ok.close()
    const no = await streamPair()
    void serve(no.server, 'stranger')
    await expect(requestSecrets(no.client, JOB, 2)).rejects.toMatchObject({ name: 'RemoteError', data: { remote: { message: 'stranger does not hold attempt 2' } } })
    no.close()
    expect(asked).toEqual(['runner aaaa 2', 'stranger aaaa 2'])
  })

  it('lets go of a peer that opens a stream and sends nothing', async () => {
    const serve = createSecretServer({ secretsFor: async () => ({}), logger: silentLogger }, { requestTimeoutMs: 200 })
    const { client, server, close } = await streamPair()
    const served = serve(server, 'slow')
    const read = (async () => { for await (const _ of client.source) { /* nothing comes */ } })().then(() => 'ended', () => 'aborted')
    await served
    expect(await read).toMatch(/ended|aborted/)
    close()
  })
})
