/**
 * Low priority for steps on a machine someone uses (a `shared` or `idle` peer): the step's top
 * process execs through `nice -n 10` and `ionice -c 2 -n 7` before bwrap or bash, so the whole tree,
 * sandboxed or not, inherits both and nothing starts at normal priority first.
 *
 * IO class 2 level 7 (best effort, lowest) rather than class 3 (idle): an idle-class process gets
 * the disk only when nobody else wants it, so a build on a laptop whose user copies files or runs
 * an indexer can stall for minutes and hit its timeout, and while it waits it can hold file-system
 * locks (the ext4 journal) that the user's own writes then queue behind. Best effort 7 lets the
 * user's IO go first and still lets the build finish. Schedulers without IO priorities (`none`,
 * `mq-deadline`) ignore the class, which then costs nothing; the CPU niceness holds everywhere.
 */
import { findExecutable } from './which.ts'

/** The niceness of a low-priority step (0 is normal, 19 the lowest). */
export const LOW_PRIORITY_NICE = 10
/** Its IO scheduling class (2: best effort) and level (7: the lowest of that class). */
export const LOW_PRIORITY_IO = { class: 2, level: 7 } as const

let found: Promise<string[]> | undefined

async function find (): Promise<string[]> {
  const [nice, ionice] = await Promise.all([findExecutable('nice'), findExecutable('ionice')])
  return [
    ...(nice === null ? [] : [nice, '-n', String(LOW_PRIORITY_NICE)]),
    // -t: run the step even where the IO priority cannot be set.
    ...(ionice === null ? [] : [ionice, '-t', '-c', String(LOW_PRIORITY_IO.class), '-n', String(LOW_PRIORITY_IO.level)])
  ]
}

/**
 * The command words to put before a low-priority step: absolute paths of `nice` and `ionice` with
 * their arguments, as far as this machine has them (empty when it has neither). Looked up once per
 * process; concurrent callers share the lookup.
 */
export async function lowPriorityPrefix (): Promise<string[]> {
  found ??= find()
  return await found
}
