/**
 * Keeps the share mode in the node's config file, so the node lends itself the same way after a
 * restart. A flag or DEVQ_SHARE_MODE still wins at the next start. Whoever changed the mode learns
 * whether the file took it: under a read-only config (systemd's ProtectSystem=strict keeps
 * /etc/devq read-only) the new mode holds only until the node stops.
 */
import type { Logger, ShareMode } from '@devq/core'
import type { Sharing } from './sharing.ts'

/** Whether a share mode reached the config file: the file it is in now, or why it is not. */
export type ShareKept = { file: string } | { error: string }

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

/** Why a node that reads no config file keeps no mode. */
export const NO_CONFIG_FILE = 'this node reads no config file'

/**
 * Creates the keeper; from now on every mode change (through `change` or else) is written to
 * `configFile`. A write that fails logs a warning and answers its reason.
 */
export function createShareKeeper (components: { sharing: Sharing, logger: Logger }, init: { configFile?: string }): ShareKeeper {
  const { sharing, logger } = components
  const file = init.configFile
  let last: Promise<ShareKept> = Promise.resolve(file === undefined ? { error: NO_CONFIG_FILE } : { file })
  const write = (mode: ShareMode): Promise<ShareKept> => {
    if (file === undefined) return (last = Promise.resolve({ error: NO_CONFIG_FILE }))
    last = last.then(async () => {
      try {
        const { setSetting } = await import('./config-edit.ts')
        // The share mode takes part in no rule between settings: the file's own check is enough.
        await setSetting(file, 'share-mode', mode, () => [])
        return { file }
      } catch (err) {
        logger.warn({ component: 'sharing', err, file }, 'the new share mode holds until the node stops: the config file could not be written')
        // A ConfigError names the file already; a system error names at most a temp file beside it.
        return { error: (err as Error).name === 'ConfigError' ? (err as Error).message : `cannot write ${file}: ${(err as Error).message}` }
      }
    })
    return last
  }
  const off = sharing.onModeChanged((mode) => { void write(mode) })
  return {
    async change (mode) {
      const before = sharing.mode()
      // A change calls the listener above, which queues the write.
      sharing.setMode(mode)
      return await (before === mode ? write(mode) : last)
    },
    close: off
  }
}
