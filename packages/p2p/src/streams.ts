/**
 * Direct stream protocols `/devq/<team>/<name>/1.0.0`: the node's services (git packs, artifacts,
 * logs, secrets) talk over these; the mesh only carries the bytes. Inbound streams are checked
 * (blocked, member, per-peer rate) before the handler sees them; every open stream is tracked so
 * `close` can abort them all.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { ByteStream, Clock, Logger } from '@devq/core'
import { toByteStream } from './byte-stream.ts'
import { MeshConfigError, StreamError } from './errors.ts'
import {
  DIRECT_MAX_INBOUND_STREAMS, DIRECT_MAX_INBOUND_STREAMS_CAP, DIRECT_MAX_OUTBOUND_STREAMS, DIRECT_OPEN_TIMEOUT_MS, DIRECT_STREAM_RATE
} from './limits.ts'
import type { MeshNode } from './node.ts'
import { createRateLimiter, type RateInit, type RateLimiter } from './rate-limit.ts'
import { bump, streamCounts, type MeshStats, type StreamCounts } from './stats.ts'
import type { HandleStreamOptions, OpenStreamOptions, StreamHandler } from './types.ts'

/** Protocol names: short, lower case, safe inside a protocol id. */
const NAME = /^[a-z][a-z0-9-]{0,31}$/
/** Names the mesh itself uses under the same prefix. */
const RESERVED = new Set(['sync', 'peers'])

/** The protocol id of direct protocol `name` of `team`. Throws MeshConfigError for a name that cannot be one. */
export function directProtocol (team: string, name: string): string {
  if (!NAME.test(name)) throw new MeshConfigError(`stream protocol name ${JSON.stringify(name)} must match [a-z][a-z0-9-]{0,31}`, { field: 'name', detail: 'invalid protocol name' })
  if (RESERVED.has(name)) throw new MeshConfigError(`stream protocol name ${JSON.stringify(name)} is the mesh's own`, { field: 'name', detail: 'reserved protocol name' })
  return `/devq/${team}/${name}/1.0.0`
}

/** What the registry needs from the mesh. */
/** What the registry uses. */
export interface DirectStreamsComponents {
  stats: MeshStats
  clock: Clock
  logger: Logger
  isMember?: (peerId: string) => boolean
  isBlocked: (peerId: string) => boolean
}

/** The part of the libp2p node the registry uses. */
export type DirectNode = Pick<MeshNode, 'handle' | 'dialProtocol'>

/** Registered direct protocols and the streams open on them. One per mesh; one event loop. */
export interface DirectStreams {
  /** Registers `name`; installs it at once when a node is attached. Throws MeshConfigError. */
  handle(name: string, handler: StreamHandler, options?: HandleStreamOptions): Promise<void>
  /** Installs every registered protocol on `node` (once), and those registered later as they come. */
  attach(node: DirectNode): Promise<void>
  /** Opens `name` to `peer` on the attached node. Throws StreamError, or MeshConfigError for a bad name. */
  open(peer: string, name: string, options?: OpenStreamOptions): Promise<ByteStream>
  /** Aborts every open direct stream and refuses new ones from now on. Idempotent. */
  close(): void
}

interface Registration {
  name: string
  protocol: string
  handler: StreamHandler
  maxInbound: number
  rate: RateLimiter
}

function fail (field: string, detail: string): never {
  throw new MeshConfigError(`invalid handleStream option ${field}: ${detail}`, { field, detail })
}

function checkOptions (options: HandleStreamOptions): { maxInbound: number, rate: RateInit } {
  const maxInbound = options.maxInbound ?? DIRECT_MAX_INBOUND_STREAMS
  if (!Number.isInteger(maxInbound) || maxInbound < 1 || maxInbound > DIRECT_MAX_INBOUND_STREAMS_CAP) fail('maxInbound', `must be an integer from 1 to ${DIRECT_MAX_INBOUND_STREAMS_CAP}`)
  const rate = options.rate ?? DIRECT_STREAM_RATE
  if (!Number.isFinite(rate.burst) || rate.burst < 1) fail('rate.burst', 'must be a number of at least 1')
  if (!Number.isFinite(rate.perSecond) || rate.perSecond <= 0) fail('rate.perSecond', 'must be a positive number')
  return { maxInbound, rate }
}

/** Why an open failed, in a few words for `StreamError.data.detail`. */
function openFailure (err: unknown, caller: AbortSignal | undefined): string {
  if (caller?.aborted === true) return 'aborted by the caller'
  const name = err instanceof Error ? err.name : 'Error'
  if (name === 'UnsupportedProtocolError') return 'protocol not supported by the peer'
  if (name === 'TimeoutError' || name === 'AbortError') return `dial or negotiation timed out after ${DIRECT_OPEN_TIMEOUT_MS} ms`
  return `dial failed: ${name}: ${err instanceof Error ? err.message : String(err)}`
}

