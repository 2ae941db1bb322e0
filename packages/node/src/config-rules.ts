/**
 * Rules between settings, which no one setting's schema can state: the one place they are
 * written. `resolveSettings` applies them to the merged settings, so a node refuses to start (or
 * warns) and `devq config set` refuses to write (or warns) by the same words.
 */

/** The settings the rules read. */
export interface RuledSettings {
  webhookListen?: string | undefined
  webhookSecretFile?: string | undefined
}

/** A setting the rules name, as config.ts's key. */
export type RuledKey = keyof RuledSettings

/** One broken rule: an `error` stops the node; a `warning` only says what is ignored. */
export interface SettingsConflict {
  level: 'error' | 'warning'
  /** The setting that was given and does not work as given; the error is placed where it was set. */
  key: RuledKey
  /** The setting it goes with. */
  other: RuledKey
  /** What is wrong, with both settings spelled by `spell` (as the user spells them where `key` was set). */
  detail(spell: (key: RuledKey) => string): string
}

/** Every rule `settings` break, errors first. */
export function settingsConflicts (settings: RuledSettings): SettingsConflict[] {
  const found: SettingsConflict[] = []
  if (settings.webhookListen !== undefined && settings.webhookSecretFile === undefined) {
    found.push({
      level: 'error',
      key: 'webhookListen',
      other: 'webhookSecretFile',
      detail: (spell) => `${spell('webhookListen')} needs ${spell('webhookSecretFile')} too: a file (chmod 600) holding the secret the forge signs its deliveries with`
    })
  }
  if (settings.webhookSecretFile !== undefined && settings.webhookListen === undefined) {
    found.push({
      level: 'warning',
      key: 'webhookSecretFile',
      other: 'webhookListen',
      detail: (spell) => `${spell('webhookSecretFile')} is ignored without ${spell('webhookListen')}: the push webhook is off`
    })
  }
  return found
}
