/**
 * `devq share [off|idle|shared|dedicated]`: how the running node lends this machine. With a mode it
 * changes it at once (running attempts go on); alone it prints the current one.
 */
import { Argument, type Command } from 'commander'
import { ShareMode } from '@devq/core'
import { connectApi } from './client.ts'
import type { SharingView } from './sharing.ts'
import type { ShareKept } from './share-keeper.ts'
import { ShareOutput } from './cli-schemas-tools.ts'
import { printResult } from './cli-output.ts'

type DataDirOf = (o: { dataDir?: string }) => string
/** What the share routes answer; `kept` after a change of mode only. */
type ShareAnswer = SharingView & { kept?: ShareKept }

/** One line: the mode first, then whether the user counts as around and why. */
export function describeSharing (v: SharingView): string {
  if (v.mode === 'dedicated' || v.mode === 'off') return v.mode
  const idle = v.idleSeconds === undefined ? 'idle time not known yet' : `no input for ${v.idleSeconds} s`
  const from = v.activitySource === 'desktop' ? 'as the desktop app reports' : v.activitySource === 'probe' ? 'by load and login sessions' : ''
  return `${v.mode} (user ${v.userActive ? 'active' : 'away'}: ${idle} ${from}; away after ${v.idleAfterS} s)`.replace(' ;', ';')
}

/** Adds `devq share` to the program. */
export function shareCommands (program: Command, dataDirOf: DataDirOf): void {
  program.command('share').description('how this machine is lent: off, idle (only while nobody uses it), shared or dedicated; alone, print the mode')
    .addArgument(new Argument('[mode]', 'the new share mode').choices(ShareMode.options))
    .option('--data-dir <dir>').option('--json')
    .action(async (mode: ShareMode | undefined, o: { dataDir?: string, json?: boolean }) => {
      const api = await connectApi(dataDirOf(o))
      const view = mode === undefined ? await api.get<ShareAnswer>('/v1/share') : await api.post<ShareAnswer>('/v1/share', { mode })
      printResult(o.json === true, ShareOutput, view, describeSharing(view))
      // The mode did change; only the next start may lend the machine otherwise.
      if (view.kept !== undefined && 'error' in view.kept) process.stderr.write(`devq: warning: the mode holds until the node restarts: ${view.kept.error}\n`)
    })
}