class Registry implements DirectStreams {
  private readonly deps: DirectStreamsComponents
  private readonly team: string
  private readonly registered = new Map<string, Registration>()
  private readonly live = new Map<ByteStream, { peer: string, protocol: string }>()
  private readonly closer = new AbortController()
  private node: DirectNode | undefined

  constructor (deps: DirectStreamsComponents, team: string) {
    this.deps = deps
    this.team = team
  }

  async handle (name: string, handler: StreamHandler, options: HandleStreamOptions = {}): Promise<void> {
    const protocol = directProtocol(this.team, name)
    if (this.registered.has(name)) throw new MeshConfigError(`stream protocol ${name} is already handled`, { field: 'name', detail: 'already handled' })
    const { maxInbound, rate } = checkOptions(options)
    const reg: Registration = { name, protocol, handler, maxInbound, rate: createRateLimiter(rate) }
    this.registered.set(name, reg)
    streamCounts(this.deps.stats, name)
    if (this.node !== undefined) await this.install(this.node, reg)
  }

  async attach (node: DirectNode): Promise<void> {
    if (this.node !== undefined) return
    this.node = node
    await Promise.all([...this.registered.values()].map(async (reg) => { await this.install(node, reg) }))
  }

  async open (peer: string, name: string, options: OpenStreamOptions = {}): Promise<ByteStream> {
    const protocol = directProtocol(this.team, name)
    const refuse = (detail: string, cause?: unknown, retryable = true): StreamError =>
      new StreamError(`cannot open ${protocol} to ${peer}: ${detail}`, { peer, protocol, detail }, { cause, retryable })
    const node = this.node
    if (node === undefined || this.closer.signal.aborted) throw refuse('the mesh is not started')
    let id: PeerId
    try {
      id = peerIdFromString(peer)
    } catch (err) {
      throw refuse('not a peer id', err, false)
    }
    if (this.deps.isBlocked(peer)) throw refuse('the peer is blocked')
    const signals = [this.closer.signal, AbortSignal.timeout(DIRECT_OPEN_TIMEOUT_MS)]
    if (options.signal !== undefined) signals.push(options.signal)
    let stream: Stream
    try {
      stream = await node.dialProtocol(id, protocol, { signal: AbortSignal.any(signals), maxOutboundStreams: DIRECT_MAX_OUTBOUND_STREAMS })
    } catch (err) {
      throw refuse(this.closer.signal.aborted ? 'the mesh stopped' : openFailure(err, options.signal), err)
    }
    if (this.closer.signal.aborted) {
      stream.abort(new Error('the mesh stopped'))
      throw refuse('the mesh stopped')
    }
    const counts = streamCounts(this.deps.stats, name)
    counts.opened++
    return this.track(stream, peer, protocol, counts)
  }

  close (): void {
    if (this.closer.signal.aborted) return
    this.closer.abort()
    for (const [stream, { peer, protocol }] of [...this.live]) {
      stream.abort(new StreamError(`${protocol} stream with ${peer}: the mesh stopped`, { peer, protocol, detail: 'the mesh stopped' }))
    }
    this.live.clear()
  }

  private async install (node: DirectNode, reg: Registration): Promise<void> {
    const handler = async (stream: Stream, connection: Connection): Promise<void> => { await this.serve(reg, stream, connection) }
    await node.handle(reg.protocol, handler, { maxInboundStreams: reg.maxInbound, maxOutboundStreams: DIRECT_MAX_OUTBOUND_STREAMS })
  }

  /** Checks one inbound stream and runs the handler on it. Never throws. */
  private async serve (reg: Registration, stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const counts = streamCounts(this.deps.stats, reg.name)
    const reason = this.refusal(peer)
    if (reason !== undefined) {
      bump(counts.refused, reason)
      stream.abort(new Error(`${reg.protocol} refused: ${reason}`))
      return
    }
    if (!reg.rate.take(peer, this.deps.clock.monotonicMs())) {
      counts.rateLimited++
      stream.abort(new Error(`${reg.protocol} rate limit`))
      return
    }
    counts.served++
    const bytes = this.track(stream, peer, reg.protocol, counts)
    try {
      await reg.handler(bytes, peer)
    } catch (err) {
      counts.failed++
      this.deps.logger.warn({ err, protocol: reg.protocol, remote: peer }, 'stream handler failed')
      bytes.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private refusal (peer: string): string | undefined {
    if (this.closer.signal.aborted) return 'stopped'
    if (this.deps.isBlocked(peer)) return 'blocked'
    if (this.deps.isMember !== undefined && !this.deps.isMember(peer)) return 'not_member'
    return undefined
  }

  private track (stream: Stream, peer: string, protocol: string, counts: StreamCounts): ByteStream {
    const bytes = toByteStream(stream, { peer, protocol, counts })
    if (stream.status !== 'open') return bytes
    this.live.set(bytes, { peer, protocol })
    stream.addEventListener('close', () => { this.live.delete(bytes) }, { once: true })
    return bytes
  }
}

/** Creates the registry of a mesh (no node attached yet). */
export function createDirectStreams (components: DirectStreamsComponents, init: { team: string }): DirectStreams {
  return new Registry(components, init.team)
}
