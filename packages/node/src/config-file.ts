/**
 * The node's YAML config file: read with a size cap, parsed with positions kept, and checked key
 * by key against the config schema, so every error names the file, the line and column, and the
 * setting. Settings are spelled as the flags are, in kebab-case (`share-mode`, `workspace-budget-mb`).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml'
import { z } from 'zod'
import { ConfigError } from './errors.ts'

/** Largest config file read, bytes. */
export const MAX_CONFIG_FILE_BYTES = 64 * 1024

/** The file's spelling of a config key: `shareMode` is `share-mode`, as the flag `--share-mode`. */
export const settingName = (key: string): string => key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())

/** What the file may set, and the schema its values must meet. */
export interface FileRules {
  /** The whole config schema; one key's schema checks that key's value. */
  schema: z.ZodObject
  /** Schema keys the file may set. */
  keys: readonly string[]
  /** Why a schema key the file may not set is refused (undefined: it may). */
  refused(key: string): string | undefined
}

/** A config file as read: its values by schema key, and where each is. */
export interface ConfigFile {
  path: string
  exists: boolean
  /** Values by schema key (camelCase), checked against the schema. */
  values: Record<string, unknown>
  /** `path:line:col` of the value at `at` (a schema key, then indexes inside it). */
  where(at: readonly PropertyKey[]): string
}

/** A parsed config document with what it takes to edit it and to place errors. */
export interface ParsedConfig extends ConfigFile {
  doc: Document.Parsed
}

function fail (where: string, key: string, detail: string): never {
  throw new ConfigError(`${where}: ${key === '' ? '' : key + ': '}${detail}`, { source: where, key, detail })
}

/**
 * The text of the file at `path`, or undefined when there is none and `required` is false.
 * Throws ConfigError when it is missing but required, not a regular file, unreadable or larger
 * than MAX_CONFIG_FILE_BYTES.
 */
export function readConfigText (path: string, required: boolean): string | undefined {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && !required) return undefined
    return fail(path, '', code === 'ENOENT' ? 'no such config file' : `cannot read the config file: ${(err as Error).message}`)
  }
  try {
    const info = fstatSync(fd)
    if (!info.isFile()) fail(path, '', 'the config file is not a regular file')
    if (info.size > MAX_CONFIG_FILE_BYTES) fail(path, '', `the config file is ${info.size} bytes, more than the ${MAX_CONFIG_FILE_BYTES} it may have`)
    const buffer = Buffer.alloc(MAX_CONFIG_FILE_BYTES + 1)
    const length = readSync(fd, buffer, 0, buffer.length, 0)
    if (length > MAX_CONFIG_FILE_BYTES) fail(path, '', `the config file is larger than the ${MAX_CONFIG_FILE_BYTES} bytes it may have`)
    return utf8Text(buffer.subarray(0, length), path)
  } finally {
    closeSync(fd)
  }
}

/** `bytes` as text; throws ConfigError naming `path` (and the line) when they are not UTF-8. A BOM is dropped, as YAML allows. */
function utf8Text (bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    // Only on the way to the error: find the first byte that is not UTF-8, to name its line.
    const decoder = new TextDecoder('utf-8', { fatal: true })
    let line = 1
    for (let i = 0; i < bytes.length; i++) {
      try {
        decoder.decode(bytes.subarray(i, i + 1), { stream: true })
      } catch {
        break
      }
      if (bytes[i] === 0x0a) line++
    }
    return fail(path, '', `the config file is not UTF-8 text (line ${line} holds bytes that are not): it must be YAML in UTF-8`)
  }
}

/** Edit distance, for naming the setting a typo meant. */
function distance (a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]!
}

/** Why `name` is not a setting of the file, with the likely fix. */
export function explainUnknownSetting (name: string, rules: FileRules): string {
  const asKey = name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())
  const refused = Object.hasOwn(rules.schema.shape, asKey) ? rules.refused(asKey) : undefined
  if (refused !== undefined && settingName(asKey) === name) return `cannot be set in the config file: ${refused}`
  const names = rules.keys.map(settingName)
  if (names.includes(settingName(name))) return `settings are spelled in kebab-case, as the flags are: ${settingName(name)}`
  const best = names.map((n) => ({ n, d: distance(name, n) })).sort((x, y) => x.d - y.d)[0]
  const hint = best !== undefined && best.d <= Math.max(2, Math.floor(name.length / 4)) ? `; did you mean ${best.n}?` : ''
  return `not a setting${hint}`
}

/** The schema and the value at `path` inside a key's `field` and `value` (fields of objects, entries of lists). */
function inside (field: unknown, value: unknown, path: readonly PropertyKey[]): { field: unknown, value: unknown } {
  let at = { field, value }
  for (const step of path) {
    const next = at.field instanceof z.ZodObject ? at.field.shape[String(step)] : at.field instanceof z.ZodArray ? at.field.element : undefined
    const v = typeof at.value === 'object' && at.value !== null ? (at.value as Record<PropertyKey, unknown>)[step] : undefined
    at = { field: next, value: v }
  }
  return at
}

/**
 * A zod issue (its path from the config key on) as a person reads it; number ranges come from the
 * schema of the value the issue is about, the key's own or a field inside it.
 */
