/**
 * Where main gets @devq/node. Run from the repository, it is the workspace package (TypeScript,
 * which Node strips). A packaged app cannot use that: Node strips no types inside node_modules or
 * an asar archive. It ships the compiled `devq` release instead (`npm run dist` stages it into the
 * app's resources, scripts/stage-node.ts), and main loads the same functions from there.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as DevqNode from '@devq/node'

/** The @devq/node module as main uses it. */
export type DevqNodePackage = typeof DevqNode

/** Where the staged release sits in the packaged app's resources directory. */
export const STAGED_RELEASE = join('devq-node', 'node_modules', 'devq')

/**
 * @devq/node from the installed release at `releaseDir` (a directory holding the `devq` package,
 * as `npm install devq-<version>.tgz` leaves it), or the workspace package when it is undefined.
 */
export async function loadDevqNode (releaseDir?: string): Promise<DevqNodePackage> {
  if (releaseDir === undefined) return await import('@devq/node')
  return await import(pathToFileURL(join(releaseDir, 'packages', 'node', 'src', 'index.js')).href) as DevqNodePackage
}
