/**
 * `node apps/desktop/scripts/ensure-renderer.ts`: builds the dashboard into dist/renderer when it is
 * missing or older than its sources, else does nothing. `npm start` and `npm run release` run it
 * (as a script: nothing outside apps/ imports apps/).
 */
import { buildRenderer, rendererStale, RENDERER_INDEX } from './renderer-build.ts'

if (rendererStale()) {
  process.stdout.write(`devq: building the dashboard (${RENDERER_INDEX} is missing or stale)\n`)
  await buildRenderer()
}
