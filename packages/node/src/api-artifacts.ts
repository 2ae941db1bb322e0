/**
 * `GET /v1/artifacts/:digest`: one artifact's bytes as a download. They come from this peer's
 * store, fetched into it first from a peer that has them when absent, by the pull path
 * (api-builds.ts: the same room check, the same sources, and the serving peer's access rules, so a
 * sensitive job's artifact comes only through a peer that may have it). The bytes are the blob the
 * job lists, whatever its kind: a container is the tar of its OCI image layout, as `devq pull`
 * writes it, so the download hashes to the digest the job lists.
 *
 * Streamed from a file opened before the answer begins (eviction cannot take it mid-way), and
 * checked against the digest on the way: the last chunk is held back until the hash matches, so a
 * blob damaged on disk ends the answer short of its Content-Length instead of handing out wrong bytes.
 */
import { createHash } from 'node:crypto'
import { open, type FileHandle } from 'node:fs/promises'
import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { Digest, type ArtifactRef, type Logger } from '@devq/core'
import { ArtifactError, fileOf, READ_CHUNK_BYTES } from '@devq/runner'
import type { DevqNode } from './node.ts'
import { parseRequest } from './api-schemas.ts'
import { artifactFetch, refsOf } from './api-builds.ts'
import { attachment } from './attachment.ts'

export const ArtifactParams = z.strictObject({ digest: Digest })

function damaged (ref: ArtifactRef, detail: string): ArtifactError {
  return new ArtifactError(`artifact ${ref.name} (${ref.digest}) in this peer's store ${detail}`, { artifact: ref.name, reason: 'digest_mismatch', detail })
}

/** The blob's bytes from `handle`, passed on only while they can still hash to `ref.digest`. */
async function * verified (handle: FileHandle, ref: ArtifactRef, logger: Logger): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256')
  let held: Uint8Array | undefined
  let size = 0
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES, autoClose: false }) as AsyncIterable<Buffer>) {
      if (held !== undefined) yield held
      size += chunk.length
      if (size > ref.size) throw damaged(ref, `is over its ${ref.size} bytes`)
      hash.update(chunk)
      held = chunk
    }
    const digest = `sha256:${hash.digest('hex')}`
    if (size !== ref.size || digest !== ref.digest) throw damaged(ref, `hashes to ${digest} (${size} bytes)`)
    if (held !== undefined) yield held
  } catch (err) {
    // Past the first chunk the answer has begun and its error cannot reach the client: the log says it.
    logger.error({ err, digest: ref.digest }, 'artifact download stopped')
    throw err
  } finally {
    await handle.close()
  }
}

/** `first` and then the rest of `rest`; `rest` is ended (its file closed) however the reading stops. */
async function * resumed (first: IteratorResult<Uint8Array>, rest: AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    if (first.done === true) return
    yield first.value
    yield * rest
  } finally {
    await rest.return(undefined)
  }
}

/** The held blob, opened; fetched (again, if it was evicted meanwhile) when it is not held. */
async function openBlob (node: DevqNode, ref: ArtifactRef, fetch: () => Promise<void>): Promise<FileHandle> {
  for (let tries = 0; ; tries++) {
    await fetch()
    try {
      return await open(node.runner.artifacts.path(ref.digest), 'r')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || tries > 0) throw err
    }
  }
}

/** Registers `GET /v1/artifacts/:digest`. */
export function artifactRoutes (app: FastifyInstance, node: DevqNode, logger: Logger): void {
  app.get('/v1/artifacts/:digest', async (req, reply) => {
    const { digest } = parseRequest(ArtifactParams, req.params, 'path')
    const { refs, jobs } = refsOf(node, { digest })
    const ref = refs[0]!
    const fetch = await artifactFetch(node, refs, jobs)
    const handle = await openBlob(node, ref, async () => { await fetch(ref) })
    const size = (await handle.stat()).size
    if (size !== ref.size) {
      await handle.close()
      throw damaged(ref, `is ${size} bytes, not ${ref.size}`)
    }
    // Read up to the first chunk sent before answering: a blob that fails its check by then (all of
    // a small one) gets an error answer, not a download's headers.
    const rest = verified(handle, ref, logger)
    const first = await rest.next()
    const hex = digest.slice('sha256:'.length)
    return await reply.headers({
      'content-type': 'application/octet-stream',
      'content-length': String(ref.size),
      'content-disposition': attachment(fileOf(ref)),
      // RFC 3230's form (base64 of the sha256), and the digest as the ledger spells it.
      digest: `sha-256=${Buffer.from(hex, 'hex').toString('base64')}`,
      'devq-artifact-digest': digest,
      'devq-artifact-kind': ref.kind
    }).send(Readable.from(resumed(first, rest)))
  })
}