export function describeIssue (issue: z.core.$ZodIssue, keyField: unknown, keyValue: unknown): string {
  const { field, value } = inside(keyField, keyValue, issue.path.slice(1))
  if (field instanceof z.ZodNumber && ['too_big', 'too_small', 'invalid_type'].includes(issue.code)) {
    const whole = field.isInt && typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)
    return `expected a ${whole ? 'whole ' : ''}number from ${field.minValue ?? '-∞'} to ${field.maxValue ?? '∞'}`
  }
  if (field instanceof z.ZodBoolean && issue.code === 'invalid_type') return 'expected true or false'
  if (field instanceof z.ZodArray && issue.code === 'invalid_type') return 'expected a list'
  if (field instanceof z.ZodArray && issue.code === 'too_big') return `expected at most ${String(issue.maximum)} entries`
  return issue.message
}

/** A schema key and indexes inside its value, as the file spells them: `labels[2]`. */
export function issuePathName (at: readonly PropertyKey[]): string {
  const [key, ...rest] = at
  return settingName(String(key ?? '')) + rest.map((p) => typeof p === 'number' ? `[${p}]` : `.${String(p)}`).join('')
}

/**
 * YAML text from `path` as a document, and `at(offset)` giving `path:line:col`. Throws
 * ConfigError at the first syntax error (duplicate keys included).
 */
export function parseYaml (text: string, path: string): { doc: Document.Parsed, at: (offset: number | undefined) => string } {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true })
  const at = (offset: number | undefined): string => {
    const pos = lines.linePos(offset ?? 0)
    return `${path}:${pos.line}:${pos.col}`
  }
  const syntax = doc.errors[0]
  if (syntax !== undefined) fail(at(syntax.pos[0]), '', syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''))
  return { doc, at }
}

/** Most times aliases may expand in a config file: more is an alias bomb, not a config. */
const MAX_ALIAS_EXPANSIONS = 100

/** The mapping document `doc` as plain values; throws ConfigError naming `path` when its aliases expand too far. */
function expanded (doc: Document.Parsed, path: string): Record<string, unknown> {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS }) as Record<string, unknown>
  } catch (err) {
    // yaml throws a plain error here, with neither the file nor a place in it.
    const message = (err as Error).message
    if (/excessive alias/i.test(message)) fail(path, '', `its YAML aliases (*name) expand to more than ${MAX_ALIAS_EXPANSIONS} copies, as an alias bomb does: write the values out instead`)
    return fail(path, '', message)
  }
}

/**
 * Parses config text from `path` (for positions and messages). Throws ConfigError at the first
 * problem: YAML syntax, a top level that is not a mapping, a key that is not a setting or may not
 * be set here, a value the schema refuses.
 */
export function parseConfigText (text: string, path: string, rules: FileRules): ParsedConfig {
  const { doc, at } = parseYaml(text, path)
  const where = (issuePath: readonly PropertyKey[]): string => {
    const [key, ...rest] = issuePath
    const name = settingName(String(key ?? ''))
    const node = doc.getIn([name, ...rest], true) as { range?: readonly number[] } | undefined
    const pair = isMap(doc.contents) ? doc.contents.items.find((p) => isScalar(p.key) && p.key.value === name) : undefined
    return at(node?.range?.[0] ?? (isScalar(pair?.key) ? pair.key.range?.[0] : undefined))
  }
  const values: Record<string, unknown> = {}
  if (doc.contents !== null && !(isScalar(doc.contents) && doc.contents.value === null)) {
    if (!isMap(doc.contents)) fail(at(doc.contents.range?.[0]), '', 'the config file must be a mapping of settings (name: value)')
    const js = expanded(doc, path)
    for (const pair of doc.contents.items) {
      const keyRange = pair.key?.range[0]
      if (!isScalar(pair.key) || typeof pair.key.value !== 'string') fail(at(keyRange), String(isScalar(pair.key) ? pair.key.value : ''), 'a setting name must be a plain string')
      const name = pair.key.value
      const key = rules.keys.find((k) => settingName(k) === name)
      if (key === undefined) fail(at(keyRange), name, explainUnknownSetting(name, rules))
      values[key] = js[name]
    }
  }
  checkValues(values, rules, where)
  return { path, exists: true, values, where, doc }
}

/** Checks each value against its key's schema; throws ConfigError at the first refused one. */
function checkValues (values: Record<string, unknown>, rules: FileRules, where: (at: readonly PropertyKey[]) => string): void {
  for (const [key, value] of Object.entries(values)) {
    const field = rules.schema.shape[key] as z.ZodType
    const parsed = field.safeParse(value)
    if (parsed.success) {
      values[key] = parsed.data
      continue
    }
    const issue = parsed.error.issues[0]!
    const full = [key, ...issue.path]
    fail(where(full), issuePathName(full), describeIssue({ ...issue, path: full } as z.core.$ZodIssue, field, value))
  }
}

/** Reads and checks the config file; a missing one is empty unless `required` (it was named explicitly). */
export function loadConfigFile (path: string, required: boolean, rules: FileRules): ConfigFile {
  const text = readConfigText(path, required)
  if (text === undefined) return { path, exists: false, values: {}, where: () => path }
  return parseConfigText(text, path, rules)
}
