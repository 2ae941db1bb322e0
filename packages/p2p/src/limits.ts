/**
 * Every cap, rate and timeout the mesh enforces, in one place (README.md "Limits" lists them).
 * Sizes are bytes, times milliseconds, rates per second.
 */
import { MAX_EVENT_BYTES, MAX_PRESENCE_BYTES } from '@devq/core'

/** Largest gossipsub RPC frame read from a peer; larger frames are dropped by gossipsub before decoding. */
export const MAX_GOSSIP_FRAME_BYTES = 1024 * 1024
/**
 * Gossipsub's mesh: this peer grafts none. Every message is flooded by its publisher to every
 * connected peer, and the keeper connects each peer to every other, so a forwarding mesh would
 * only send copies that every peer already has (with 20 peers and a degree of 4, three of every
 * four message frames were such copies). A peer that missed a message learns of it by gossip: each
 * gossip heartbeat, IHAVE to `Dlazy` connected peers (gossipFactor 0: no more), and for ledger
 * events by sync, which a heartbeat showing a different ledger starts. Grafts from peers that ask
 * for a mesh (one that reaches the team through a single member) are taken, up to `Dhi`, and those
 * peers get every message forwarded.
 */
export const GOSSIP_DEGREE = { D: 0, Dlo: 0, Dhi: 6, Dscore: 0, Dout: 0, Dlazy: 2, gossipFactor: 0 }
/** Gossipsub heartbeat (mesh upkeep, IHAVE gossip): every 2 s instead of every second. */
export const GOSSIP_HEARTBEAT_MS = 2000
/** Gossip messages at least this large make a receiver tell its other mesh peers not to send a copy (IDONTWANT). */
export const IDONTWANT_MIN_BYTES = 16 * 1024
/**
 * A ledger gossip message is one event or a bundle of one author's consecutive events: at most this
 * many events and bytes (each event also within MAX_EVENT_BYTES). Larger ones are rejected as `too_large`.
 */
export const LEDGER_BUNDLE = { maxEvents: 64, maxBytes: 256 * 1024 }
export const MAX_LEDGER_MESSAGE_BYTES = LEDGER_BUNDLE.maxBytes
/** Largest presence gossip message (the signed envelope). Larger ones are rejected as `too_large`. */
export const MAX_PRESENCE_MESSAGE_BYTES = MAX_PRESENCE_BYTES

/**
 * Incoming ledger gossip is ingested in micro-batches: one ingest (one signature batch, one write,
 * one fold pass) per batch instead of per message. A batch closes after `delayMs` or at `maxEvents`.
 */
export const LEDGER_BATCH = { maxEvents: 64, delayMs: 1 }

/** Most events in one sync answer. */
export const SYNC_MAX_EVENTS = 500
/** Most bytes of events in one sync answer (the listener always sends at least one event). */
export const SYNC_MAX_BYTES = 2 * 1024 * 1024
/** Most authors in a version vector a peer may send. */
export const SYNC_MAX_VECTOR_ENTRIES = 4096
/** Largest sync request frame (version vector, faulty authors and tips: under 256 bytes per author). */
export const SYNC_MAX_REQUEST_BYTES = 1024 * 1024
/** Largest sync answer frame: one event, or the small header. */
export const SYNC_MAX_ANSWER_FRAME_BYTES = MAX_EVENT_BYTES
/** Most bytes read for one sync answer in total. */
export const SYNC_MAX_ANSWER_BYTES = SYNC_MAX_BYTES + MAX_EVENT_BYTES
/** One sync round (open, request, answer) must finish within this, on both sides. */
export const SYNC_TIMEOUT_MS = 10_000
/** Most rounds one `syncWith` runs before it leaves the rest to the next sync. */
export const SYNC_MAX_ROUNDS = 64
/** Most syncs this peer runs as a dialer at once. */
export const SYNC_MAX_CONCURRENT = 4
/** Most inbound sync streams per connection at once. */
export const SYNC_MAX_INBOUND_STREAMS = 4
/**
 * Default interval of the periodic sync and peer exchange with a random connected peer: a safety
 * net only, since heartbeats that show a different ledger start a sync at once (digest.ts).
 */
