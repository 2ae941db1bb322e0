/**
 * `npm run release [-- --out DIR]`: builds `dist/devq-<version>.tgz`, one npm package `devq` that
 * `npm install -g` turns into the `devq` and `devq-node` commands on any machine with Node 22.12+.
 *
 * Node strips TypeScript types only outside node_modules, so an installed package must be
 * JavaScript: tsc compiles the four workspace packages (imports `./x.ts` become `./x.js`) into the
 * same layout as the repository (`packages/<name>/src`), `@devq/*` imports become relative paths,
 * and the workspaces' third-party dependencies become the package's own (see release-parts.ts).
 * The bins are small plain-JavaScript launchers that check the Node version first. The built web
 * dashboard goes at the place it has in the repository (`apps/desktop/dist/renderer`), where
 * devq-node looks for it; it is built first when it is missing or stale.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launcher, minimumNode, releaseManifest, rewriteImports, workspaceEntries } from './release-parts.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Compiles the workspace packages into `stage` and makes their imports point inside it. */
function compile (root: string, stage: string, deps: Record<string, string>): void {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'scripts', 'release.tsconfig.json'), '--outDir', stage], { stdio: 'inherit' })
  const entries = workspaceEntries(root, stage)
  for (const rel of readdirSync(stage, { recursive: true, encoding: 'utf8' })) {
    if (!rel.endsWith('.js')) continue
    const file = join(stage, rel)
    writeFileSync(file, rewriteImports(readFileSync(file, 'utf8'), file, entries, deps))
  }
}

/** Writes the launchers `bin/devq.js` and `bin/devq-node.js`, with the workspace bins' shebangs. */
function writeLaunchers (root: string, stage: string): void {
  const min = minimumNode(root)
  mkdirSync(join(stage, 'bin'), { recursive: true })
  for (const name of ['devq', 'devq-node']) {
    const shebang = readFileSync(join(root, 'packages', 'node', 'bin', `${name}.ts`), 'utf8').split('\n')[0]!
    if (!shebang.startsWith('#!')) throw new Error(`packages/node/bin/${name}.ts has no shebang line`)
    const file = join(stage, 'bin', `${name}.js`)
    writeFileSync(file, launcher(name, shebang, `../packages/node/bin/${name}.js`, min))
    chmodSync(file, 0o755)
  }
}

/** The dashboard where it is in the repository, built first when stale (by running its script: scripts never import apps/). */
function copyDashboard (root: string, stage: string): void {
  execFileSync(process.execPath, [join(root, 'apps', 'desktop', 'scripts', 'ensure-renderer.ts')], { stdio: 'inherit' })
  const built = join(root, 'apps', 'desktop', 'dist', 'renderer')
  if (!existsSync(join(built, 'index.html'))) throw new Error(`${built} has no index.html after the dashboard's build`)
  cpSync(built, join(stage, 'apps', 'desktop', 'dist', 'renderer'), { recursive: true })
}

/**
 * Builds the release tarball into `outDir` (default `dist/`) and returns its path. Runs tsc, the
 * dashboard's build when it is stale, and `npm pack`; takes about half a minute on two cores.
 */
export function buildRelease (outDir: string = join(ROOT, 'dist'), root: string = ROOT): string {
  const stage = join(outDir, 'stage')
  rmSync(stage, { recursive: true, force: true })
  mkdirSync(stage, { recursive: true })
  try {
    const manifest = releaseManifest(root)
    compile(root, stage, manifest.dependencies as Record<string, string>)
    writeLaunchers(root, stage)
    copyDashboard(root, stage)
    writeFileSync(join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n')
    copyFileSync(join(root, 'packages', 'node', 'README.md'), join(stage, 'README.md'))
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], { cwd: stage, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    const [packed] = JSON.parse(out) as { filename: string }[]
    return join(outDir, packed!.filename)
  } finally {
    rmSync(stage, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out')
  const tarball = buildRelease(at === -1 ? undefined : resolve(process.argv[at + 1] ?? 'dist'))
  console.log(`${tarball}\ninstall it with: npm install -g ${tarball}`)
}
