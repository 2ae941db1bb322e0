/**
 * The gossipsub topic validators. Every incoming message passes the per-peer rate limit, the
 * injected faults (tests only), then its topic's judge; the verdict and its reason are counted.
 * Gossip runs with StrictNoSign, so a message has no libp2p author: each payload carries its own
 * signature (ledger events their author's, presence its `info.peer`'s) and is accepted only once
 * that signature verifies.
 */
import { TopicValidatorResult, type Message, type TopicValidatorFn } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import type { Clock, Logger, PresenceInfo } from '@devq/core'
import { bundleSize } from './ledger-bundle.ts'
import { createLedgerJudge, type GossipAction } from './ledger-gossip.ts'
import { LEDGER_BUNDLE } from './limits.ts'
import type { PresenceCheck } from './presence.ts'
import type { RateLimiter } from './rate-limit.ts'
import { bump, type MeshStats } from './stats.ts'
import type { MeshFaults, MeshLedger } from './types.ts'

type Kind = 'ledger' | 'presence'

/** What the validators need. */
export interface GossipDeps {
  ledger: MeshLedger
  presence: PresenceCheck
  stats: MeshStats
  /** One set of per-forwarder buckets per topic, so one topic's flood never starves the other. */
  rates: Record<Kind, RateLimiter>
  clock: Clock
  logger: Logger
  faults: MeshFaults
  random: () => number
  /** Aborted when the mesh stops: pending delays end and messages are ignored. */
  stopped: AbortSignal
  /** A ledger message was ahead of our chain: pull from whoever sent it. */
  onGap: (from: PeerId) => void
  /** A presence message verified. */
  onPresence: (info: PresenceInfo) => void
}

interface Judged {
  action: GossipAction
  reason?: string
}

const RESULT: Record<GossipAction, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject
}

function sleep (ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
}

function record (deps: GossipDeps, kind: Kind, judged: Judged): TopicValidatorResult {
  if (judged.action === 'accept') deps.stats.gossip.accepted++
  else if (judged.action === 'reject') bump(deps.stats.rejected[kind], judged.reason ?? 'unknown')
  else bump(deps.stats.ignored[kind], judged.reason ?? 'unknown')
  return RESULT[judged.action]
}

/**
 * Wraps a topic's judge with counting, rate limiting and fault injection. `cost` is what a message
 * takes from its forwarder's bucket: one per event, so bundles buy no extra verification work (an
 * oversized bundle costs one more than the cap and is then rejected as too large).
 */
function guarded (deps: GossipDeps, kind: Kind, judge: (from: PeerId, data: Uint8Array) => Promise<Judged>, cost: (data: Uint8Array) => number = () => 1): TopicValidatorFn {
  return async (from: PeerId, msg: Message) => {
    deps.stats.gossip.in++
    deps.stats.gossip.topics[kind].in++
    if (deps.stopped.aborted) return record(deps, kind, { action: 'ignore', reason: 'stopped' })
    if (!deps.rates[kind].take(from.toString(), deps.clock.monotonicMs(), cost(msg.data))) {
      deps.stats.rateLimited.gossip++
      return record(deps, kind, { action: 'ignore', reason: 'rate_limited' })
    }
    const { drop = 0, duplicate = 0, delayMs = 0 } = deps.faults
    if (drop > 0 && deps.random() < drop) {
      deps.stats.faults.dropped++
      return record(deps, kind, { action: 'ignore', reason: 'fault_drop' })
    }
    if (delayMs > 0) {
      deps.stats.faults.delayed++
      await sleep(deps.random() * delayMs, deps.stopped)
    }
    const first = await judge(from, msg.data)
    if (duplicate > 0 && deps.random() < duplicate) {
      deps.stats.faults.duplicated++
      // The copy is judged and counted like any message, but gossipsub only hears the first verdict.
      record(deps, kind, await judge(from, msg.data))
    }
    return record(deps, kind, first)
  }
}

/** The validator of the ledger topic: the ledger's ingest, batched across messages, is the judge. */
export function ledgerValidator (deps: GossipDeps): TopicValidatorFn {
  const judge = createLedgerJudge({ ledger: deps.ledger, logger: deps.logger })
  return guarded(deps, 'ledger', async (from, data) => {
    if (deps.stopped.aborted) return { action: 'ignore', reason: 'stopped' }
    const verdict = await judge(data)
    if (verdict.gap) deps.onGap(from)
    return verdict
  }, (data) => bundleSize(data, LEDGER_BUNDLE.maxEvents + 1))
}

/** The validator of the presence topic: verified heartbeats are handed to `onPresence`. */
export function presenceValidator (deps: GossipDeps): TopicValidatorFn {
  return guarded(deps, 'presence', async (from, data) => {
    const verdict = await deps.presence.check(data, from.toString())
    if (!verdict.ok) return { action: verdict.reason === 'stale' ? 'ignore' : 'reject', reason: verdict.reason }
    deps.onPresence(verdict.info)
    return { action: 'accept' }
  })
}
