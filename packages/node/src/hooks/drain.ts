/**
 * The node's side of the hook queue: once its API and repository registry are up it announces
 * every queued entry (commits made while no node ran), then each new entry as the hook's shell
 * lines rename it into the queue (the directory is watched: inotify, FSEvents, kqueue), and again
 * every minute for entries a passing problem left behind or a watch missed. Entries that can never
 * be announced are set aside with the reason logged, in the node's log and in hooks.log; nothing
 * in the queue can stop or crash the node.
 */
import { mkdirSync, watch, type FSWatcher } from 'node:fs'
import type { Logger } from '@devq/core'
import type { RunAnnouncer } from '../run-announcer.ts'
import { appendHookLog, rotateHookLog } from './hook-log.ts'
import { isEntryName, isPermanent, listQueued, queueDir, MAX_ENTRY_AGE_MS, readQueued, setAside, settle, type Outcome, type QueueEntry } from './queue.ts'

/** How often the queue is looked at again after the first drain (ms). */
export const DRAIN_EVERY_MS = 60_000

/** What one drain did, by outcome. */
export interface DrainReport {
  announced: number
  existing: number
  setAside: number
  left: number
}

/** The node's hook queue worker. */
export interface HookQueue {
  /** Announces what is queued now; concurrent calls share one pass (and one more if asked during it). */
  drain(): Promise<DrainReport>
  /** Stops the timer and waits for a drain under way. Idempotent. */
  close(): Promise<void>
}

export interface HookQueueComponents {
  runs: RunAnnouncer
  logger: Logger
}

export interface HookQueueInit {
  dataDir: string
  everyMs?: number
}

async function outcomeOf (runs: RunAnnouncer, entry: QueueEntry): Promise<Outcome> {
  try {
    const run = await runs.announce({ dir: entry.dir, sha: entry.commit, ref: entry.ref })
    return { kind: 'announced', run: run.run, existing: run.existing }
  } catch (err) {
    const e = err as { name?: string, message?: string, data?: { reason?: string } }
    if (isPermanent(String(e.name))) return { kind: 'refused', reason: e.data?.reason ?? String(e.name), detail: String(e.message) }
    return { kind: 'later', detail: String(e.message) }
  }
}

async function drainOnce (c: HookQueueComponents, dataDir: string, stopped: () => boolean): Promise<DrainReport> {
  const report: DrainReport = { announced: 0, existing: 0, setAside: 0, left: 0 }
  for (const name of await listQueued(dataDir)) {
    if (stopped()) break
    const read = await readQueued(dataDir, name)
    if (read === undefined) continue
    if ('invalid' in read) {
      c.logger.warn({ entry: name, detail: read.invalid }, 'hook queue entry is not valid: set aside')
      await setAside(dataDir, name, 'invalid_entry', read.invalid)
      report.setAside++
      continue
    }
    const { entry } = read
    const outcome: Outcome = Date.now() - entry.queuedAt > MAX_ENTRY_AGE_MS
      ? { kind: 'refused', reason: 'expired', detail: `queued ${new Date(entry.queuedAt).toISOString()}, not announced within ${MAX_ENTRY_AGE_MS / 3600_000} h` }
      : await outcomeOf(c.runs, entry)
    await settle(dataDir, name, outcome)
    const { kind, ...said } = outcome
    await appendHookLog(dataDir, { event: kind, by: 'node', commit: entry.commit, ref: entry.ref, ...said })
    const fields = { entry: name, dir: entry.dir, commit: entry.commit, ref: entry.ref }
    if (outcome.kind === 'announced') {
      report[outcome.existing ? 'existing' : 'announced']++
      c.logger.info({ ...fields, run: outcome.run, existing: outcome.existing }, 'announced a queued commit')
    } else if (outcome.kind === 'refused') {
      report.setAside++
      c.logger.warn({ ...fields, reason: outcome.reason, detail: outcome.detail }, 'queued commit cannot be announced: set aside')
    } else {
      report.left++
      c.logger.warn({ ...fields, detail: outcome.detail }, 'queued commit not announced yet: kept for the next drain')
    }
  }
  return report
}

/** Starts draining the queue in `init.dataDir` now and every `everyMs`. */
export function startHookQueue (components: HookQueueComponents, init: HookQueueInit): HookQueue {
  let closed = false
  let current: Promise<DrainReport> | undefined
  let again: Promise<DrainReport> | undefined
  const pass = async (): Promise<DrainReport> => await drainOnce(components, init.dataDir, () => closed).catch((err: unknown) => {
    components.logger.error({ err }, 'hook queue drain failed')
    return { announced: 0, existing: 0, setAside: 0, left: 0 }
  })
  const drain = async (): Promise<DrainReport> => {
    if (current === undefined) {
      current = pass().finally(() => { current = undefined })
      return await current
    }
    again ??= current.then(async () => { again = undefined; return await drain() })
    return await again
  }
  const timer = setInterval(() => { void rotateHookLog(init.dataDir); void drain() }, init.everyMs ?? DRAIN_EVERY_MS)
  timer.unref()
  const watcher = watchQueue(init.dataDir, () => { void drain() }, components.logger)
  void drain()
  return {
    drain,
    async close () {
      closed = true
      clearInterval(timer)
      watcher?.close()
      await again?.catch(() => {})
      await current?.catch(() => {})
    }
  }
}

/**
 * Calls `onEntry` whenever an entry file appears in the queue directory (created 0700 if
 * missing). Undefined, with a warning, where the directory cannot be watched: the minute timer
 * still drains it.
 */
function watchQueue (dataDir: string, onEntry: () => void, logger: Logger): FSWatcher | undefined {
  try {
    mkdirSync(queueDir(dataDir), { recursive: true, mode: 0o700 })
    const watcher = watch(queueDir(dataDir), { persistent: false }, (_type, name) => {
      if (name === null || isEntryName(name)) onEntry()
    })
    watcher.on('error', (err) => {
      logger.warn({ err }, 'hook queue watch failed: queued commits are announced within a minute')
      watcher.close()
    })
    return watcher
  } catch (err) {
    logger.warn({ err }, 'hook queue cannot be watched: queued commits are announced within a minute')
    return undefined
  }
}
