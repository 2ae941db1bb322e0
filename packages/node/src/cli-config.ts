/**
 * `devq config list|get|set|unset`: the settings of the node the CLI finds (see locateNode), as
 * that node would resolve them started from this shell with no flags: defaults < config file <
 * environment. The file is the one `--config` or `DEVQ_CONFIG` names, else the one the running
 * node read (its node.json says), else the location's own. A running node reads its file once at
 * start: a change takes effect when it restarts.
 */
import type { Command } from 'commander'
import { FILE_KEYS, LOCATION_KEYS, resolveNodeLocation, resolveSettings, type NodeConfig, type RawConfig, type ResolveOptions, type SettingSource } from './config.ts'
import { settingName } from './config-file.ts'
import { fileKeyOf, parseSettingValue, setSetting, unsetSetting, type SettingsCheck } from './config-edit.ts'
import { locateNode } from './paths.ts'
import { readRuntime, type RuntimeInfo } from './runtime.ts'
import { ConfigGetOutput, ConfigListOutput, ConfigSetOutput, ConfigUnsetOutput, type SettingValue } from './cli-schemas-tools.ts'
import { printResult } from './cli-output.ts'

interface Opts { dataDir?: string, config?: string, json?: boolean }

/** One effective setting, as `list` and `get` print it. */
type SettingLine = ConfigGetOutput

/** The keys `list` shows: where the node keeps its files, then every setting the file may hold. */
const LISTED: readonly (keyof NodeConfig)[] = [...LOCATION_KEYS, ...FILE_KEYS]

/** How to resolve the found node's settings the way it does, and whether it runs now. */
async function target (o: Opts): Promise<{ flags: RawConfig, options: ResolveOptions, running: RuntimeInfo | undefined }> {
  const found = locateNode(o.dataDir, process.env, process.cwd())
  const running = await readRuntime(found.dataDir)
  const flags: RawConfig = found.foundBy === 'flag' ? { dataDir: found.dataDir } : {}
  const defaults: RawConfig = found.foundBy === 'project' ? { dataDir: found.dataDir } : {}
  return { flags, running, options: { configFile: o.config, defaults, runningConfigFile: running?.configFile } }
}

function lineOf (key: keyof NodeConfig, config: NodeConfig, sources: Record<keyof NodeConfig, SettingSource>): SettingLine {
  const source = sources[key] ?? { kind: 'default' }
  // The config schema holds only strings, numbers, booleans and lists of strings at these keys.
  return { key: settingName(key), value: config[key] as SettingValue | undefined, source: source.kind, ...(source.from === undefined ? {} : { from: source.from }) }
}

/** How a value prints: a list comma-separated (empty for none), a setting with no value as `(not set)`. */
function show (value: unknown): string {
  if (value === undefined) return '(not set)'
  return Array.isArray(value) ? value.join(',') : String(value)
}

async function effective (o: Opts): Promise<{ file: string, exists: boolean, settings: SettingLine[] }> {
  const t = await target(o)
  const { config, sources, file, warnings } = resolveSettings(t.flags, process.env, process.cwd(), t.options)
  warn(warnings)
  return { file: file.path, exists: file.exists, settings: LISTED.map((k) => lineOf(k, config, sources)) }
}

/**
 * The file `set` and `unset` change, what to tell about the node that runs on it, and the check
 * of the settings a changed file gives: as that node would resolve them, the cross-setting rules
 * included, so what the node would refuse at start is refused before the file is written.
 */
async function fileToEdit (o: Opts): Promise<{ path: string, running: RuntimeInfo | undefined, check: SettingsCheck }> {
  const t = await target(o)
  const check: SettingsCheck = (file) => resolveSettings(t.flags, process.env, process.cwd(), { ...t.options, file }).warnings
  return { path: resolveNodeLocation(t.flags, process.env, process.cwd(), t.options).configFile, running: t.running, check }
}

function warn (warnings: readonly string[]): void {
  for (const w of warnings) process.stderr.write(`devq: warning: ${w}\n`)
}

function restartNote (running: RuntimeInfo | undefined): string {
  return running === undefined ? 'a devq-node started from now on reads it' : `the node running now (pid ${running.pid}) reads it when it restarts`
}

const withTarget = (cmd: Command): Command => cmd.option('--data-dir <dir>', 'the node\'s data dir').option('--config <file>', 'the config file (default: the node\'s)').option('--json', 'print JSON (see doc/cli-json.schema.json)')

/** Adds `devq config list|get|set|unset` to the program. */
export function configCommands (program: Command): void {
  const config = program.command('config').description('show and change the node\'s settings (config.yml)')
  withTarget(config.command('list').description('every setting with its value and where it comes from (default, file, env)'))
    .action(async (o: Opts) => {
      const all = await effective(o)
      const width = Math.max(...all.settings.map((s) => s.key.length))
      const lines = [`config file ${all.file}${all.exists ? '' : ' (none yet)'}`,
        ...all.settings.map((s) => `${s.key.padEnd(width)}  ${show(s.value)}  (${s.source}${s.from === undefined ? '' : ' ' + s.from})`)]
      printResult(o.json === true, ConfigListOutput, all, lines.join('\n'))
    })
  withTarget(config.command('get <key>').description('one setting\'s value (lists comma-separated); --json adds its source'))
    .action(async (key: string, o: Opts) => {
      const line = (await effective(o)).settings.find((s) => s.key === key)
      if (line === undefined) fileKeyOf(key)
      // For scripts, as `git config` does: a setting with no value prints an empty line.
      printResult(o.json === true, ConfigGetOutput, line!, line!.value === undefined ? '' : show(line!.value))
    })
  withTarget(config.command('set <key> <value>').description('write a setting to the config file (checked first; comments kept)'))
    .action(async (key: string, text: string, o: Opts) => {
      const value = parseSettingValue(key, text)
      const { path, running, check } = await fileToEdit(o)
      warn(await setSetting(path, key, value, check))
      printResult(o.json === true, ConfigSetOutput, { key, value: value as SettingValue, file: path, restartNeeded: true, running: running !== undefined }, `${key} = ${show(value)} in ${path}; ${restartNote(running)}`)
    })
  withTarget(config.command('unset <key>').description('remove a setting from the config file (back to its default)'))
    .action(async (key: string, o: Opts) => {
      const { path, running, check } = await fileToEdit(o)
      const { removed, warnings } = await unsetSetting(path, key, check)
      warn(warnings)
      const text = removed ? `${key} removed from ${path}; ${restartNote(running)}` : `${key} is not set in ${path}`
      printResult(o.json === true, ConfigUnsetOutput, { key, file: path, removed, restartNeeded: removed, running: running !== undefined }, text)
    })
}
