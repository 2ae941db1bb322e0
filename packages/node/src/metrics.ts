/**
 * The node's Prometheus metric families, on a registry of their own (never prom-client's global
 * one, so two nodes in one process keep apart). Gauges and the counters that mirror counts kept
 * elsewhere (mesh stats, the ledger's size) are read at scrape time from one `MetricsSample`; the
 * job counters and histograms are fed by `observeJobs` as the fold changes.
 *
 * Labels take only bounded values: priorities, statuses, directions, topics, reason codes. Never
 * a job id, commit, peer id or other value that grows with use.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { Priority, terminalStatuses } from '@devq/core'
import type { MeshStats } from '@devq/p2p'

/** Peer statuses the peers gauge reports: those of heartbeats, and `offline` for known but silent peers. */
export const PEER_STATUSES = ['idle', 'busy', 'draining', 'offline'] as const
export type PeerStatus = typeof PEER_STATUSES[number]

/** What one scrape reads from the node, taken once per scrape. */
export interface MetricsSample {
  /** Jobs in status `queued` now, by priority. */
  queued: Record<Priority, number>
  /** This peer and the peers it knows, by status. */
  peers: Record<PeerStatus, number>
  /** This node's slots. */
  slots: { used: number, free: number }
  /** Counters of the mesh since it started. */
  mesh: MeshStats
  /** Chain events in the ledger. */
  ledgerEvents: number
  /** Requests of the runner's stream protocols refused for their framing. */
  refusedFrames: number
}

/** The families `observeJobs` feeds as jobs change. */
export interface JobMetrics {
  jobs: Counter<'result'>
  duration: Histogram
  wait: Histogram<'priority'>
}

/** Run time buckets of finished attempts (s): from quick checks to long builds. */
const DURATION_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200]
/** Queue wait buckets (s): an idle grid starts a job within a second, a busy one in minutes. */
const WAIT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]

/** prom-client's process gauges that only sum `nodejs_active_handles{type}` and the like. */
const SUMMED_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']

/** Stream protocol names whose bytes the transfer counters read (the runner's `git` and `artifacts`). */
export interface TransferProtocols {
  source: string
  artifacts: string
}

/** Reason codes are short snake_case words; anything else would be a label value of unknown size. */
const REASON = /^[a-z][a-z0-9_]{0,47}$/

/** Incoming streams refused for a reason that says nothing about the input (this peer was stopping). */
const NOT_REJECTIONS = new Set(['stopped'])

/**
 * Every rejection counted, summed by reason across gossip, sync, direct streams (refused by the
 * mesh) and the requests on them (refused by the runner's servers as `bad_frame`).
 */
export function rejectionsByReason (mesh: MeshStats, refusedFrames: number): Map<string, number> {
  const out = new Map<string, number>()
  const add = (reason: string, n: number): void => {
    const key = REASON.test(reason) ? reason : 'other'
    out.set(key, (out.get(key) ?? 0) + n)
  }
  for (const counts of [mesh.rejected.ledger, mesh.rejected.presence, mesh.rejected.sync]) {
    for (const [reason, n] of Object.entries(counts)) add(reason, n)
  }
  for (const stream of Object.values(mesh.streams)) {
    for (const [reason, n] of Object.entries(stream.refused)) if (!NOT_REJECTIONS.has(reason)) add(reason, n)
  }
  add('bad_frame', refusedFrames)
  return out
}

type Series<L extends string> = Array<[Partial<Record<L, string>>, number]>

/**
 * A counter whose value is a count kept elsewhere: at each collect it adds what the count grew by.
 * It never goes down, even if the count it reads was reset.
 */
function mirroredCounter<L extends string> (registry: Registry, name: string, help: string, labelNames: readonly L[], read: () => Series<L>): void {
  const last = new Map<string, number>()
  new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect () {
      for (const [labels, value] of read()) {
        const key = labelNames.map((l) => labels[l] ?? '').join('\u0000')
        const before = last.get(key) ?? 0
        last.set(key, value)
        // A count that went down was reset where it is kept: all it holds now is new.
        this.inc(labels, value >= before ? value - before : value)
      }
    }
  })
}

function directions (counts: { bytesIn: number, bytesOut: number } | undefined): Series<'direction'> {
  return [[{ direction: 'in' }, counts?.bytesIn ?? 0], [{ direction: 'out' }, counts?.bytesOut ?? 0]]
}

