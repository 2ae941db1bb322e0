import { randomBytes } from 'node:crypto'
import { chmod, cp, mkdir, readFile, readdir, realpath, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import type { PlannedArtifact } from '@devq/core'
import { collectArtifacts } from '../../src/artifacts/collect.ts'
import { openChecked, selectFiles } from '../../src/artifacts/workspace-files.ts'
import { readAll, rejection, sha256, storeFiles, tempDir, tempStore } from './support.ts'

function spec (name: string, kind: PlannedArtifact['kind'], paths: string[], exclude: string[] = []): PlannedArtifact {
  return { name, kind, paths, exclude }
}

async function writeTree (root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, body] of Object.entries(files)) {
    await mkdir(join(root, rel, '..'), { recursive: true })
    await writeFile(join(root, rel), body)
  }
}

async function listTree (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort()
}

describe('collecting artifacts from a workspace', () => {
  it('stores one binary as its exact bytes', async () => {
    const ws = await tempDir()
    const bytes = randomBytes(300_000)
    await writeTree(ws, { 'out/app': bytes })
    await chmod(join(ws, 'out/app'), 0o755)
    const { store } = await tempStore()
    const [ref] = await collectArtifacts({ workspace: ws, specs: [spec('app', 'binary', ['out/app'])], store })
    expect(ref).toEqual({ name: 'app', kind: 'binary', file: 'app', digest: sha256(bytes), size: bytes.length })
    expect((await readAll(store.open(ref!.digest))).equals(bytes)).toBe(true)
  })

  it('packs a directory as a tar that the tar CLI extracts, without excluded files', async () => {
    const ws = await tempDir()
    await writeTree(ws, { 'dist/a.txt': 'alpha', 'dist/sub/b.bin': randomBytes(5000), 'dist/.hidden': 'h', 'dist/tmp/skip.o': 'x', 'other.txt': 'no' })
    const { store } = await tempStore()
    const [ref] = await collectArtifacts({ workspace: ws, specs: [spec('dist', 'package', ['dist'], ['dist/tmp/**'])], store })
    expect(ref!.file).toBe('dist.tar')
    const out = await tempDir()
    await execa('tar', ['-xf', store.path(ref!.digest), '-C', out])
    expect(await listTree(out)).toEqual(['dist/.hidden', 'dist/a.txt', 'dist/sub/b.bin'])
    expect(await readFile(join(out, 'dist/sub/b.bin'))).toEqual(await readFile(join(ws, 'dist/sub/b.bin')))
    const { stdout } = await execa('tar', ['-tvf', store.path(ref!.digest)])
    expect(stdout).toMatch(/2000-01-01/)
    expect(stdout.split('\n').map((l) => l.split(/\s+/).pop())).toEqual(['dist/.hidden', 'dist/a.txt', 'dist/sub/b.bin'])
  })

  it('gives the same digest for the same content, whatever the mtimes or the copy', async () => {
    const ws = await tempDir()
    const long = `dist/${'deep-directory-name/'.repeat(8)}file-with-a-long-name.txt`
    await writeTree(ws, { 'dist/a': 'one', 'dist/b/c': 'two', [long]: 'long path needs a pax header' })
    const { store } = await tempStore()
    const specs = [spec('dist', 'binary', ['dist/**'])]
    const [first] = await collectArtifacts({ workspace: ws, specs, store })
    await utimes(join(ws, 'dist/a'), new Date(2011, 1, 1), new Date(2011, 1, 1))
    const copy = await tempDir()
    await cp(ws, copy, { recursive: true })
    const [again] = await collectArtifacts({ workspace: ws, specs, store })
    const [copied] = await collectArtifacts({ workspace: copy, specs, store })
    expect(again!.digest).toBe(first!.digest)
    expect(copied!.digest).toBe(first!.digest)
    await writeFile(join(copy, 'dist/a'), 'changed')
    const [changed] = await collectArtifacts({ workspace: copy, specs, store })
    expect(changed!.digest).not.toBe(first!.digest)
    const { stdout } = await execa('tar', ['-tf', store.path(first!.digest)])
    expect(stdout.split('\n')).toContain(long)
  })

  it('accepts a .tar.gz package made with the tar CLI, byte for byte', async () => {
    const ws = await tempDir()
    await writeTree(ws, { 'pkg/bin/tool': 'tool', 'pkg/lib/x.so': randomBytes(2000) })
    await symlink('../lib/x.so', join(ws, 'pkg/bin/link'))
    await execa('tar', ['-czf', 'pkg.tar.gz', '-C', 'pkg', '.'], { cwd: ws })
    const { store } = await tempStore()
    const [ref] = await collectArtifacts({ workspace: ws, specs: [spec('pkg', 'package', ['pkg.tar.gz'])], store })
    expect(ref!.digest).toBe(sha256(await readFile(join(ws, 'pkg.tar.gz'))))
  })

  it('takes a symlink that stays inside the workspace as its target file', async () => {
    const ws = await tempDir()
    await writeTree(ws, { 'build/real.bin': 'inside' })
    await symlink('build/real.bin', join(ws, 'latest.bin'))
    const { store } = await tempStore()
    const [ref] = await collectArtifacts({ workspace: ws, specs: [spec('latest', 'binary', ['latest.bin'])], store })
    expect(ref!.digest).toBe(sha256(Buffer.from('inside')))
  })
})

