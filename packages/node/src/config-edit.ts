/**
 * `devq config set` and `unset`: one setting changed in the YAML config file through yaml's
 * Document API, so comments, order and the other settings stay as they were. The value is checked
 * against the config schema first and the whole file after the change; the file is replaced
 * atomically and keeps its mode (a new one is 0644: settings are not secrets, and under systemd
 * the node's user must read a file root wrote).
 */
import { mkdir, realpath, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Document, isMap, isNode, isScalar, type Node, type YAMLMap } from 'yaml'
import type { z } from 'zod'
import { coerce, FILE_KEYS, fileRules, type NodeConfig } from './config.ts'
import { describeIssue, explainUnknownSetting, parseConfigText, parseYaml, readConfigText, settingName, type ConfigFile } from './config-file.ts'
import { ConfigError } from './errors.ts'
import { writeFileAtomically } from './private-file.ts'

/** The schema key a file setting name stands for; throws ConfigError when the file may not set it. */
export function fileKeyOf (name: string): keyof NodeConfig {
  const key = FILE_KEYS.find((k) => settingName(k) === name)
  if (key === undefined) throw new ConfigError(`${name}: ${explainUnknownSetting(name, fileRules)}`, { source: 'devq config', key: name, detail: 'unknown' })
  return key
}

/** The value `text` gives setting `name`, checked against the schema (lists are comma-separated, as for flags). */
export function parseSettingValue (name: string, text: string): unknown {
  const key = fileKeyOf(name)
  const field = fileRules.schema.shape[key] as z.ZodType
  const value = coerce(key, text)
  const parsed = field.safeParse(value)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  const detail = describeIssue({ ...issue, path: [key, ...issue.path] } as z.core.$ZodIssue, field, value)
  throw new ConfigError(`${name}: ${detail}`, { source: 'devq config set', key: name, detail })
}

/** The file's document: parsed for editing (syntax checked), or a new empty one. */
function editable (path: string): Document {
  const text = readConfigText(path, false)
  if (text === undefined) return new Document({})
  const doc: Document = parseYaml(text, path).doc
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) doc.contents = doc.createNode({})
  if (!isMap(doc.contents)) throw new ConfigError(`${path}:1:1: the config file must be a mapping of settings (name: value)`, { source: path, key: '', detail: 'not a mapping' })
  return doc
}

/** The document as text; one with no settings left is its comments alone (yaml would write `{}`). */
function render (doc: Document): string {
  if (!isMap(doc.contents) || doc.contents.items.length > 0) return doc.toString({ flowCollectionPadding: false })
  const comments = [doc.commentBefore, doc.contents.commentBefore, doc.comment].filter((c): c is string => typeof c === 'string')
  return comments.flatMap((c) => c.split('\n')).map((line) => line === '' ? '' : `#${line}`).join('\n') + '\n'
}

/**
 * Checks the settings a file would give, with every other source a node reads (config.ts's
 * resolveSettings); throws ConfigError when the node would refuse them, returns the warnings.
 */
export type SettingsCheck = (file: ConfigFile) => string[]

async function save (given: string, doc: Document, check: SettingsCheck): Promise<string[]> {
  const text = render(doc)
  // The file as it will be must check out whole, and with the rest of the node's settings: a
  // change never leaves a file the node refuses.
  const warnings = check(parseConfigText(text, given, fileRules))
  // A config file that is a link (to /etc/devq, say) stays one: the file it points to changes.
  const path = await realpath(given).catch(() => given)
  const mode = await stat(path).then((s) => s.mode & 0o777, () => 0o644)
  await mkdir(dirname(path), { recursive: true, mode: 0o755 })
  await writeFileAtomically(path, text, mode)
  return warnings
}

/**
 * Sets setting `name` to `value` (already checked by parseSettingValue) in the file at `path`,
 * once `check` takes the settings that gives; answers its warnings. A scalar changes in place
 * (a number written plainly, not in the old one's `2000.0` or `1e3` form); a new node takes over
 * the old one's comments.
 */
export async function setSetting (path: string, name: string, value: unknown, check: SettingsCheck): Promise<string[]> {
  return await setSettings(path, { [name]: value }, check)
}

/** Sets several settings as `setSetting` sets one, in one write of the file. */
export async function setSettings (path: string, values: Readonly<Record<string, unknown>>, check: SettingsCheck): Promise<string[]> {
  for (const name of Object.keys(values)) fileKeyOf(name)
  const doc = editable(path)
  for (const [name, value] of Object.entries(values)) setIn(doc, name, value)
  return await save(path, doc, check)
}

function setIn (doc: Document, name: string, value: unknown): void {
  const old = doc.get(name, true)
  if (isScalar(old) && !Array.isArray(value)) {
    old.value = value
    if (typeof value === 'number') {
      delete old.format
      delete old.minFractionDigits
    }
    return
  }
  const node = doc.createNode(value, { flow: Array.isArray(value) })
  if (isNode(old)) Object.assign(node, { comment: old.comment, commentBefore: old.commentBefore })
  doc.set(name, node)
}

/**
 * Removes setting `name` from the file at `path`, once `check` takes the settings that leaves;
 * `removed` is false when the file did not set it. Comments on the lines above it stay (they move
 * to what follows); one at the end of its own line goes with it.
 */
export async function unsetSetting (path: string, name: string, check: SettingsCheck): Promise<{ removed: boolean, warnings: string[] }> {
  fileKeyOf(name)
  const doc = editable(path)
  const map = doc.contents as YAMLMap
  const at = map.items.findIndex((p) => isScalar(p.key) && p.key.value === name)
  if (at === -1) return { removed: false, warnings: [] }
  const above = isNode(map.items[at]!.key) ? (map.items[at]!.key as Node).commentBefore : undefined
  map.items.splice(at, 1)
  if (above !== undefined && above !== null) {
    const next = map.items[at]?.key
    if (isNode(next)) next.commentBefore = next.commentBefore === undefined || next.commentBefore === null ? above : `${above}\n${next.commentBefore}`
    else doc.comment = doc.comment === undefined || doc.comment === null ? above : `${doc.comment}\n${above}`
  }
  return { removed: true, warnings: await save(path, doc, check) }
}
