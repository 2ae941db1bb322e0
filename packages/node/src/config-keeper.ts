/**
 * Keeps settings changed on a running node (its share mode, slots and labels) in the node's config
 * file, so the node starts the same way next time; a flag or a DEVQ_* variable still wins at the
 * next start. Whoever changed them learns whether the file took them: under a read-only config
 * (systemd's ProtectSystem=strict keeps /etc/devq read-only) a change holds only until the node stops.
 */
import type { Logger } from '@devq/core'

/** Whether a change reached the config file: the file it is in now, or why it is not. */
export type Kept = { file: string } | { error: string }

/** Why a node that reads no config file keeps no change. */
export const NO_CONFIG_FILE = 'this node reads no config file'

/** Writes settings to the node's config file, one change after another. */
export interface ConfigKeeper {
  /**
   * Writes `values` (by the file's setting names, such as `share-mode`, each already checked
   * against the config schema) to the config file in one write, keeping its comments and other
   * settings. Only for settings that take part in no rule between settings (config-rules.ts).
   * Resolves when the write is done and never rejects. Writes run one after another in call
   * order, so the file ends with the latest of each setting and no change overwrites another.
   */
  keep(values: Readonly<Record<string, unknown>>): Promise<Kept>
}

/** Creates the keeper of `configFile`; without one, every change answers NO_CONFIG_FILE. */
export function createConfigKeeper (components: { logger: Logger }, init: { configFile?: string }): ConfigKeeper {
  const { logger } = components
  const file = init.configFile
  let last: Promise<unknown> = Promise.resolve()
  return {
    keep (values) {
      if (file === undefined) return Promise.resolve({ error: NO_CONFIG_FILE })
      const written = last.then(async (): Promise<Kept> => {
        try {
          const { setSettings } = await import('./config-edit.ts')
          // The settings kept here take part in no rule between settings: the file's own check is enough.
          await setSettings(file, values, () => [])
          return { file }
        } catch (err) {
          logger.warn({ component: 'config', err, file, settings: Object.keys(values) }, 'the change holds until the node stops: the config file could not be written')
          // A ConfigError names the file already; a system error names at most a temp file beside it.
          return { error: (err as Error).name === 'ConfigError' ? (err as Error).message : `cannot write ${file}: ${(err as Error).message}` }
        }
      })
      last = written
      return written
    }
  }
}