describe('refusing artifact paths that are not the workspace\'s own files', () => {
  async function refused (ws: string, s: PlannedArtifact, extra: { maxBytes?: number, maxTotalBytes?: number } = {}): Promise<Record<string, unknown>> {
    const { store, dir } = await tempStore()
    const err = await rejection(collectArtifacts({ workspace: ws, specs: [s], store, ...extra }))
    expect(err.name).toBe('ArtifactError')
    expect(err.message).toContain(JSON.stringify(s.name))
    expect(await storeFiles(dir)).toEqual({ blobs: [], ingest: [] })
    return err.data!
  }

  it('refuses a path that climbs out, and an absolute path', async () => {
    const ws = await tempDir()
    await writeTree(ws, { 'a.txt': 'a' })
    expect(await refused(ws, spec('up', 'binary', ['../x']))).toMatchObject({ artifact: 'up', reason: 'escapes_workspace', path: '../x' })
    expect(await refused(ws, spec('up2', 'binary', ['a.txt'], ['sub/../../y']))).toMatchObject({ reason: 'escapes_workspace', path: 'sub/../../y' })
    expect(await refused(ws, spec('abs', 'binary', ['/etc/passwd']))).toMatchObject({ artifact: 'abs', reason: 'absolute_path', path: '/etc/passwd' })
  })

  it('refuses a symlink to /etc/passwd and a symlink to a directory outside', async () => {
    const ws = await tempDir()
    const outside = await tempDir()
    await writeTree(outside, { 'secret.txt': 'secret' })
    await writeTree(ws, { 'dist/ok.txt': 'ok' })
    await symlink('/etc/passwd', join(ws, 'passwd'))
    await symlink(outside, join(ws, 'dist/elsewhere'))
    expect(await refused(ws, spec('pw', 'binary', ['passwd']))).toMatchObject({ reason: 'symlink_escape', path: 'passwd' })
    expect(await refused(ws, spec('dir', 'package', ['dist']))).toMatchObject({ reason: 'symlink_escape', path: 'dist/elsewhere' })
    expect(await refused(ws, spec('glob', 'package', ['**/*']))).toMatchObject({ reason: 'symlink_escape' })
  })

  it('refuses a package tar.gz with an entry ../evil', async () => {
    const ws = await tempDir()
    const script = [
      'import io, sys, tarfile',
      'with tarfile.open(sys.argv[1], "w:gz") as t:',
      '    for name in ["ok/readme", "../evil"]:',
      '        i = tarfile.TarInfo(name); i.size = 2; t.addfile(i, io.BytesIO(b"hi"))'
    ].join('\n')
    await execa('python3', ['-c', script, join(ws, 'evil.tar.gz')])
    expect(await refused(ws, spec('evil', 'package', ['evil.tar.gz']))).toMatchObject({ reason: 'bad_tar_entry', path: '../evil' })
  })

  it('refuses a package tar whose symlink points outside, even when its name does not say tar', async () => {
    const ws = await tempDir()
    await writeTree(ws, { 'src/a': 'a' })
    await symlink('../../../etc/shadow', join(ws, 'src/link'))
    await execa('tar', ['-cf', 'bundle.bin', '-C', 'src', '.'], { cwd: ws })
    expect(await refused(ws, spec('bundle', 'package', ['bundle.bin']))).toMatchObject({ reason: 'bad_tar_entry', path: './link' })
  })

  it('refuses a fifo without blocking on it', async () => {
    const ws = await tempDir()
    await execa('mkfifo', [join(ws, 'pipe')])
    expect(await refused(ws, spec('pipe', 'binary', ['pipe']))).toMatchObject({ reason: 'not_regular', path: 'pipe' })
    expect(await refused(ws, spec('all', 'binary', ['*']))).toMatchObject({ reason: 'not_regular', path: 'pipe' })
  })

  it('refuses globs that match nothing, or only empty directories', async () => {
    const ws = await tempDir()
    await mkdir(join(ws, 'empty'))
    expect(await refused(ws, spec('none', 'binary', ['nothing/*.bin']))).toMatchObject({ reason: 'no_match', path: 'nothing/*.bin' })
    expect(await refused(ws, spec('empty', 'binary', ['empty']))).toMatchObject({ reason: 'no_match' })
    expect(await refused(ws, spec('nopaths', 'binary', []))).toMatchObject({ reason: 'no_match' })
  })

  it('refuses an artifact over its cap, and artifacts over the job total', async () => {
    const ws = await tempDir()
    await writeTree(ws, { 'big.bin': randomBytes(10_000), 'small.bin': randomBytes(3000) })
    expect(await refused(ws, spec('big', 'binary', ['big.bin']), { maxBytes: 4096 })).toMatchObject({ reason: 'too_large', path: 'big.bin' })
    const { store, dir } = await tempStore()
    const specs = [spec('small', 'binary', ['small.bin']), spec('big', 'binary', ['big.bin'])]
    const err = await rejection(collectArtifacts({ workspace: ws, specs, store, maxTotalBytes: 12_000 }))
    expect(err.data).toMatchObject({ artifact: 'big', reason: 'too_large' })
    expect(err.message).toMatch(/12000 bytes/)
    expect((await storeFiles(dir)).blobs).toHaveLength(1)
  })
})

