import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { removeDir, tempDataDir } from './harness.ts'
import { enqueue, failedDir, listQueued, MAX_ENTRY_BYTES, queueDir, readQueued, settle, type QueueEntry } from '../src/hooks/queue.ts'

const dirs: string[] = []
afterEach(async () => { await Promise.all(dirs.splice(0).map(removeDir)) })

const entry = (n: number): QueueEntry => ({ v: 1, dir: '/work/repo', commit: 'c'.repeat(40), ref: 'refs/heads/main', hook: 'post-commit', queuedAt: 1_700_000_000_000 + n })

describe('the hook queue on disk', () => {
  it('writes entries 0600 in the order they came, reads them back checked, and settles them by outcome', async () => {
    const data = await tempDataDir('queue')
    dirs.push(data)
    const names = [await enqueue(data, entry(2)), await enqueue(data, entry(1)), await enqueue(data, entry(3))]
    expect(await listQueued(data)).toEqual([names[1], names[0], names[2]])
    expect((await stat(join(queueDir(data), names[0]!))).mode & 0o777).toBe(0o600)
    expect(await readQueued(data, names[0]!)).toEqual({ entry: entry(2) })

    await settle(data, names[0]!, { kind: 'announced', run: 'r', existing: false })
    await settle(data, names[1]!, { kind: 'later', detail: 'no node' })
    await settle(data, names[2]!, { kind: 'refused', reason: 'bad_pipeline', detail: '.devq.yml:2:8 jobs: expected a map' })
    expect(await listQueued(data)).toEqual([names[1]])
    const aside = JSON.parse(await readFile(join(failedDir(data), names[2]!), 'utf8')) as { reason: string, detail: string, entry: QueueEntry }
    expect(aside).toMatchObject({ reason: 'bad_pipeline', detail: '.devq.yml:2:8 jobs: expected a map', entry: entry(3) })
    // Settling what the other settler already took is fine.
    await settle(data, names[0]!, { kind: 'announced', run: 'r', existing: true })
  })

  it('names what is wrong with an entry that is not one: too large, not JSON, not the shape, a link', async () => {
    const data = await tempDataDir('queue')
    dirs.push(data)
    await mkdir(queueDir(data), { recursive: true })
    const put = async (name: string, text: string): Promise<string> => { await writeFile(join(queueDir(data), name), text); return name }
    expect(await readQueued(data, await put('0000000000001-00000001.json', 'x'.repeat(MAX_ENTRY_BYTES + 1)))).toEqual({ invalid: `${MAX_ENTRY_BYTES + 1} bytes, more than the ${MAX_ENTRY_BYTES} an entry may have` })
    expect(await readQueued(data, await put('0000000000001-00000002.json', '{'))).toEqual({ invalid: 'not JSON' })
    expect(await readQueued(data, await put('0000000000001-00000003.json', JSON.stringify({ ...entry(0), dir: 'relative', commit: 'HEAD' })))).toEqual({ invalid: 'dir: an absolute path; commit: a full commit id' })
    await symlink('/etc/passwd', join(queueDir(data), '0000000000001-00000004.json'))
    expect(await readQueued(data, '0000000000001-00000004.json')).toEqual({ invalid: 'not a regular file' })
    await put('notes.txt', 'not an entry')
    expect(await listQueued(data)).toHaveLength(4)
    expect(await readQueued(data, '0000000000001-00000009.json')).toBeUndefined()
    expect(await readdir(queueDir(data))).toContain('notes.txt')
  })

  it('sets aside a directory that took an entry\'s name, so it leaves the queue', async () => {
    const data = await tempDataDir('queue')
    dirs.push(data)
    const name = '0000000000004-00000004.json'
    await mkdir(join(queueDir(data), name), { recursive: true })
    expect(await readQueued(data, name)).toEqual({ invalid: 'not a regular file' })
    await settle(data, name, { kind: 'refused', reason: 'invalid', detail: 'not a regular file' })
    expect(await listQueued(data)).toEqual([])
    expect(await readdir(failedDir(data))).toEqual([name])
  })
})
