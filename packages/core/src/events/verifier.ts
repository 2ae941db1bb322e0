import { verify, type KeyObject } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import { keyObjectFromPeerId } from './peer-id.ts'
import type { Verifier, VerifyItem } from '../ports.ts'

/** Caches public KeyObjects per author: a team has few authors and parsing a key costs more than a verify. */
export class KeyCache {
  private readonly keys = new Map<string, KeyObject | null>()

  get (peerId: string): KeyObject | undefined {
    let key = this.keys.get(peerId)
    if (key === undefined) {
      key = keyObjectFromPeerId(peerId) ?? null
      if (this.keys.size > 10_000) this.keys.clear()
      this.keys.set(peerId, key)
    }
    return key ?? undefined
  }
}

/** Verifies one signature against the key embedded in the author's peer id. */
export function verifyOne (cache: KeyCache, item: VerifyItem): boolean {
  const key = cache.get(item.author)
  if (key === undefined || item.signature.length !== 64) return false
  try {
    return verify(null, item.message, key, item.signature)
  } catch {
    return false
  }
}

/** Verifies on the calling thread. Simple and enough for small batches and tests. */
export function createInlineVerifier (): Verifier {
  const cache = new KeyCache()
  return { verifyBatch: async (items) => items.map((item) => verifyOne(cache, item)) }
}

/** Options of `createWorkerVerifier`. */
export interface WorkerVerifierInit {
  /** Worker threads to spread each batch over. Default 2. */
  threads?: number
  /** Batches smaller than this verify on the calling thread, where posting to a worker would cost more. Default 64. */
  inlineBelow?: number
  /**
   * Workers left without work this long (ms) are ended; the next large batch starts them again.
   * Each holds a V8 isolate of several MB, which an idle node (whose batches are a heartbeat's one
   * signature) need not keep. Default 30 s.
   */
  idleMs?: number
}

/** A Verifier backed by worker threads. `close()` terminates them; verifying after close runs inline. */
export interface WorkerVerifier extends Verifier {
  close(): Promise<void>
}

/** One slice of a batch, packed into a single transferable buffer: messages, then 64-byte signatures. */
export interface VerifyRequest {
  id: number
  authors: string[]
  /** Message i is `data[offsets[i], offsets[i+1])`; signature i is the 64 bytes at `offsets[n] + 64 * i`. */
  data: Uint8Array<ArrayBuffer>
  offsets: Uint32Array<ArrayBuffer>
}

export interface VerifyResponse {
  id: number
  /** 1 where the signature verified. */
  ok: Uint8Array<ArrayBuffer>
}

function pack (id: number, items: readonly VerifyItem[]): VerifyRequest {
  const offsets = new Uint32Array(items.length + 1)
  let size = 0
  items.forEach((item, i) => {
    offsets[i] = size
    size += item.message.length
  })
  offsets[items.length] = size
  const data = new Uint8Array(size + 64 * items.length)
  items.forEach((item, i) => {
    data.set(item.message, offsets[i])
    // A wrong-length signature stays zero, which never verifies.
    if (item.signature.length === 64) data.set(item.signature, size + 64 * i)
  })
  return { id, authors: items.map((item) => item.author), data, offsets }
}

/** Verifies one packed request; runs inside the worker. */
export function verifyPacked (cache: KeyCache, req: VerifyRequest): Uint8Array<ArrayBuffer> {
  const n = req.authors.length
  const base = req.offsets[n] ?? 0
  const ok = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const message = req.data.subarray(req.offsets[i], req.offsets[i + 1])
    const signature = req.data.subarray(base + 64 * i, base + 64 * (i + 1))
    ok[i] = verifyOne(cache, { author: req.authors[i] ?? '', message, signature }) ? 1 : 0
  }
  return ok
}

interface Pending {
  items: readonly VerifyItem[]
  resolve: (ok: boolean[]) => void
}

/** One worker. It holds the process open only while it has work. */
class VerifyThread {
  private readonly worker: Worker
  private readonly pending = new Map<number, Pending>()
  private readonly fallback: KeyCache
  private nextId = 0
  dead = false

  constructor (fallback: KeyCache) {
    this.fallback = fallback
    // An installed release runs compiled modules: the worker beside this one has the same extension.
    this.worker = new Worker(new URL(import.meta.url.endsWith('.ts') ? './verify-worker.ts' : './verify-worker.js', import.meta.url))
    this.worker.unref()
    this.worker.on('message', (res: VerifyResponse) => {
      const job = this.pending.get(res.id)
      if (job === undefined) return
      this.settle(res.id)
      job.resolve(Array.from(res.ok, (b) => b === 1))
    })
    // A crashed worker's slices are verified inline rather than lost.
    const die = (): void => {
      this.dead = true
      for (const [id, job] of this.pending) {
        this.settle(id)
        job.resolve(job.items.map((item) => verifyOne(this.fallback, item)))
      }
    }
    this.worker.on('error', die)
    this.worker.on('exit', die)
  }

  verify (items: readonly VerifyItem[]): Promise<boolean[]> {
    if (this.dead) return Promise.resolve(items.map((item) => verifyOne(this.fallback, item)))
    const id = this.nextId++
    const req = pack(id, items)
    return new Promise((resolve) => {
      if (this.pending.size === 0) this.worker.ref()
      this.pending.set(id, { items, resolve })
      this.worker.postMessage(req, [req.data.buffer, req.offsets.buffer])
    })
  }

  private settle (id: number): void {
    this.pending.delete(id)
    if (this.pending.size === 0) this.worker.unref()
  }

  async terminate (): Promise<void> {
    await this.worker.terminate()
  }
}

/**
 * Verifies on worker threads (node:worker_threads, one KeyCache per thread): each batch is split
 * evenly over the threads so the calling thread stays free to decode and write. Workers start on
 * the first large batch, do not keep the process alive when idle, and end after `idleMs` without
 * work.
 */
export function createWorkerVerifier (init: WorkerVerifierInit = {}): WorkerVerifier {
  const threads = Math.max(1, init.threads ?? 2)
  const inlineBelow = init.inlineBelow ?? 64
  const idleMs = init.idleMs ?? 30_000
  const cache = new KeyCache()
  let pool: VerifyThread[] = []
  let closed = false
  let busy = 0
  let idleTimer: ReturnType<typeof setTimeout> | undefined
  const retire = async (): Promise<void> => {
    const all = pool
    pool = []
    await Promise.all(all.map(async (t) => { await t.terminate() }))
  }
  return {
    async verifyBatch (items) {
      if (closed || items.length < inlineBelow) return items.map((item) => verifyOne(cache, item))
      clearTimeout(idleTimer)
      busy++
      try {
        pool = pool.filter((t) => !t.dead)
        while (pool.length < threads) pool.push(new VerifyThread(cache))
        const size = Math.ceil(items.length / threads)
        const slices = pool.map((t, i) => t.verify(items.slice(i * size, (i + 1) * size)))
        return (await Promise.all(slices)).flat()
      } finally {
        if (--busy === 0 && !closed) {
          idleTimer = setTimeout(() => { void retire() }, idleMs)
          idleTimer.unref()
        }
      }
    },
    async close () {
      closed = true
      clearTimeout(idleTimer)
      await retire()
    }
  }
}