describe('a file swapped between its check and its read', () => {
  async function checkedThenSwapped (swap: (ws: string, outside: string) => Promise<void>): Promise<Record<string, unknown>> {
    const ws = await realpath(await tempDir())
    const outside = await tempDir()
    await writeTree(ws, { 'dist/a.bin': 'built', 'dist/b.bin': 'other' })
    await writeTree(outside, { 'a.bin': 'secret' })
    const { files } = await selectFiles(ws, spec('dist', 'binary', ['dist/a.bin']))
    await swap(ws, outside)
    const err = await rejection(openChecked('dist', ws, files[0]!))
    expect(err.name).toBe('ArtifactError')
    return err.data!
  }

  it('is refused when it became a symlink to a file outside', async () => {
    const data = await checkedThenSwapped(async (ws, outside) => {
      await rm(join(ws, 'dist/a.bin'))
      await symlink(join(outside, 'a.bin'), join(ws, 'dist/a.bin'))
    })
    expect(data).toMatchObject({ reason: 'symlink_escape', path: 'dist/a.bin' })
  })

  it('is refused when another file was renamed over it', async () => {
    const data = await checkedThenSwapped(async (ws) => { await rename(join(ws, 'dist/b.bin'), join(ws, 'dist/a.bin')) })
    expect(data).toMatchObject({ reason: 'symlink_escape', path: 'dist/a.bin' })
    expect(data.detail).toMatch(/replaced/)
  })

  it('is refused when its directory became a symlink to a directory outside', async () => {
    const data = await checkedThenSwapped(async (ws, outside) => {
      await rm(join(ws, 'dist'), { recursive: true })
      await symlink(outside, join(ws, 'dist'))
    })
    expect(data).toMatchObject({ reason: 'symlink_escape', path: 'dist/a.bin' })
  })

  it('is refused when it became a fifo, without blocking', async () => {
    const data = await checkedThenSwapped(async (ws) => {
      await rm(join(ws, 'dist/a.bin'))
      await execa('mkfifo', [join(ws, 'dist/a.bin')])
    })
    expect(data).toMatchObject({ reason: 'not_regular', path: 'dist/a.bin' })
  })
})
