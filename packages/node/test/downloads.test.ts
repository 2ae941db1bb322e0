/**
 * What the dashboard downloads through a node's control API (real processes, a real C project and
 * its umoci image): artifacts another peer built, fetched and verified on the way, and logs as
 * files; and what the views tell of a run's commit and of a job that passed on a retry.
 */
import { createHash } from 'node:crypto'
import { access, chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { waitMeshed, type NodeProc } from './harness.ts'
import { gridFixture } from './grid-fixture.ts'
import { build, logOf, type ArtifactView } from './builds.ts'
import { cPipeline, createCProject } from './fixtures/c-project.ts'

const fx = gridFixture()

/** The C project's pipeline and a job that fails its first attempt and passes its retry, leaving 300 kB of noise. */
const PIPELINE = `${cPipeline()}  flaky:
    retry: { max: 1, when: ["exit_code:3"] }
    steps: ['if [ "$DEVQ_ATTEMPT" = 1 ]; then echo "attempt 1 fails"; exit 3; fi; echo "attempt $DEVQ_ATTEMPT passes"; head -c 300000 /dev/urandom > noise.bin']
    artifacts: [{ name: noise, kind: package, paths: [noise.bin] }]
`

async function get (node: NodeProc, path: string): Promise<Response> {
  const token = (await readFile(join(node.dataDir, 'api.token'), 'utf8')).trim()
  return await fetch(node.api + path, { headers: { authorization: `Bearer ${token}` } })
}

const sha256 = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`
const held = async (node: NodeProc, digest: string): Promise<boolean> =>
  await access(join(node.dataDir, 'artifacts', 'blobs', 'sha256', digest.slice('sha256:'.length))).then(() => true, () => false)

interface JobLine { id: string, pipelineJob: string, status: string, flaky: boolean }
interface RunLine { run: string, subject?: string, author?: string }

describe('downloads through the control API (real processes)', () => {
  it('an artifact built on B downloads through A verified, named and streamed; its log as a file; the views say who wrote the commit and which job was flaky', async () => {
    // B announces and builds its own commit; A, with no slots, never holds the artifacts until asked.
    const cluster = await fx.grid(2, (i) => ['--slots', i === 0 ? '0' : '2'])
    const [a, b] = cluster.nodes as [NodeProc, NodeProc]
    await waitMeshed(cluster.nodes)
    const repo = await fx.tempDir('crepo')
    await createCProject(repo, 3, PIPELINE)
    const { run, jobs } = await build(b, repo, {}, 240_000)
    for (const job of jobs.values()) expect(job.status, `${job.pipelineJob}: ${JSON.stringify(job.attempts)}`).toBe('succeeded')
    const refs: ArtifactView[] = ['build', 'image', 'flaky'].flatMap((name) => jobs.get(name)!.result!.artifacts)
    expect(refs.map((r) => r.kind).sort()).toEqual(['binary', 'container', 'package', 'package'])

    const out = await fx.tempDir('downloads')
    for (const ref of refs) {
      expect(await held(a, ref.digest)).toBe(false)
      const res = await get(a, `/v1/artifacts/${ref.digest}`)
      expect(res.status, await res.clone().text()).toBe(200)
      const bytes = new Uint8Array(await res.arrayBuffer())
      expect(sha256(bytes), ref.name).toBe(ref.digest)
      expect(bytes.length).toBe(ref.size)
      const file = ref.file ?? ref.name
      expect(res.headers.get('content-type')).toBe('application/octet-stream')
      expect(res.headers.get('content-length')).toBe(String(ref.size))
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${file}"; filename*=UTF-8''${encodeURIComponent(file)}`)
      expect(res.headers.get('devq-artifact-digest')).toBe(ref.digest)
      expect(res.headers.get('digest')).toBe(`sha-256=${Buffer.from(ref.digest.slice(7), 'hex').toString('base64')}`)
      // Fetched into A's own store on the way: the next download needs no peer.
      expect(await held(a, ref.digest)).toBe(true)
      await writeFile(join(out, file), bytes, { mode: 0o755 })
    }
    // What arrived is what `devq pull` writes: a program that runs, a tarball, an OCI image umoci unpacks.
    expect((await execa(join(out, 'hello'))).stdout).toBe('hello from devq: 6')
    expect((await execa('tar', ['-tzf', join(out, 'hello-1.0.tar.gz')])).stdout.trim()).toBe('hello')
    const image = await fx.tempDir('image')
    await execa('tar', ['-xf', join(out, 'hello-image.tar'), '-C', image])
    await execa('umoci', ['unpack', '--rootless', '--image', `${image}:latest`, join(image, 'bundle')])
    expect(await readFile(join(image, 'bundle', 'rootfs', 'bin', 'hello'))).toEqual(await readFile(join(out, 'hello')))

    // A blob damaged on A's disk is not handed out. A small one fails its check before the answer
    // begins: an error, not a download. A larger one ends short of its length: the download fails.
    const damage = async (ref: ArtifactView): Promise<void> => {
      const blob = join(a.dataDir, 'artifacts', 'blobs', 'sha256', ref.digest.slice('sha256:'.length))
      const bytes = await readFile(blob)
      bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1)
      await chmod(blob, 0o644)
      await writeFile(blob, bytes)
    }
    const binary = refs.find((r) => r.name === 'hello')!
    await damage(binary)
    const refused = await get(a, `/v1/artifacts/${binary.digest}`)
    expect(refused.status).toBe(502)
    expect(refused.headers.get('content-disposition')).toBeNull()
    expect(await refused.json()).toMatchObject({ name: 'ArtifactError', data: { reason: 'digest_mismatch' } })
    const noise = refs.find((r) => r.name === 'noise')!
    expect(noise.size).toBe(300_000)
    await damage(noise)
    const cut = await get(a, `/v1/artifacts/${noise.digest}`)
    expect(cut.status).toBe(200)
    await expect(cut.arrayBuffer()).rejects.toThrow()

    // An unknown digest and a malformed one.
    const unknown = await get(a, `/v1/artifacts/sha256:${'0'.repeat(64)}`)
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ name: 'ApiRequestError', data: { status: 404, detail: 'unknown artifact' } })
    const malformed = await get(a, '/v1/artifacts/sha256:xyz')
    expect(malformed.status).toBe(400)
    expect(await malformed.json()).toMatchObject({ name: 'ApiRequestError', data: { status: 400, field: 'digest' } })

    // A log as a file to save, relayed from the runner; without download=1 it is the same text, inline.
    const flaky = jobs.get('flaky')!
    const saved = await get(a, `/v1/jobs/${flaky.id}/log?attempt=1&download=1`)
    expect(saved.status).toBe(200)
    expect(saved.headers.get('content-disposition')).toBe(`attachment; filename="flaky-${flaky.id.slice(0, 8)}-1.log"; filename*=UTF-8''flaky-${flaky.id.slice(0, 8)}-1.log`)
    expect(saved.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    const text = await saved.text()
    expect(text).toContain('attempt 1 fails')
    expect(text).toBe(await logOf(a, flaky.id, 1))
    expect((await get(a, `/v1/jobs/${flaky.id}/log`)).headers.get('content-disposition')).toBeNull()

    // The job that passed on its retry is flaky; the ones that passed at once are not.
    const lines = (await b.get<{ jobs: JobLine[] }>('/v1/views/jobs')).jobs
    expect(Object.fromEntries(lines.map((j) => [j.pipelineJob, j.flaky]))).toEqual({ build: false, image: false, flaky: true })
    expect(await b.get(`/v1/views/jobs/${flaky.id}`)).toMatchObject({ job: { flaky: true }, attempts: [{ outcome: 'failed', exitCode: 3 }, { outcome: 'succeeded' }] })
    // B holds the commit (its own repository): subject and author; A holds neither.
    const onB = (await b.get<{ runs: RunLine[] }>('/v1/views/runs')).runs.find((r) => r.run === run.run)
    expect(onB).toMatchObject({ subject: 'first version', author: 'Dev' })
    expect(await b.get(`/v1/views/runs/${run.run}`)).toMatchObject({ run: { author: 'Dev' } })
    const onA = (await a.get<{ runs: RunLine[] }>('/v1/views/runs')).runs.find((r) => r.run === run.run)
    expect(onA).toBeDefined()
    expect(onA!.author).toBeUndefined()
  }, 360_000)
})
