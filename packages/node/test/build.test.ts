import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { execa } from 'execa'
import { cli, waitMeshed } from './harness.ts'
import { gridFixture } from './grid-fixture.ts'
import { build, fullPackBytes, logOf, sha256File, waitPulled } from './builds.ts'
import { commitAll, createCProject, git, helperSource } from './fixtures/c-project.ts'

const fx = gridFixture()

const compiled = (log: string): string[] => log.split('\n').filter((l) => /^cc .* -c /.test(l))

describe('real builds on a grid of three peers', () => {
  it('builds an unpushed commit on another peer and brings its binary, tarball and OCI image back to the origin, verified', async () => {
    // Peer A (node 0) only announces: its commits are built on B or C.
    const cluster = await fx.grid(3, (i) => ['--slots', i === 0 ? '0' : '1'])
    const [a] = cluster.nodes
    await waitMeshed(cluster.nodes)
    const repo = await fx.tempDir('crepo')
    await createCProject(repo)

    const first = await build(a!, repo)
    const bJob = first.jobs.get('build')!
    const image = first.jobs.get('image')!
    expect(bJob.status, JSON.stringify(bJob.attempts)).toBe('succeeded')
    expect(image.status, JSON.stringify(image.attempts)).toBe('succeeded')
    expect(bJob.result!.by).not.toBe(a!.peerId)
    // The image job needs the binary: it starts only after the build finished (one machine, one clock).
    expect(image.attempts[0]!.startedAt!).toBeGreaterThanOrEqual(bJob.attempts[0]!.finishedAt!)

    // The log keeps its structure: one group per step, in order.
    const outline = await a!.get<{ groups: { name: string, line: number, end: number }[] }>(`/v1/jobs/${bJob.id}/outline`)
    expect(outline.groups.map((g) => g.name)).toEqual(['[devq] step: compile', '[devq] step: package'])
    expect(outline.groups[0]!.end).toBeLessThan(outline.groups[1]!.line)

    // A peer that holds no copy of the log relays it from one that does.
    const bystander = cluster.nodes.find((n) => n !== a && n.peerId !== bJob.result!.by)!
    expect(await logOf(bystander, bJob.id)).toBe(await logOf(a!, bJob.id))
    // The CLI finds a job by its pipeline job name too.
    expect(await cli(['logs', 'build', '--data-dir', a!.dataDir])).toContain('+++ [devq] step: compile')

    // The artifacts come back to A by themselves; with every other peer gone A still has them.
    const refs = [...bJob.result!.artifacts, ...image.result!.artifacts]
    expect(refs.map((r) => r.kind).sort()).toEqual(['binary', 'container', 'package'])
    for (const job of [bJob, image]) await waitPulled(a!, job.id)
    await Promise.all(cluster.nodes.slice(1).map(async (n) => { await n.kill() }))
    const out = await fx.tempDir('pulled')
    const pulled = await a!.post<{ files: { path: string, digest: string, name: string }[] }>('/v1/pull', { job: bJob.id, out })
    await a!.post('/v1/pull', { job: image.id, out })
    for (const f of pulled.files) expect(await sha256File(f.path)).toBe(f.digest)
    const run = await execa(join(out, 'hello'))
    expect(run.stdout).toBe('hello from devq: 21')
    expect((await execa('tar', ['-tzf', join(out, 'hello-1.0.tar.gz')])).stdout.trim()).toBe('hello')
    const unpacked = await fx.tempDir('oci')
    await execa('tar', ['-xf', join(out, 'hello-image.tar'), '-C', unpacked])
    await execa('umoci', ['unpack', '--rootless', '--image', `${unpacked}:latest`, join(unpacked, 'bundle')])
    expect(await readFile(join(unpacked, 'bundle', 'rootfs', 'bin', 'hello'))).toEqual(await readFile(join(out, 'hello')))
    expect(await readdir(join(unpacked, 'blobs', 'sha256'))).not.toHaveLength(0)
  }, 300_000)

  it('sends a one-file change as a thin pack and rebuilds only the changed object; the same tree again finishes cached', async () => {
    const cluster = await fx.grid(2, (i) => ['--slots', i === 0 ? '0' : '1'])
    const [a] = cluster.nodes
    await waitMeshed(cluster.nodes)
    const repo = await fx.tempDir('crepo')
    await createCProject(repo, 12)
    const first = await build(a!, repo, { jobs: ['build'] })
    expect(first.jobs.get('build')!.status).toBe('succeeded')
    expect(compiled(await logOf(a!, first.jobs.get('build')!.id))).toHaveLength(13)

    await writeFile(join(repo, 'src', 'part3.c'), helperSource(3, 40))
    const commit2 = await commitAll(repo, 'change one helper')
    const second = await build(a!, repo, { jobs: ['build'] })
    const job = second.jobs.get('build')!
    expect(job.status).toBe('succeeded')
    const fetched = job.result!.fetched!
    const full = await fullPackBytes(repo, commit2)
    // Only the new commit, two trees and one blob travel, a fraction of the whole commit's pack.
    expect(fetched.objects).toBe(4)
    expect(fetched.bytes).toBeLessThan(full / 4)
    const log2 = await logOf(a!, job.id)
    expect(compiled(log2)).toEqual(['cc -O2 -Wall -c src/part3.c -o build/part3.o'])
    // The runner already mirrors the repository, so it fetched the change as soon as it bid.
    expect(log2).toContain(`fetched ${commit2.slice(0, 12)} while bidding: 4 objects`)

    // The same tree under a new commit (only the message differs): cached, nothing runs.
    await git(repo, ['commit', '--allow-empty', '-q', '-m', 'same tree'])
    const third = await build(a!, repo, { jobs: ['build'] })
    const cached = third.jobs.get('build')!
    expect(cached.status).toBe('cached')
    expect(cached.attempts).toEqual([])
    expect(cached.result!.cachedFrom).toBe(job.id)
    expect(cached.result!.artifacts).toEqual(job.result!.artifacts)
  }, 300_000)
})

describe('a peer alone', () => {
  it('builds its own commit, fetching the source from its own repository', async () => {
    const cluster = await fx.grid(1, () => ['--slots', '1'])
    const [a] = cluster.nodes
    const repo = await fx.tempDir('solo')
    await createCProject(repo, 2)
    const { jobs } = await build(a!, repo)
    expect(jobs.get('build')).toMatchObject({ status: 'succeeded', result: { by: a!.peerId } })
    expect(jobs.get('image')!.status).toBe('succeeded')
    expect(await logOf(a!, jobs.get('build')!.id)).toMatch(new RegExp(`fetched [0-9a-f]{12}: \\d+ objects, \\d+ bytes from ${a!.peerId}`))
  }, 120_000)
})
