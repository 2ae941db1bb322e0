/** How `devq` words its refusals and counts, as a user reads them (real processes: the CLI, and one node). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, startNode, tempDataDir, type NodeProc } from './harness.ts'
import { devq } from './cli-run.ts'

let node: NodeProc
let dir: string
beforeAll(async () => {
  dir = await tempDataDir('cli-messages')
  node = await startNode(dir, ['--slots', '0'])
})
afterAll(async () => {
  await node?.stop()
  await removeDir(dir)
})

describe('devq messages', () => {
  it('prints a usage error of the command line as devq: <message> and exits 2', async () => {
    const mode = await devq(['share', 'bogus', '--data-dir', dir])
    expect(mode).toMatchObject({ code: 2, stdout: '' })
    expect(mode.stderr).toBe('devq: command-argument value \'bogus\' is invalid for argument \'mode\'. Allowed choices are off, idle, shared, dedicated.\n')
    expect(await devq(['status', '--bogus'])).toMatchObject({ code: 2, stderr: 'devq: unknown option \'--bogus\'\n' })
    expect((await devq(['stauts'])).stderr).toMatch(/^devq: unknown command 'stauts'\n/)
  })

  it('says a malformed digest is no digest, before it asks the node', async () => {
    for (const args of [['provenance', 'sha256:abc'], ['pull', 'SHA256:abc'], ['verify', import.meta.filename, '--job', 'sha256:abc']]) {
      const typed = args.find((a) => /^sha256:/i.test(a))!
      expect(await devq([...args, '--data-dir', dir]), args.join(' ')).toMatchObject({ code: 2, stderr: `devq: "${typed}" is not a digest: expected sha256: and 64 hex digits\n` })
    }
  })

  it('says a short word that names nothing is no job or run id, and what one looks like', async () => {
    for (const word of ['bad', 'abc']) {
      const r = await devq(['retry', word, '--data-dir', dir])
      expect(r.code).toBe(2)
      expect(r.stderr).toBe(`devq: "${word}" is not a job or run id, nor a pipeline job's name: an id is 64 hex digits (give at least the first 4), as devq jobs and devq runs list them\n`)
    }
    const none = await devq(['retry', 'nosuchjob', '--data-dir', dir])
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/^devq: no job or run matches "nosuchjob": give a job or run id \(64 hex digits, or the first 4 or more of them\)/)
  })

  it('status counts the other peers and says so; team list counts this peer among the live', async () => {
    const status = await devq(['status', '--no-color', '--data-dir', dir])
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/^other peers: 0 live, 0 offline$/m)
    const team = await devq(['team', 'list', '--data-dir', dir])
    expect(team.stdout).toMatch(/: 1 member\(s\), 1 live \(this peer among them\)\n/)
  })
})
