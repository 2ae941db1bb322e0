/**
 * Where each setting came from, and errors that name it the way its user wrote it: a flag as
 * `--step-max-processes`, a variable as `DEVQ_STEP_MAX_PROCESSES`, a file setting as the file
 * spells it at its `file:line:col`. config.ts merges the sources; this module words their errors.
 */
import type { z } from 'zod'
import { ConfigError } from './errors.ts'
import { describeIssue, issuePathName, settingName, type ConfigFile } from './config-file.ts'
import { settingsConflicts, type RuledSettings } from './config-rules.ts'

/** Where an effective setting came from: `from` names the flag, variable or `file:line:col`. */
export interface SettingSource {
  kind: 'default' | 'file' | 'env' | 'flag'
  from?: string
}

/** Sources by config key (camelCase). */
type Sources = Readonly<Partial<Record<string, SettingSource>>>

/** Flags that set one field of an object setting: `--fault-drop` is `faults.drop`. */
const NESTED_FLAG_PREFIX: Readonly<Record<string, string>> = { faults: 'fault', clockFault: 'fault-clock' }

/** The flag that sets the value at `path` (a config key, then fields or indexes inside it). */
export function flagOf (path: readonly PropertyKey[]): string {
  const [key, field] = path
  const prefix = NESTED_FLAG_PREFIX[String(key)]
  return prefix !== undefined && typeof field === 'string' ? `--${prefix}-${settingName(field)}` : `--${settingName(String(key))}`
}

/** How a user spells `key` where a source of `kind` sets it: `--share-mode`, `DEVQ_SHARE_MODE`, or `share-mode` in the file. */
export function spelledAs (key: string, kind: SettingSource['kind'], envNameOf: (key: string) => string | undefined): string {
  if (kind === 'flag') return flagOf([key])
  if (kind === 'env') return envNameOf(key) ?? settingName(key)
  return settingName(key)
}

/** Where the value at `path` was set, as an error names it: `file:line:col`, `environment DEVQ_X`, `flag --x` or `defaults`. */
function sourceText (from: SettingSource, path: readonly PropertyKey[], file: ConfigFile): string {
  if (from.kind === 'file') return file.where(path)
  if (from.kind === 'env') return `environment ${from.from ?? ''}`
  if (from.kind === 'flag') return `flag ${flagOf(path)}`
  return 'defaults'
}

/**
 * The ConfigError for a value the schema refused (`issue`, its key's `field` and `value`). A file's
 * error names the setting as the file spells it; a variable or a flag named as the source is the
 * setting itself, so only an entry inside a list is added (`entry 2: ...`).
 */
export function invalidSetting (issue: z.core.$ZodIssue, field: unknown, value: unknown, sources: Sources, file: ConfigFile): ConfigError {
  const key = String(issue.path[0] ?? '')
  const from = sources[key] ?? { kind: 'default' }
  const source = sourceText(from, issue.path, file)
  const detail = describeIssue(issue, field, value)
  const entries = issue.path.slice(1).filter((p) => typeof p === 'number').map((i) => `entry ${i + 1}: `).join('')
  const named = from.kind === 'file' ? `${issuePathName(issue.path)}: ` : from.kind === 'default' ? `${settingName(key)}: ` : entries
  return new ConfigError(`${source}: ${named}${detail}`, { source, key: settingName(key), detail })
}

/**
 * The rules between settings (config-rules.ts) applied to merged, checked `settings`: throws
 * ConfigError for a broken one, placed where its setting was set and spelling both settings as the
 * user does there; returns the warnings, placed and spelled alike.
 */
export function applySettingsRules (settings: RuledSettings, sources: Sources, file: ConfigFile, envNameOf: (key: string) => string | undefined): string[] {
  const warnings: string[] = []
  for (const conflict of settingsConflicts(settings)) {
    const from = sources[conflict.key] ?? { kind: 'default' }
    const source = sourceText(from, [conflict.key], file)
    const detail = conflict.detail((k) => spelledAs(k, from.kind, envNameOf))
    if (conflict.level === 'warning') warnings.push(`${source}: ${detail}`)
    else throw new ConfigError(`${source}: ${detail}`, { source, key: settingName(conflict.key), detail })
  }
  return warnings
}
