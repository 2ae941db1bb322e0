/** Builds the dashboard once before the test run when its sources are newer than the build. */
import { rendererStale, buildRenderer } from '../scripts/renderer-build.ts'

export default async function setup (): Promise<void> {
  if (rendererStale()) await buildRenderer()
}
