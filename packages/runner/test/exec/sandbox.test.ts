import { afterAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import fc from 'fast-check'
import { checkSandboxSpec, detectSandbox, sandboxArgs, type SandboxSpec } from '../../src/exec/sandbox.ts'
import { containmentFor, stepRunner, tempDirs } from './helpers.ts'
import { settleStepCgroups } from '../../src/exec/index.ts'

afterAll(async () => { await settleStepCgroups() })

const dirs = tempDirs()
afterAll(async () => { await dirs.cleanup() })

/** Sandbox dirs under `base`; outside /tmp, the dirs' parent is a host path the step must not write. */
async function sandboxDirs (base?: string): Promise<SandboxSpec & { root: string }> {
  const root = await dirs.make('sandbox', base)
  const spec = { root, workspace: join(root, 'ws'), tmp: join(root, 'tmp'), network: false, writable: [join(root, 'needs')], readOnly: [join(root, 'ws', 'ro')] }
  for (const dir of [spec.workspace, spec.tmp, ...spec.writable, ...spec.readOnly]) await mkdir(dir, { recursive: true })
  return spec
}

/** A TCP server on the host's loopback that counts the connections it accepts. */
async function countingServer (): Promise<{ port: number, accepted: () => number, close: () => Promise<void> }> {
  let accepted = 0
  const server = createServer((socket) => { accepted++; socket.end('hello\n') })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    accepted: () => accepted,
    close: async () => { await new Promise<void>((resolve) => server.close(() => { resolve() })) }
  }
}

describe('detectSandbox', () => {
  it('reports bubblewrap here, skips the probe when off, and names why when required but missing', async () => {
    expect(await detectSandbox('off')).toMatchObject({ available: false })
    expect(await detectSandbox('auto', { bwrap: '/nonexistent/bwrap' })).toMatchObject({ available: false, reason: expect.stringContaining('/nonexistent/bwrap') })
    await expect(detectSandbox('on', { bwrap: '/nonexistent/bwrap' })).rejects.toMatchObject({ name: 'SandboxError', data: { detail: expect.stringContaining('not installed') } })
    const here = await detectSandbox('auto')
    if (here.available) expect(await detectSandbox('on')).toEqual({ available: true })
  })

  it('refuses relative paths and missing directories with a SandboxError', async () => {
    const spec = await sandboxDirs()
    await expect(checkSandboxSpec({ ...spec, workspace: 'ws' })).rejects.toMatchObject({ name: 'SandboxError', data: { detail: expect.stringContaining('workspace') } })
    await expect(checkSandboxSpec({ ...spec, writable: [join(spec.root, 'missing')] })).rejects.toMatchObject({ name: 'SandboxError' })
    await expect(checkSandboxSpec(spec)).resolves.toBeUndefined()
  })

  it('builds bwrap arguments that keep every promise for any spec', () => {
    const path = fc.array(fc.stringMatching(/^[a-z0-9._-]{1,8}$/), { minLength: 1, maxLength: 4 }).map((parts) => '/' + parts.join('/'))
    fc.assert(fc.property(path, path, fc.boolean(), fc.array(path, { maxLength: 3 }), fc.array(path, { maxLength: 3 }), (workspace, tmp, network, writable, readOnly) => {
      const args = sandboxArgs({ workspace, tmp, network, writable, readOnly })
      const at = (...seq: string[]): number => args.findIndex((_a, i) => seq.every((s, j) => args[i + j] === s))
      expect(args).not.toContain('--new-session')
      expect(args).toContain('--unshare-pid')
      expect(args).toContain('--die-with-parent')
      expect(args.includes('--unshare-net')).toBe(!network)
      expect(at('--ro-bind', '/', '/')).toBe(0)
      expect(at('--bind', tmp, '/tmp')).toBeLessThan(at('--bind', workspace, workspace))
      for (const dir of readOnly) expect(at('--ro-bind', dir, dir)).toBeGreaterThan(at('--bind', workspace, workspace))
      expect(args.slice(-2)).toEqual(['--chdir', workspace])
    }))
  })
})

describe('a sandboxed step', async () => {
  const containment = await containmentFor('cookie')
  const run = containment?.bwrap == null ? null : stepRunner(containment)

  it('can write its workspace, tmp, HOME and extra dirs, and nothing else', async () => {
    const spec = await sandboxDirs('/var/tmp')
    const script = [
      'echo built > out.txt',
      'echo scratch > /tmp/scratch.txt',
      'touch "$HOME/.rc"',
      `touch ${spec.writable![0]}/got`,
      `touch / 2>/dev/null && echo root-writable`,
      `touch /usr/devq-escape 2>/dev/null && echo usr-writable`,
      `touch ${spec.root}/escape 2>/dev/null && echo parent-writable`,
      `touch ${spec.readOnly![0]}/x 2>/dev/null && echo ro-writable`,
      'mount -o remount,rw / 2>/dev/null && echo remounted',
      'echo "cwd=$PWD home=$HOME"'
    ].join('\n')
    const result = await run!({ script, cwd: spec.workspace, sandbox: spec })
    expect(result).toMatchObject({ outcome: 'succeeded', output: `cwd=${spec.workspace} home=/tmp/home\n` })
    expect(await readFile(join(spec.workspace, 'out.txt'), 'utf8')).toBe('built\n')
    expect(await readFile(join(spec.tmp, 'scratch.txt'), 'utf8')).toBe('scratch\n')
    expect(existsSync(join(spec.tmp, 'home', '.rc'))).toBe(true)
    expect(existsSync(join(spec.writable![0]!, 'got'))).toBe(true)
    expect(existsSync(join(spec.root, 'escape'))).toBe(false)
    expect(existsSync('/usr/devq-escape')).toBe(false)
  })

  it('fails a write outside its writable dirs', async () => {
    const spec = await sandboxDirs()
    const result = await run!({ script: 'echo x > /etc/devq-escape', cwd: spec.workspace, sandbox: spec })
    expect(result.outcome).toBe('failed')
    expect(result.output).toMatch(/Read-only file system/)
    expect(existsSync('/etc/devq-escape')).toBe(false)
  })

  it('has no network without network, not even the host loopback; has it with network', async () => {
    const spec = await sandboxDirs()
    const server = await countingServer()
    try {
      const dial = `exec 3<>/dev/tcp/127.0.0.1/${server.port}; head -n 1 <&3`
      const cut = await run!({ script: dial, cwd: spec.workspace, sandbox: { ...spec, network: false } })
      expect(cut.outcome).toBe('failed')
      expect(server.accepted()).toBe(0)
      const open = await run!({ script: dial, cwd: spec.workspace, sandbox: { ...spec, network: true } })
      expect(open).toMatchObject({ outcome: 'succeeded', output: 'hello\n' })
      expect(server.accepted()).toBe(1)
    } finally {
      await server.close()
    }
  })
})
