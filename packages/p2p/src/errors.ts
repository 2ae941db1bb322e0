/**
 * Errors of @devq/p2p. Check them by `name` (or `code`, which equals it), never by message.
 * Bad input from the network is never thrown: validators answer accept / ignore / reject and
 * count the reason (see `MeshStats`). These errors are for local callers.
 */
import { DevqError } from '@devq/core'

/** The peer key file cannot be read, parsed or written; `path` names it. */
export class PeerKeyError extends DevqError<{ path: string, detail: string }> {
  readonly name = 'PeerKeyError'
}

/** A team key is not in the "/key/swarm/psk/1.0.0/" base16 format. Never carries the key itself. */
export class TeamKeyError extends DevqError<{ detail: string }> {
  readonly name = 'TeamKeyError'
}

/** A `createMesh` option is invalid (a bug or a bad config, not bad network input). */
export class MeshConfigError extends DevqError<{ field: string, detail: string }> {
  readonly name = 'MeshConfigError'
}

/** A mesh operation was called in a state that does not allow it (e.g. before `start`, after `stop`). */
export class MeshStateError extends DevqError<{ operation: string, state: string }> {
  readonly name = 'MeshStateError'
}

/** This peer's own presence could not be published (invalid info, another peer's id, too large). */
export class PresenceEncodeError extends DevqError<{ detail: string }> {
  readonly name = 'PresenceEncodeError'
}

/** The other side of a protocol stream broke the protocol (or was refused for its own conduct). */
export class ProtocolViolation extends DevqError<{ protocol: string, detail: string }> {
  readonly name = 'ProtocolViolation'
}

/** A sync with a peer failed (no such connection, timeout, protocol violation). Trying again may work. */
export class SyncError extends DevqError<{ peer: string, detail: string }> {
  readonly name = 'SyncError'
}

/**
 * A direct stream could not be opened (mesh not started, malformed peer id, blocked peer, dial
 * failure, protocol not supported by the peer) or broke (reset by the peer, connection closed
 * before the peer ended it). Retryable unless the peer id itself is malformed.
 */
export class StreamError extends DevqError<{ peer: string, protocol: string, detail: string }> {
  readonly name = 'StreamError'
  constructor (message: string, data: StreamError['data'], options: { cause?: unknown, retryable?: boolean } = {}) {
    super(message, data, { cause: options.cause, retryable: options.retryable ?? true })
  }
}
