/**
 * Keeps Node's TypeScript type stripper out of a running devq-node. Node strips the types of each
 * `.ts` module as it loads it, and the stripper (swc compiled to WebAssembly) then stays in memory
 * for the life of the process: about 16 MB of a node's resident memory, for work done once at
 * start. Loaded with `--import`, this module hands Node each `.ts` module already stripped, from a
 * cache keyed by the Node version and the module's bytes; only a module not cached yet is stripped
 * (by Node's own `stripTypeScriptTypes`, so the code is the same as Node would run) and written to
 * the cache. A cache that cannot be used safely is simply not used.
 *
 * Plain JavaScript on purpose: a `.ts` file here would load the stripper itself.
 *
 * Cache: `$DEVQ_TS_CACHE`, else `$CACHE_DIRECTORY/ts` (systemd's, the first when it lists several),
 * else `$XDG_CACHE_HOME/devq/ts`, else `~/.cache/devq/ts`; a directory of
 * this user's only (0700, created so), one `<sha256>.js` per module. `DEVQ_TS_CACHE=off` turns it off.
 */
import { createHash } from 'node:crypto'
import { lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import * as nodeModule from 'node:module'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Package type by directory, as the nearest package.json says: `module`, `commonjs`, or null when
 * it says neither (Node then looks at the syntax, and is left to load the file itself).
 */
const packageTypes = new Map()

function packageType (dir) {
  const known = packageTypes.get(dir)
  if (known !== undefined) return known
  let type
  try {
    const declared = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).type
    type = declared === 'module' || declared === 'commonjs' ? declared : null
  } catch {
    type = dirname(dir) === dir ? null : packageType(dirname(dir))
  }
  packageTypes.set(dir, type)
  return type
}

/** How Node would run the file at `path` once stripped; undefined when it is not TypeScript or that is not known. */
function formatOf (path) {
  if (path.endsWith('.mts')) return 'module'
  if (path.endsWith('.cts')) return 'commonjs'
  return path.endsWith('.ts') ? packageType(dirname(path)) ?? undefined : undefined
}

// Stripping is Node's own, marked experimental: one warning line per process would land in the
// node's JSON log on stderr.
const emitWarning = process.emitWarning
process.emitWarning = function (warning, ...rest) {
  if (String(warning).includes('stripTypeScriptTypes')) return
  return emitWarning.call(process, warning, ...rest)
}

/** The cache directory, or undefined when it is off or not this user's alone. */
function cacheDir () {
  const setting = process.env.DEVQ_TS_CACHE
  if (setting === 'off') return undefined
  const systemd = (process.env.CACHE_DIRECTORY || '').split(':')[0]
  const dir = setting !== undefined && setting !== '' ? setting : systemd !== '' ? join(systemd, 'ts') : join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'devq', 'ts')
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const info = lstatSync(dir)
    // Whoever may write here decides what this process runs.
    if (!info.isDirectory() || (info.mode & 0o022) !== 0 || (typeof process.getuid === 'function' && info.uid !== process.getuid())) return undefined
    return dir
  } catch {
    return undefined
  }
}

/** The stripped source of `source`, from the cache when it holds it. */
function stripped (dir, source) {
  const key = createHash('sha256').update(process.version).update('\0').update(source).digest('hex')
  const file = join(dir, `${key}.js`)
  try {
    return readFileSync(file, 'utf8')
  } catch {
    const js = nodeModule.stripTypeScriptTypes(source, { mode: 'strip' })
    try {
      const tmp = `${file}.${process.pid}.tmp`
      writeFileSync(tmp, js, { mode: 0o600 })
      renameSync(tmp, file)
    } catch {
      // A cache that cannot be written still leaves the module loaded.
    }
    return js
  }
}

// Both arrived in Node 22.15; an older Node strips as usual.
const supported = typeof nodeModule.registerHooks === 'function' && typeof nodeModule.stripTypeScriptTypes === 'function'
const dir = supported ? cacheDir() : undefined
if (dir !== undefined) {
  nodeModule.registerHooks({
    load (url, context, nextLoad) {
      // Node's own load of a .ts file strips it, which is what this avoids: read it here instead.
      const path = url.startsWith('file:') ? fileURLToPath(url) : undefined
      const format = path === undefined ? undefined : formatOf(path)
      if (format === undefined) return nextLoad(url, context)
      return { format, source: stripped(dir, readFileSync(path, 'utf8')), shortCircuit: true }
    }
  })
}
