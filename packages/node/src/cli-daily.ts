/** The everyday read and control commands: status, jobs, runs, show, retry, cancel, priority. */
import type { Command } from 'commander'
import { statusCommand } from './cli-status.ts'
import { listCommands } from './cli-jobs.ts'
import { showCommand } from './cli-show.ts'
import { actionCommands } from './cli-actions.ts'

type DataDirOf = (o: { dataDir?: string }) => string

/** Adds `devq status|jobs|runs|show|retry|cancel|priority`. */
export function dailyCommands (program: Command, dataDirOf: DataDirOf): void {
  statusCommand(program, dataDirOf)
  listCommands(program, dataDirOf)
  showCommand(program, dataDirOf)
  actionCommands(program, dataDirOf)
}
