/**
 * The npm hooks that run before `npm start`, `npm test`, `npm run bench` and `npm run demo` run
 * on the machine's own Node: on a fresh clone, npm's shell finds no node_modules/.bin/node until
 * ensure-deps.mjs has installed it, and the shell keeps the `node` it found for the whole hook.
 * That Node may be older than 22 and run no TypeScript, so a hook may start nothing but plain
 * JavaScript.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** A `node` that runs plain JavaScript with this Node and refuses TypeScript as Node 20 does. */
const OLD_NODE = `#!/bin/sh
for arg in "$@"; do
  case "$arg" in
    *.ts) echo "TypeError [ERR_UNKNOWN_FILE_EXTENSION]: Unknown file extension \\".ts\\" for $arg" >&2; exit 1 ;;
  esac
done
exec "${process.execPath}" "$@"
`

describe('npm hooks before the scripts', () => {
  let shims: string
  beforeAll(async () => {
    shims = await mkdtemp(join(tmpdir(), 'devq-old-node-'))
    await writeFile(join(shims, 'node'), OLD_NODE)
    await chmod(join(shims, 'node'), 0o755)
  })
  afterAll(async () => { await rm(shims, { recursive: true, force: true }) })

  it('run on a Node that cannot run TypeScript, as on a fresh clone', async () => {
    const scripts = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
    const hooks = Object.entries(scripts).filter(([name]) => /^pre(start|test|bench|demo)$/.test(name))
    expect(hooks.map(([name]) => name).sort()).toEqual(['prebench', 'predemo', 'prestart', 'pretest'])
    // The machine's PATH without this checkout's node_modules/.bin, with the old Node first.
    const path = [shims, ...(process.env.PATH ?? '').split(delimiter).filter((d) => !d.includes('node_modules'))].join(delimiter)
    for (const [name, command] of hooks) {
      const r = await execa('sh', ['-c', command], { cwd: ROOT, env: { PATH: path }, extendEnv: false, reject: false })
      expect({ name, exitCode: r.exitCode, stderr: r.stderr }).toEqual({ name, exitCode: 0, stderr: '' })
    }
  })
})
