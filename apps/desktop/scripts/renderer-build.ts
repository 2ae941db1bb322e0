/**
 * Whether dist/renderer is older than the renderer's sources, and the build that renews it. Used
 * before tests, benches and `npm start`, so the dashboard a node serves is never stale.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const APP = fileURLToPath(new URL('..', import.meta.url))
const SOURCES = [join(APP, 'src', 'renderer'), join(APP, 'vite.config.ts'), join(APP, 'package.json')]
/** The built dashboard's entry page. */
export const RENDERER_INDEX = join(APP, 'dist', 'renderer', 'index.html')

function newestMtime (path: string): number {
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let newest = st.mtimeMs
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)))
  return newest
}

/** True when dist/renderer is missing or older than a source file. */
export function rendererStale (): boolean {
  if (!existsSync(RENDERER_INDEX)) return true
  const built = statSync(RENDERER_INDEX).mtimeMs
  return SOURCES.some((s) => existsSync(s) && newestMtime(s) > built)
}

/** Builds the renderer with Vite into dist/renderer. */
export async function buildRenderer (): Promise<void> {
  const { build } = await import('vite')
  // Vite builds for the NODE_ENV it finds, and test runners set `test`: React's development build
  // would be what the node serves.
  const before = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await build({ configFile: join(APP, 'vite.config.ts'), logLevel: 'warn', mode: 'production' })
  } finally {
    if (before === undefined) delete process.env.NODE_ENV
    else process.env.NODE_ENV = before
  }
}
