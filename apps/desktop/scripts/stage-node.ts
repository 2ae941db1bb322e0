/**
 * `npm run stage:node -w @devq/desktop` (part of `npm run dist`): builds the compiled `devq`
 * release (the repository's `npm run release`) and installs it, with its production dependencies,
 * into build/devq-node. electron-builder ships that directory as the app's resources/devq-node,
 * from where main loads @devq/node and launches devq-node (src/main/devq-node-package.ts): a
 * packaged app cannot run the workspace's TypeScript. Needs the npm registry.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const APP = fileURLToPath(new URL('..', import.meta.url))
const ROOT = join(APP, '..', '..')
const BUILD = join(APP, 'build')
const STAGE = join(BUILD, 'devq-node')

rmSync(BUILD, { recursive: true, force: true })
mkdirSync(STAGE, { recursive: true })
// The release script prints the tarball's path on its first line.
const printed = execFileSync(process.execPath, [join(ROOT, 'scripts', 'release.ts'), '--out', join(BUILD, 'release')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
const tarball = printed.split('\n')[0]!.trim()
execFileSync('npm', ['install', '--prefix', STAGE, '--omit=dev', '--no-save', '--no-audit', '--no-fund', '--install-links', tarball], { stdio: 'inherit' })
console.log(`devq-node staged in ${STAGE}`)
