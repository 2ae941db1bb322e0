/** `devq hook install`, `devq hook uninstall` and `devq hook announce`: git hooks that build every commit on the grid. */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { describeAdvice } from './hooks/advice.ts'
import { runHookAnnounce } from './hooks/announce.ts'
import { installHooks, uninstallHooks, type InstallResult, type UninstallResult } from './hooks/install.ts'
import { HookInstallOutput, HookUninstallOutput } from './cli-schemas-tools.ts'
import { printResult } from './cli-output.ts'

type DataDirOf = (o: { dataDir?: string }) => string

/** The `devq` entry the hooks run (with the node binary running this process). */
const CLI_ENTRY = fileURLToPath(new URL('../bin/devq.ts', import.meta.url))

function describeInstall (r: InstallResult): string {
  if (r.action === 'advice') return describeAdvice(r.manager, r.tracked, r.advice)
  return [`DevQ's hook block in ${r.hooksDir} (${r.repo}):`, ...r.hooks.map((h) => `  ${h.hook.padEnd(13)} ${h.change.padEnd(9)} ${h.path}`), ...r.warnings.map((w) => `warning: ${w}`)].join('\n')
}

function describeUninstall (r: UninstallResult): string {
  return [`DevQ's hook block in ${r.hooksDir} (${r.repo}):`, ...r.hooks.map((h) => `  ${h.hook.padEnd(13)} ${h.change.padEnd(9)} ${h.path}`), ...r.advice.map((a) => `still in ${a.file}: ${a.text}`)].join('\n')
}

/** Adds `devq hook ...` to the program. */
export function hookCommands (program: Command, dataDirOf: DataDirOf): void {
  const hook = program.command('hook').description('git hooks that announce every commit to the grid in the background (git never waits for DevQ)')
  hook.command('install').description('add DevQ\'s block to the repository\'s post-commit and post-rewrite hooks (with --server: post-receive)')
    .option('--repo <dir>', 'repository directory (default: the current one)').option('--server', 'a shared repository that takes pushes: announce every pushed branch head')
    .option('--data-dir <dir>', 'the data dir of the node the hooks announce to').option('--json', 'print JSON (see doc/cli-json.schema.json)')
    .action(async (o: { repo?: string, server?: boolean, dataDir?: string, json?: boolean }) => {
      const target = { node: process.execPath, cli: CLI_ENTRY, dataDir: resolve(dataDirOf(o)) }
      const result = await installHooks({ dir: resolve(o.repo ?? process.cwd()), server: o.server === true, target })
      printResult(o.json === true, HookInstallOutput, result, describeInstall(result))
    })
  hook.command('uninstall').description('take DevQ\'s block out of the repository\'s hooks (a hook file that held nothing else is deleted)')
    .option('--repo <dir>', 'repository directory (default: the current one)')
    .option('--data-dir <dir>', 'accepted as for install: the block is found by its markers, whatever node it names').option('--json', 'print JSON (see doc/cli-json.schema.json)')
    .action(async (o: { repo?: string, json?: boolean }) => {
      const result = await uninstallHooks({ dir: resolve(o.repo ?? process.cwd()) })
      printResult(o.json === true, HookUninstallOutput, result, describeUninstall(result))
      for (const h of result.hooks) {
        if (h.kept === undefined) continue
        const lines = h.kept.map((l) => `devq:   ${l}\n`).join('')
        process.stderr.write(`devq: ${h.path}: DevQ's block held ${h.kept.length} line(s) DevQ did not write; they stay in the hook where the block was (check they still make sense without DevQ's lines):\n${lines}`)
      }
    })
  hook.command('announce').description('what the hooks run in the background: queue the commit and ask the node to announce it (output: JSON lines; always exits 0)')
    .requiredOption('--data-dir <dir>').option('--repo <dir>').option('--hook <name>', 'post-commit, post-rewrite or post-receive (ref lines on stdin)', 'post-commit')
    .option('--sha <sha>').option('--ref <ref>').option('--rewrite <kind>')
    .action(async (o: Record<string, string | undefined>) => {
      const argv = Object.entries({ 'data-dir': o.dataDir, repo: o.repo, hook: o.hook, sha: o.sha, ref: o.ref, rewrite: o.rewrite }).flatMap(([k, v]) => (v === undefined ? [] : [`--${k}`, v]))
      await runHookAnnounce(argv)
    })
}
