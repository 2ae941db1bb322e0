/**
 * DevQ's version: the `version` of the root package.json, the one place it is written. A release
 * keeps the same layout (this file three levels below the package's package.json), so a clone and
 * an installed package read it alike.
 */
import { readFileSync } from 'node:fs'
import { z } from 'zod'

const PackageJson = z.object({ version: z.string().regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/) })

function readVersion (): string {
  const file = new URL('../../../package.json', import.meta.url)
  return PackageJson.parse(JSON.parse(readFileSync(file, 'utf8'))).version
}

/** This DevQ's version (semver), as `devq --version`, `devq-node --version` and presence report it. */
export const DEVQ_VERSION: string = readVersion()
