/**
 * Control API routes for provenance: a job's, and every job's that built an artifact digest. They
 * read this peer's ledger only, so `devq verify` works offline.
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { Digest, EventId } from '@devq/core'
import type { DevqNode } from './node.ts'
import { ApiRequestError } from './errors.ts'
import { parseRequest } from './api-schemas.ts'
import { provenanceOf, provenanceOfDigest } from './provenance.ts'

const JobParams = z.strictObject({ id: EventId })
export const DigestQuery = z.strictObject({ digest: Digest })

/** Registers `GET /v1/jobs/:id/provenance` and `GET /v1/provenance?digest=`. */
export function provenanceRoutes (app: FastifyInstance, node: DevqNode): void {
  app.get('/v1/jobs/:id/provenance', async (req) => {
    const { id } = parseRequest(JobParams, req.params, 'path')
    const job = node.fold.job(id)
    if (job === undefined) throw new ApiRequestError(`no job ${id} in this peer's ledger`, { status: 404, detail: 'unknown job' })
    return await provenanceOf(node, job)
  })
  app.get('/v1/provenance', async (req) => {
    const { digest } = parseRequest(DigestQuery, req.query, 'query')
    const jobs = node.runner.access.jobsWithArtifact(digest)
    if (jobs.length === 0) throw new ApiRequestError(`no job in this peer's ledger lists ${digest}`, { status: 404, detail: 'unknown artifact' })
    return { digest, jobs: await provenanceOfDigest(node, jobs) }
  })
}
