import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createInlineVerifier, signatureBytes } from '../../src/index.ts'
import { allEvents, openLedger, useTempLedgerPath } from './helpers.ts'

const CHILD = fileURLToPath(new URL('./fixtures/ingest-child.ts', import.meta.url))

/** Runs the child until it has reported `atLeast` committed events, then SIGKILLs it. Returns the last count it reported. */
async function ingestAndKill (path: string, atLeast: number): Promise<{ reported: number, total: number }> {
  const child = spawn(process.execPath, [CHILD, path, '6', '700', '150'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => { resolve(signal ?? code) }))
  let reported = 0
  let total = 0
  for await (const line of createInterface({ input: child.stdout })) {
    const [word, n] = line.split(' ')
    if (word === 'ready') total = Number(n)
    if (word === 'progress') reported = Number(n)
    if (word === 'done') throw new Error('the child finished before it was killed')
    if (reported >= atLeast) {
      child.kill('SIGKILL')
      break
    }
  }
  const how = await exited
  if (how !== 'SIGKILL') throw new Error(`child exited with ${String(how)}: ${stderr}`)
  return { reported, total }
}

describe('ledger durability', () => {
  const dbPath = useTempLedgerPath()

  it('a process killed mid-ingest leaves a prefix-closed, valid ledger holding every acknowledged batch', async () => {
    const path = dbPath()
    const { reported, total } = await ingestAndKill(path, 600)
    const { ledger } = await openLedger(path)
    const events = await allEvents(ledger)
    expect(events.length).toBe(ledger.size())
    expect(events.length).toBeGreaterThanOrEqual(reported)
    expect(events.length).toBeLessThan(total)
    const byAuthor = new Map<string, typeof events>()
    for (const ev of events) byAuthor.set(ev.event.author, [...(byAuthor.get(ev.event.author) ?? []), ev])
    expect(byAuthor.size).toBe(6)
    for (const [author, chain] of byAuthor) {
      expect(chain.map((e) => e.event.seq)).toEqual(chain.map((_, i) => i + 1))
      chain.forEach((ev, i) => { expect(ev.event.prev).toBe(i === 0 ? null : chain[i - 1]!.id) })
      expect(ledger.versionVector()[author]).toBe(chain.length)
    }
    const ok = await createInlineVerifier().verifyBatch(events.map((ev) => ({ author: ev.event.author, message: ev.signed, signature: signatureBytes(ev.event) })))
    expect(ok.every(Boolean)).toBe(true)
    await ledger.close()
  }, 120_000)
})
