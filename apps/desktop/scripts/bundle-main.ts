/**
 * Bundles the Electron main process and the preload with rolldown (vite's bundler, already
 * installed): dist/main/electron.js (ESM) and dist/preload/preload.cjs (one CommonJS file: a
 * sandboxed preload can only `require('electron')`). @devq/node stays outside the main bundle: main
 * loads it at run time, from the workspace or, packaged, from the staged release
 * (src/main/devq-node-package.ts), and devq-node runs from beside its modules.
 * Run by `npm run dist` after the renderer's build.
 */
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'rolldown'

const APP = fileURLToPath(new URL('..', import.meta.url))
const at = (path: string): string => join(APP, path)

/** Builds both bundles into `outDir` (default dist/); rejects on the first error. */
export async function bundleMain (outDir = at('dist')): Promise<void> {
  await build({
    input: at('src/main/electron.ts'),
    platform: 'node',
    external: [/^electron$/, /^@devq\/node$/, /^node:/],
    output: { file: join(outDir, 'main', 'electron.js'), format: 'esm', sourcemap: true },
    logLevel: 'warn'
  })
  await build({
    input: at('src/preload/index.ts'),
    platform: 'node',
    external: [/^electron$/],
    output: { file: join(outDir, 'preload', 'preload.cjs'), format: 'cjs' },
    logLevel: 'warn'
  })
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await bundleMain()
  console.log(`main and preload bundled into ${at('dist')}`)
}