export const DEFAULT_SYNC_INTERVAL_MS = 60_000

/**
 * Token bucket per propagation source for incoming ledger gossip, one token per event: burst and
 * refill per second. A burst of 1000 jobs from one peer passes whole.
 */
export const GOSSIP_RATE = { burst: 2000, perSecond: 500 }
/**
 * Token bucket per propagation source for incoming heartbeats, apart from the ledger's, so a burst
 * of events can never starve heartbeats (and cause false `lost`). The whole team sends about 10 a
 * second (see core's presence interval); a forwarder relaying all of them stays well within this.
 */
export const PRESENCE_RATE = { burst: 200, perSecond: 50 }
/** Token bucket per remote peer for incoming sync requests: burst and refill per second. */
export const SYNC_RATE = { burst: 20, perSecond: 4 }
/** Most peers tracked by one rate limiter (the idlest are forgotten first). */
export const RATE_LIMIT_MAX_PEERS = 1024

/** Most peers whose last presence stamp (boot, seq) is remembered (for replay protection). */
export const PRESENCE_MAX_TRACKED_PEERS = 4096
/** Past boots remembered per peer: a replayed heartbeat of one of them is stale. */
export const PRESENCE_RETIRED_BOOTS = 8

/** Peer exchange: most peers in one answer, addresses per peer, characters per address, bytes per answer. */
export const PEX_MAX_PEERS = 64
export const PEX_MAX_ADDRS_PER_PEER = 8
export const PEX_MAX_ADDR_CHARS = 256
export const PEX_MAX_FRAME_BYTES = 256 * 1024
/** Token bucket per remote peer for incoming peer-exchange requests. */
export const PEX_RATE = { burst: 10, perSecond: 1 }

/**
 * Redial of known, unconnected peers: first backoff, cap, most dials started per tick, and how often
 * it looks (only while some known peer may be unconnected).
 */
export const REDIAL = { minBackoffMs: 1000, maxBackoffMs: 60_000, maxDialsPerTick: 8, everyMs: 3000 }
/** Dial timeout of one redial. */
export const DIAL_TIMEOUT_MS = 10_000

/** Direct stream protocols (`handleStream`): most inbound streams per connection and protocol, by default and at most. */
export const DIRECT_MAX_INBOUND_STREAMS = 16
export const DIRECT_MAX_INBOUND_STREAMS_CAP = 1024
/** Most direct streams of one protocol this peer opens per connection. */
export const DIRECT_MAX_OUTBOUND_STREAMS = 64
/** Default token bucket per remote peer and protocol for incoming direct streams. */
export const DIRECT_STREAM_RATE = { burst: 20, perSecond: 4 }
/** `openStream`: dialing the peer and negotiating the protocol must finish within this. */
export const DIRECT_OPEN_TIMEOUT_MS = 10_000
/**
 * A direct stream stops reading from libp2p (so yamux withholds window updates and the sender
 * blocks) once more than `highBytes` wait unread, and reads again once the reader is under `lowBytes`.
 */
export const DIRECT_READ_QUEUE = { highBytes: 1024 * 1024, lowBytes: 256 * 1024 }
/**
 * Yamux's largest receive window per stream (set in node.ts; yamux's default is 16 MiB): what a
 * peer may send that this peer has not read yet. 2 MiB still allows about 2 GB/s at a 1 ms round
 * trip, and keeps what a slow reader buffers per stream small. A direct stream to a slow reader so holds up to about two
 * windows plus `DIRECT_READ_QUEUE.highBytes` of data (one window handed over on resume, one more
 * sent while paused), and libp2p's fragments of the second can keep twice their size alive.
 */
export const YAMUX_MAX_STREAM_WINDOW = 2 * 1024 * 1024
/**
 * libp2p's own read buffer of a paused direct stream. The window already bounds it; libp2p's 4 MiB
 * default would reset a stream whose peer follows flow control, so the cap sits above the window.
 */
export const DIRECT_MAX_PAUSED_BYTES = YAMUX_MAX_STREAM_WINDOW + 4 * 1024 * 1024
