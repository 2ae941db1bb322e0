/**
 * Keeps the share mode in the node's config file (through config-keeper.ts), so the node lends
 * itself the same way after a restart, whoever changed the mode: the API, or the desktop app's
 * embedded node through `Sharing` itself.
 */
import type { ShareMode } from '@devq/core'
import type { Sharing } from './sharing.ts'
import type { ConfigKeeper, Kept } from './config-keeper.ts'

export { NO_CONFIG_FILE } from './config-keeper.ts'

/** Whether a share mode reached the config file: the file it is in now, or why it is not. */
export type ShareKept = Kept

/** Changes the share mode and keeps it in the config file. */
export interface ShareKeeper {
  /**
   * Lends the node as `mode` at once, then writes it to the config file (also when the mode was
   * already that, so the file ends up saying it); resolves when the write is done, never rejects.
   * Writes run one after another, so the file ends with the latest mode.
   */
  change(mode: ShareMode): Promise<ShareKept>
  /** Stops writing the mode changes made elsewhere (the desktop app's embedded node). Idempotent. */
  close(): void
}

/** Creates the keeper; from now on every mode change (through `change` or else) is written by `keeper`. */
export function createShareKeeper (components: { sharing: Sharing, keeper: ConfigKeeper }): ShareKeeper {
  const { sharing, keeper } = components
  let last: Promise<ShareKept> | undefined
  const write = (mode: ShareMode): Promise<ShareKept> => (last = keeper.keep({ 'share-mode': mode }))
  const off = sharing.onModeChanged((mode) => { void write(mode) })
  return {
    async change (mode) {
      const before = sharing.mode()
      // A change calls the listener above, which queues the write.
      sharing.setMode(mode)
      return await (before === mode || last === undefined ? write(mode) : last)
    },
    close: off
  }
}
