/**
 * The push webhook: a forge on the LAN tells the node about a push; the node fetches the pushed
 * commit into its bare mirror of that repository (forge-mirrors.ts), registers the mirror as the
 * repository's place (so it serves the commit's objects to runners over `git`), and announces the
 * run exactly as `POST /v1/runs` does, with the pushed branch as its ref. The forge gets its answer
 * (202) before the fetch; what became of each delivery is in the deliveries list.
 */
import { join } from 'node:path'
import type { Logger } from '@devq/core'
import type { DevqNode } from './node.ts'
import { ConfigError } from './errors.ts'
import { createForgeMirrors, type ForgeMirrors } from './forge-mirrors.ts'
import { redactUrl } from './forge-url.ts'
import { readPrivateFile } from './private-file.ts'
import { createDeliveryLog, type Delivery, type DeliveryLog } from './webhook-deliveries.ts'
import type { Push } from './webhook-payload.ts'
import { createCoalescingQueue, type CoalescingQueue } from './webhook-queue.ts'
import { startWebhookServer } from './webhook-server.ts'

/** Deliveries the list keeps. */
export const KEPT_DELIVERIES = 50
/** Fetches at once (each into its own mirror). */
const FETCH_CONCURRENCY = 2
/** Branches that may wait for a fetch at once; past them a push is answered 503. */
const MAX_PENDING_PUSHES = 32
/** Longest a fetch from a forge may take (ms). */
const FETCH_TIMEOUT_MS = 10 * 60_000
/** Shortest secret accepted, in characters. */
const MIN_SECRET_CHARS = 16

/** A running webhook. */
export interface Webhook {
  /** Where it listens, e.g. `http://0.0.0.0:8471/hooks/push`. */
  readonly url: string
  readonly deliveries: DeliveryLog
  /** Pushes waiting for a fetch and fetches under way. */
  queued(): { pending: number, running: number }
  /** Stops listening, drops waiting pushes (marked failed), aborts fetches under way. Idempotent. */
  close(): Promise<void>
}

export interface WebhookComponents {
  node: DevqNode
  /** The webhook's logger (`component: webhook`). */
  logger: Logger
}

export interface WebhookInit {
  /** `host:port` (an IPv6 host in brackets). */
  listen: string
  secret: Uint8Array
}

interface QueuedPush {
  key: string
  lane: string
  push: Push
  delivery: string
}

/**
 * The secret in `path`: refused unless only its owner may read it (like the node's other secret
 * files), and when it is missing, empty or shorter than 16 characters. Surrounding whitespace (the
 * newline `echo` leaves) is not part of it.
 * @throws {ConfigError} naming the file and the fix.
 */
export async function readWebhookSecret (path: string | undefined): Promise<Buffer> {
  const fail = (message: string, detail: string): ConfigError => new ConfigError(message, { source: 'flag --webhook-secret-file', key: 'webhookSecretFile', detail })
  if (path === undefined) throw fail('--webhook-listen needs --webhook-secret-file <path>: a file (chmod 600) holding the secret the forge signs its deliveries with', 'missing')
  let bytes: Buffer | undefined
  try {
    bytes = await readPrivateFile(path, 'the webhook secret', 4096, fail)
  } catch (err) {
    if (err instanceof ConfigError) throw err
    throw fail(`cannot read the webhook secret file ${path}: ${(err as Error).message}`, 'unreadable')
  }
  if (bytes === undefined) throw fail(`no webhook secret file at ${path}`, 'missing')
  const secret = bytes.toString('utf8').trim()
  if (secret.length < MIN_SECRET_CHARS) throw fail(`the webhook secret in ${path} is shorter than ${MIN_SECRET_CHARS} characters; make one with: openssl rand -hex 32 > ${path}`, 'too short')
  return Buffer.from(secret, 'utf8')
}

function parseListen (listen: string): { host: string, port: number } {
  const at = listen.lastIndexOf(':')
  return { host: listen.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(at + 1)) }
}

/** Fetches and announces one push; what came of it goes to the deliveries list and the log. */
async function build (c: WebhookComponents, mirrors: ForgeMirrors, deliveries: DeliveryLog, item: QueuedPush, signal: AbortSignal): Promise<void> {
  const { push } = item
  const where = { delivery: item.delivery, forge: push.forge, repository: redactUrl(push.url), ref: push.ref, commit: push.commit }
  deliveries.update(item.delivery, { status: 'fetching' })
  try {
    const dir = await mirrors.fetch(push, signal)
    const run = await c.node.runs.announce({ dir, sha: push.commit, ref: push.ref })
    deliveries.update(item.delivery, { status: 'announced', run: run.run, jobs: run.jobs.map((j) => j.id) })
    c.logger.info({ ...where, run: run.run, jobs: run.jobs.length }, 'pushed commit announced')
  } catch (err) {
    // Only the name and message: a git error's cause holds the command line, credentials and all.
    const e = err as Error
    deliveries.update(item.delivery, { status: 'failed', detail: e.message })
    c.logger.warn({ ...where, error: e.name, reason: e.message.slice(0, 2000) }, 'pushed commit not built')
  }
}

/** Starts the webhook listener and its fetch queue. */
export async function startWebhook (c: WebhookComponents, init: WebhookInit): Promise<Webhook> {
  const deliveries = createDeliveryLog({ now: Date.now }, { keep: KEPT_DELIVERIES })
  const mirrors = createForgeMirrors({ root: join(c.node.config.dataDir, 'forge'), timeoutMs: FETCH_TIMEOUT_MS })
  const queue: CoalescingQueue<QueuedPush> = createCoalescingQueue<QueuedPush>({
    work: async (item, signal) => { await build(c, mirrors, deliveries, item, signal) },
    failed: (item, err) => { c.logger.error({ delivery: item.delivery, err }, 'webhook push handling failed') }
  }, { concurrency: FETCH_CONCURRENCY, maxPending: MAX_PENDING_PUSHES })
  const enqueue = (push: Push, delivery: Delivery): boolean => {
    const lane = mirrors.pathOf(push.url)
    const done = queue.push({ key: `${lane}\u0000${push.ref}`, lane, push, delivery: delivery.id })
    if (!done.queued) return false
    if (done.replaced !== undefined) deliveries.update(done.replaced.delivery, { status: 'superseded', detail: `a newer push of ${push.ref} (${push.commit.slice(0, 12)}, delivery ${delivery.id}) came before this one was fetched` })
    return true
  }
  const { app, url } = await startWebhookServer({ deliveries, enqueue, logger: c.logger }, { ...parseListen(init.listen), secret: init.secret })
  c.logger.info({ url }, 'push webhook listening')
  let closing: Promise<void> | undefined
  return {
    url,
    deliveries,
    queued: () => queue.size(),
    close: async () => {
      closing ??= (async () => {
        await app.close()
        for (const item of await queue.close()) deliveries.update(item.delivery, { status: 'failed', detail: 'the node stopped before fetching it' })
      })()
      await closing
    }
  }
}
