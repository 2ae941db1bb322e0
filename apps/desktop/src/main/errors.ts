/** The desktop main process's errors: each crosses IPC as its `toJSON` (name, message, data). */
import { DevqError } from '@devq/core'

/** A message came from a frame that is not the app's own renderer; `url` is the frame's. */
export class IpcSenderError extends DevqError<{ channel: string, url: string }> {
  readonly name = 'IpcSenderError'
}

/** A message named no channel of the channel map. */
export class IpcChannelError extends DevqError<{ channel: string }> {
  readonly name = 'IpcChannelError'
}

/** A payload did not fit its channel's schema; `field` is the first path at fault (`''` for the whole payload). */
export class IpcPayloadError extends DevqError<{ channel: string, field: string, detail: string }> {
  readonly name = 'IpcPayloadError'
}

/** A stream subscription this window does not hold, or one it already holds. */
export class IpcStreamError extends DevqError<{ subscription: string, detail: 'unknown' | 'taken' }> {
  readonly name = 'IpcStreamError'
}

/** No node could be reached or started for the data dir; `detail` says which step failed. */
export class NodeLinkError extends DevqError<{ dataDir: string, detail: string }> {
  readonly name = 'NodeLinkError'
}