function sampleGauges (registry: Registry, sample: () => MetricsSample): void {
  new Gauge({
    name: 'devq_queue_jobs',
    help: 'Jobs queued now (waiting for a runner), by priority',
    labelNames: ['priority'],
    registers: [registry],
    collect () { for (const [priority, n] of Object.entries(sample().queued)) this.set({ priority }, n) }
  })
  new Gauge({
    name: 'devq_peers',
    help: 'This peer and the peers it knows, by status (offline: known to the ledger, not heard within a lease)',
    labelNames: ['status'],
    registers: [registry],
    collect () { for (const [status, n] of Object.entries(sample().peers)) this.set({ status }, n) }
  })
  new Gauge({
    name: 'devq_slots',
    help: 'This node\'s runner slots, used and free',
    labelNames: ['state'],
    registers: [registry],
    collect () {
      const { used, free } = sample().slots
      this.set({ state: 'used' }, used)
      this.set({ state: 'free' }, free)
    }
  })
}

function sampleCounters (registry: Registry, sample: () => MetricsSample, protocols: TransferProtocols): void {
  mirroredCounter(registry, 'devq_artifact_bytes_total', 'Bytes of artifact transfers with other peers (in: fetched, out: served)', ['direction'],
    () => directions(sample().mesh.streams[protocols.artifacts]))
  mirroredCounter(registry, 'devq_source_bytes_total', 'Bytes of git pack transfers with other peers (in: fetched, out: served)', ['direction'],
    () => directions(sample().mesh.streams[protocols.source]))
  mirroredCounter(registry, 'devq_gossip_messages_total', 'Gossip messages by topic (in: received, out: published)', ['topic', 'direction'], () => {
    const { topics } = sample().mesh.gossip
    return Object.entries(topics).flatMap(([topic, c]) => [[{ topic, direction: 'in' }, c.in], [{ topic, direction: 'out' }, c.out]] as Series<'topic' | 'direction'>)
  })
  mirroredCounter(registry, 'devq_rejected_total', 'Inputs refused at a boundary (ledger events, gossip, sync, direct streams), by reason', ['reason'],
    () => {
      const s = sample()
      return [...rejectionsByReason(s.mesh, s.refusedFrames)].map(([reason, n]) => [{ reason }, n])
    })
  mirroredCounter(registry, 'devq_ledger_events_total', 'Chain events in the ledger', [], () => [[{}, sample().ledgerEvents]])
}

function jobFamilies (registry: Registry): JobMetrics {
  const jobs = new Counter({ name: 'devq_jobs_total', help: 'Jobs that reached a terminal status in this peer\'s fold, by result', labelNames: ['result'], registers: [registry] })
  for (const result of terminalStatuses) jobs.inc({ result }, 0)
  const duration = new Histogram({ name: 'devq_job_duration_seconds', help: 'Run time of finished attempts (steps, without the source fetch)', buckets: DURATION_BUCKETS, registers: [registry] })
  const wait = new Histogram({ name: 'devq_queue_wait_seconds', help: 'Time from when this peer saw a job queued to when it saw it start, by priority', labelNames: ['priority'], buckets: WAIT_BUCKETS, registers: [registry] })
  for (const priority of Priority.options) wait.zero({ priority })
  return { jobs, duration, wait }
}

/**
 * A registry with every family of the node and prom-client's process metrics. `sample` is called
 * only while collecting (once per family that needs it: make it cheap or cache it per scrape).
 */
export function createMetricsRegistry (sample: () => MetricsSample, init: { version: string, protocols: TransferProtocols }): { registry: Registry, jobs: JobMetrics } {
  const registry = new Registry()
  // The event loop lag monitor wakes the loop at its precision: prom-client's 10 ms default woke an
  // idle node 100 times a second, most of its idle CPU. Once a second still shows a stalled loop.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1000 })
  // Gauges named like counters (promtool's lint refuses them); each is the sum of the by-type gauge beside it.
  for (const name of SUMMED_GAUGES) registry.removeSingleMetric(name)
  new Gauge({ name: 'devq_build_info', help: 'The running devq-node version (always 1)', labelNames: ['version'], registers: [registry] }).set({ version: init.version }, 1)
  sampleGauges(registry, sample)
  sampleCounters(registry, sample, init.protocols)
  return { registry, jobs: jobFamilies(registry) }
}
