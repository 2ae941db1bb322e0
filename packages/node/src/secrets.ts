import { chmod, mkdir, readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { SecretError } from './errors.ts'
import { dataPath } from './paths.ts'
import { writePrivateFile } from './private-file.ts'

/** Largest secret value, in bytes. */
export const MAX_SECRET_BYTES = 64 * 1024
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

const secretsDir = (dataDir: string): string => dataPath(dataDir, 'secrets')

function checkName (name: string): void {
  if (!NAME.test(name) || name.length > 128) throw new SecretError(`secret name ${JSON.stringify(name)} must look like an env var name (A-Z, 0-9, _)`, { name, detail: 'bad name' })
  if (name.startsWith('DEVQ_')) throw new SecretError(`secret names starting with DEVQ_ are reserved: ${name}`, { name, detail: 'reserved' })
}

/**
 * Stores a secret for jobs this peer announces: `<dataDir>/secrets/<NAME>`, mode 0600 in a 0700
 * directory. Values never enter the ledger; they go only to the awarded runner of a sensitive job.
 */
export async function setSecret (dataDir: string, name: string, value: string): Promise<void> {
  checkName(name)
  if (Buffer.byteLength(value) > MAX_SECRET_BYTES) throw new SecretError(`secret ${name} is over ${MAX_SECRET_BYTES} bytes`, { name, detail: 'too large' })
  if (value.length === 0) throw new SecretError(`secret ${name} is empty`, { name, detail: 'empty' })
  const dir = secretsDir(dataDir)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
  await writePrivateFile(join(dir, name), value)
}

/** Names of the stored secrets. */
export async function listSecrets (dataDir: string): Promise<string[]> {
  try {
    return (await readdir(secretsDir(dataDir))).filter((n) => NAME.test(n)).sort()
  } catch {
    return []
  }
}

/**
 * The values of `names`: from the secret store, else from this process's environment (a node
 * started with `MY_TOKEN=... devq-node` serves MY_TOKEN). Throws SecretError naming the first
 * secret it has no value for, so the job fails with a clear cause instead of running without it.
 */
export async function readSecrets (dataDir: string, names: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of names) {
    checkName(name)
    let value: string | undefined
    try {
      const bytes = await readFile(join(secretsDir(dataDir), name))
      if (bytes.length <= MAX_SECRET_BYTES) value = bytes.toString('utf8')
    } catch { /* not stored: try the environment */ }
    value ??= env[name]
    if (value === undefined || value.length === 0) throw new SecretError(`no value for secret ${name}: run devq secret set ${name} on the peer that announces the job, or start its node with ${name} in the environment`, { name, detail: 'missing' })
    out[name] = value
  }
  return out
}
