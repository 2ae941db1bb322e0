#!/usr/bin/env node
// Runs before `npm start`, `npm test` and `npm run bench`, possibly on the machine's own older Node:
// plain ESM JavaScript, no dependencies. Installs when node_modules is missing or older than the lock.
import { existsSync, statSync } from 'node:fs'
import { execSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const lock = join(root, 'package-lock.json')
const marker = join(root, 'node_modules', '.package-lock.json')
const nodeBin = join(root, 'node_modules', '.bin', 'node')

function stale () {
  if (!existsSync(marker) || !existsSync(nodeBin)) return 'node_modules is missing'
  if (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs) return 'package-lock.json is newer than node_modules'
  return null
}

const reason = stale()
if (reason !== null) {
  const cmd = existsSync(lock) ? 'npm ci' : 'npm install'
  process.stdout.write(`devq: ${reason}; running ${cmd}\n`)
  execSync(cmd, { cwd: root, stdio: 'inherit' })
}
