/**
 * The parts of a release that are worked out rather than copied: the package manifest (its
 * dependencies are the third-party dependencies of the four workspace packages, pinned to the
 * versions package-lock.json resolved, the ones the tests ran with), the bin launchers, and the
 * rewrite of `@devq/*` imports into paths inside the one package.
 */
import { readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative } from 'node:path'

/** The workspace packages a release carries, by directory under packages/. */
export const WORKSPACES = ['core', 'p2p', 'runner', 'node'] as const

interface Manifest {
  name: string
  version: string
  description?: string
  license?: string
  engines?: { node?: string }
  exports?: Record<string, string> | string
  dependencies?: Record<string, string>
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T

/** The lowest Node `major.minor` that `>=X.Y` in the root package.json's `engines.node` allows. */
export function minimumNode (root: string): { major: number, minor: number } {
  const range = readJson<Manifest>(join(root, 'package.json')).engines?.node ?? ''
  const m = /^>=\s*(\d+)(?:\.(\d+))?/.exec(range)
  if (m === null) throw new Error(`engines.node in package.json must read >=X.Y, not ${JSON.stringify(range)}`)
  return { major: Number(m[1]), minor: Number(m[2] ?? 0) }
}

/**
 * Third-party dependencies of the workspace packages, each pinned to the one version the lock
 * file installed for all of them. Throws when a workspace has its own nested copy of a
 * dependency (two versions cannot both be the release's).
 */
export function thirdPartyDependencies (root: string): Record<string, string> {
  const lock = readJson<{ packages: Record<string, { version?: string, link?: boolean }> }>(join(root, 'package-lock.json')).packages
  const deps: Record<string, string> = {}
  for (const ws of WORKSPACES) {
    for (const name of Object.keys(readJson<Manifest>(join(root, 'packages', ws, 'package.json')).dependencies ?? {})) {
      if (name.startsWith('@devq/')) continue
      if (lock[`packages/${ws}/node_modules/${name}`] !== undefined) throw new Error(`packages/${ws} has its own copy of ${name}: align its range with the other packages first`)
      const version = lock[`node_modules/${name}`]?.version
      if (version === undefined) throw new Error(`package-lock.json has no node_modules/${name}: run npm install`)
      deps[name] = version
    }
  }
  return Object.fromEntries(Object.entries(deps).sort(([a], [b]) => a.localeCompare(b)))
}

/** The release's package.json: name, version and engines from the root package.json. */
export function releaseManifest (root: string): Record<string, unknown> {
  const top = readJson<Manifest>(join(root, 'package.json'))
  return {
    name: top.name,
    version: top.version,
    description: top.description,
    license: top.license,
    type: 'module',
    engines: top.engines,
    bin: { devq: 'bin/devq.js', 'devq-node': 'bin/devq-node.js' },
    dependencies: thirdPartyDependencies(root)
  }
}

/**
 * A bin launcher: plain JavaScript any Node parses (no syntax newer than ES2017 before the
 * check), so an old Node prints which version it needs and exits 1 instead of a syntax error.
 * `shebang` is the workspace bin's own first line, so both run Node with the same flags.
 */
export function launcher (name: string, shebang: string, target: string, min: { major: number, minor: number }): string {
  return `${shebang}
// Checks the Node version before loading anything that needs a newer one.
var parts = process.versions.node.split('.').map(Number)
if (parts[0] < ${min.major} || (parts[0] === ${min.major} && parts[1] < ${min.minor})) {
  process.stderr.write('${name} needs Node.js ${min.major}.${min.minor} or newer; this is ' + process.version + '\\n')
  process.exit(1)
}
import(${JSON.stringify(target)}).catch(function (err) {
  process.stderr.write('${name}: cannot load: ' + (err && err.message) + '\\n')
  process.exit(2)
})
`
}

/**
 * Module specifiers in tsc's output: import and export statements (each starts a line there),
 * side-effect imports and dynamic `import('...')`.
 */
const SPECIFIER = /(^(?:import|export)\b[^;'"]*?\bfrom\s*|^import\s*|\bimport\s*\(\s*)(['"])([^'"\n]+)\2/gm

/** Where each `@devq/...` specifier points in the staged tree, from the workspaces' `exports`. */
export function workspaceEntries (root: string, stage: string): Map<string, string> {
  const entries = new Map<string, string>()
  for (const ws of WORKSPACES) {
    const manifest = readJson<Manifest>(join(root, 'packages', ws, 'package.json'))
    const exports = typeof manifest.exports === 'string' ? { '.': manifest.exports } : manifest.exports ?? {}
    for (const [sub, file] of Object.entries(exports)) {
      entries.set(manifest.name + sub.slice(1), join(stage, 'packages', ws, file.replace(/\.ts$/, '.js')))
    }
  }
  return entries
}

/**
 * `text` of the staged module `file` with every `@devq/...` import made relative; throws on a
 * bare import that is neither a Node built-in nor one of `deps`.
 */
export function rewriteImports (text: string, file: string, entries: Map<string, string>, deps: Record<string, string>): string {
  return text.replace(SPECIFIER, (whole, lead: string, quote: string, spec: string) => {
    const target = entries.get(spec)
    if (target !== undefined) {
      const rel = relative(dirname(file), target)
      return `${lead}${quote}${rel.startsWith('.') ? rel : './' + rel}${quote}`
    }
    if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) return whole
    const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!
    if (deps[pkg] === undefined) throw new Error(`${file} imports ${spec}, which no workspace package declares as a dependency`)
    return whole
  })
}
