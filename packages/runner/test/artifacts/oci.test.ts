import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectArtifacts } from '../../src/artifacts/collect.ts'
import { rejection, storeFiles, tempDir, tempStore } from './support.ts'

interface Image {
  /** A directory holding the pristine layout at `img/`. */
  base: string
  manifest: string
  config: string
  layer: string
}

let image: Image

/** Builds a real one-layer image with umoci, once for the file. */
async function buildImage (): Promise<Image> {
  const base = await mkdtemp(join(tmpdir(), 'devq-oci-'))
  const run = async (...args: string[]): Promise<void> => { await execa('umoci', args, { cwd: base }) }
  await run('init', '--layout', 'img')
  await run('new', '--image', 'img:latest')
  await run('unpack', '--rootless', '--image', 'img:latest', 'bundle')
  await writeFile(join(base, 'bundle/rootfs/hello.txt'), 'hello from the image\n')
  await run('repack', '--image', 'img:latest', 'bundle')
  const index = JSON.parse(await readFile(join(base, 'img/index.json'), 'utf8')) as { manifests: Array<{ digest: string }> }
  const manifest = index.manifests[0]!.digest.slice(7)
  const m = JSON.parse(await readFile(join(base, 'img/blobs/sha256', manifest), 'utf8')) as { config: { digest: string }, layers: Array<{ digest: string }> }
  return { base, manifest, config: m.config.digest.slice(7), layer: m.layers[0]!.digest.slice(7) }
}

beforeAll(async () => { image = await buildImage() })
afterAll(async () => { await rm(image.base, { recursive: true, force: true }) })

/** A workspace with a copy of the image layout at `img/`. */
async function workspaceWithImage (): Promise<string> {
  const ws = await tempDir()
  await cp(join(image.base, 'img'), join(ws, 'img'), { recursive: true })
  return ws
}

const container = (paths: string[]): { name: string, kind: 'container', paths: string[], exclude: string[] } => ({ name: 'image', kind: 'container', paths, exclude: [] })

async function refusal (ws: string, paths: string[]): Promise<Record<string, unknown>> {
  const { store, dir } = await tempStore()
  const err = await rejection(collectArtifacts({ workspace: ws, specs: [container(paths)], store }))
  expect(err.name).toBe('ArtifactError')
  expect(await storeFiles(dir)).toEqual({ blobs: [], ingest: [] })
  return err.data!
}

describe('container artifacts: OCI image layouts built with umoci', () => {
  it('accepts the layout as a directory, stored as a tar rooted at the layout', async () => {
    const ws = await workspaceWithImage()
    const { store } = await tempStore()
    const [ref] = await collectArtifacts({ workspace: ws, specs: [container(['img'])], store })
    expect(ref).toMatchObject({ name: 'image', kind: 'container' })
    const { stdout } = await execa('tar', ['-tf', store.path(ref!.digest)])
    expect(stdout.split('\n')).toEqual(expect.arrayContaining(['oci-layout', 'index.json', `blobs/sha256/${image.layer}`]))
    const out = await tempDir()
    await execa('tar', ['-xf', store.path(ref!.digest), '-C', out])
    const unpacked = await tempDir()
    await execa('umoci', ['unpack', '--rootless', '--image', `${out}:latest`, join(unpacked, 'bundle')])
    expect(await readFile(join(unpacked, 'bundle/rootfs/hello.txt'), 'utf8')).toBe('hello from the image\n')
  })

  it('accepts the layout as a tar (and a gzipped tar) made with the tar CLI', async () => {
    const ws = await workspaceWithImage()
    await execa('tar', ['-cf', 'image.tar', '-C', 'img', '.'], { cwd: ws })
    await execa('tar', ['-czf', 'image.tgz', 'img'], { cwd: ws })
    const { store } = await tempStore()
    const refs = await collectArtifacts({ workspace: ws, specs: [container(['image.tar']), { ...container(['image.tgz']), name: 'gz' }], store })
    expect(refs.map((r) => r.size)).toEqual([(await readFile(join(ws, 'image.tar'))).length, (await readFile(join(ws, 'image.tgz'))).length])
  })

  it('refuses a layout whose layer blob was deleted, naming the blob', async () => {
    const ws = await workspaceWithImage()
    await rm(join(ws, 'img/blobs/sha256', image.layer))
    const data = await refusal(ws, ['img'])
    expect(data).toMatchObject({ reason: 'bad_oci_layout', path: `blobs/sha256/${image.layer}` })
    expect(data.detail).toMatch(/missing/)
  })

  it('refuses a layout with one byte of a blob corrupted, naming the blob, as a directory and as a tar', async () => {
    for (const blob of [image.layer, image.config, image.manifest]) {
      const ws = await workspaceWithImage()
      const file = join(ws, 'img/blobs/sha256', blob)
      const bytes = await readFile(file)
      bytes[Math.floor(bytes.length / 2)]! ^= 0x01
      await writeFile(file, bytes)
      const data = await refusal(ws, ['img'])
      expect(data).toMatchObject({ reason: 'bad_oci_layout', path: `blobs/sha256/${blob}` })
      expect(data.detail).toMatch(/hashes to/)
      await execa('tar', ['-cf', 'image.tar', '-C', 'img', '.'], { cwd: ws })
      expect(await refusal(ws, ['image.tar'])).toMatchObject({ reason: 'bad_oci_layout', path: `blobs/sha256/${blob}` })
    }
  })

  it('refuses a broken index.json, a missing oci-layout and a wrong layout version', async () => {
    const ws = await workspaceWithImage()
    await writeFile(join(ws, 'img/index.json'), '{"schemaVersion":2,"manifests":[')
    expect(await refusal(ws, ['img'])).toMatchObject({ reason: 'bad_oci_layout', path: 'index.json' })
    await writeFile(join(ws, 'img/index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 10 }] }))
    expect(await refusal(ws, ['img'])).toMatchObject({ reason: 'bad_oci_layout', path: `blobs/sha256/${'0'.repeat(64)}` })
    await writeFile(join(ws, 'img/oci-layout'), '{"imageLayoutVersion":"2.0.0"}')
    expect(await refusal(ws, ['img'])).toMatchObject({ reason: 'bad_oci_layout', path: 'oci-layout' })
    await rm(join(ws, 'img/oci-layout'))
    expect(await refusal(ws, ['img'])).toMatchObject({ reason: 'bad_oci_layout' })
  })

  it('refuses a tar that is not a tar at all', async () => {
    const ws = await tempDir()
    await writeFile(join(ws, 'image.tar'), 'this is not a tar archive, just text\n'.repeat(40))
    expect(await refusal(ws, ['image.tar'])).toMatchObject({ reason: 'bad_oci_layout' })
  })
})
