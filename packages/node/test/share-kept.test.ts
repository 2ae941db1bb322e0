/** `devq share <mode>` says whether the node could keep the new mode in its config file (real processes). */
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { removeDir, startNode, tempDataDir, type NodeProc } from './harness.ts'
import { devq, validJson } from './cli-run.ts'

interface Shared { mode: string, kept?: { file?: string, error?: string } }

let node: NodeProc | undefined
let dir: string | undefined
afterEach(async () => {
  await node?.stop()
  node = undefined
  if (dir !== undefined) await removeDir(dir)
  dir = undefined
})

const WARNING = 'devq: warning: the mode holds until the node restarts: '

describe('devq share and the config file', () => {
  it('answers once the mode is in the file, and warns (exit 0) when the file cannot take it', async () => {
    dir = await tempDataDir('share-kept')
    node = await startNode(dir)
    const file = join(dir, 'config.yml')

    const kept = await devq(['share', 'shared', '--json', '--data-dir', dir])
    expect(kept).toMatchObject({ code: 0, stderr: '' })
    expect(validJson<Shared>('share', kept.stdout)).toMatchObject({ mode: 'shared', kept: { file } })
    // The answer came after the write: the file says it already.
    expect(await readFile(file, 'utf8')).toMatch(/^share-mode: shared$/m)
    // A mode alone is no change: nothing to say about the file.
    expect(validJson<Shared>('share', (await devq(['share', '--json', '--data-dir', dir])).stdout).kept).toBeUndefined()

    // Root writes any file whatever its mode, so the file becomes a directory: no user can write it.
    await rm(file)
    await mkdir(file)
    const lost = await devq(['share', 'idle', '--json', '--data-dir', dir])
    expect(lost.code).toBe(0)
    const answer = validJson<Shared>('share', lost.stdout)
    expect(answer).toMatchObject({ mode: 'idle', kept: { error: expect.stringContaining(file) as unknown } })
    expect(answer.kept!.error).toMatch(/not a regular file/)
    expect(lost.stderr).toBe(`${WARNING}${answer.kept!.error}\n`)

    const text = await devq(['share', 'dedicated', '--data-dir', dir])
    expect(text).toMatchObject({ code: 0, stdout: 'dedicated\n' })
    expect(text.stderr.startsWith(WARNING)).toBe(true)
    // The mode changed all the same.
    expect(await node.get('/v1/share')).toMatchObject({ mode: 'dedicated' })
  }, 60_000)
})
