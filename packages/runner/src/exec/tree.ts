/**
 * A step's process tree and how to end it: SIGTERM to every member, then SIGKILL to every member
 * after the grace, whether or not the top process has already exited. Members are the step's
 * process group, its cgroup's member list, and every process carrying its cookie.
 */
import type { Clock, Logger } from '@devq/core'
import type { StepCgroup } from './cgroup.ts'
import { scanTree, sendSignal, type ProcEntry } from './proc.ts'

/** How often the tree is looked at while it is given time to exit, in ms. */
const POLL_MS = 50
/** SIGKILL rounds before giving up on a process that will not die (stuck in uninterruptible sleep). */
const KILL_ROUNDS = 40
/** Longest pause between SIGKILL rounds, in ms. */
const KILL_PAUSE_MAX_MS = 200

/** What identifies one step's tree. */
export interface StepTreeInit {
  /** The top process's pid; it leads the step's process group (spawned detached). */
  top: number
  /** The step's environment cookie. */
  cookie: string
  cgroup: StepCgroup | null
  /**
   * Whether the top process is bwrap holding a pid namespace. bwrap dies of SIGTERM and its
   * namespace dies with it, at once: so SIGTERM spares bwrap's own processes, and the SIGKILL
   * that ends bwrap ends the namespace.
   */
  namespace: boolean
  clock: Clock
  logger: Logger
}

/** One step's tree. `stop` may be called again and concurrently; a call during a stop joins it. */
export interface StepTree {
  /** Live members now. */
  members(): Promise<ProcEntry[]>
  /**
   * Ends the tree: SIGTERM, then (once nothing is left, or after `graceMs`) SIGKILL in rounds
   * until nothing is left. Processes that appear meanwhile get the same. Never rejects.
   */
  stop(graceMs: number): Promise<void>
  /** How many distinct processes other than the top (and bwrap's own) have been signaled. */
  readonly killed: number
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** What the kernel says is left of a tree. */
interface Census {
  /** Live (not zombie) members found by scan. */
  live: ProcEntry[]
  /** Whether the step's process group still has any process, zombies included. */
  group: boolean
  /** Whether anything is left: live members, or (outside a pid namespace) the group or cgroup tasks. */
  busy: boolean
}

/**
 * SIGKILL in rounds, with growing pauses, until nothing of the tree is left; returns the last
 * census, which is `busy` only for processes that survive every round.
 */
async function killRounds (top: number, census: () => Promise<Census>, hit: (p: ProcEntry, signal: NodeJS.Signals) => void): Promise<Census> {
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const now = await census()
    if (!now.busy) return now
    // The group id cannot have been reused while the group still has a process (zombies too).
    if (now.group) sendSignal(-top, 'SIGKILL')
    for (const p of now.live) hit(p, 'SIGKILL')
    await sleep(Math.min(10 * 2 ** round, KILL_PAUSE_MAX_MS))
  }
  return await census()
}

/** Makes the tree of a step whose top process has been spawned. */
export function createStepTree (init: StepTreeInit): StepTree {
  const signaled = new Set<number>()
  const bwrapPids = new Set<number>()
  let running: Promise<void> | null = null

  // A /proc scan is no snapshot: a fork bomb's generations can be born and die between reading
  // the pid list and reading each pid, so an empty scan proves nothing alone. The process group
  // (kill(-pgid, 0)) and the cgroup's task list are the kernel's own answers, zombies included.
  const census = async (): Promise<Census> => {
    const pids = init.cgroup === null ? undefined : await init.cgroup.members()
    const live = await scanTree({ pgid: init.top, cookie: init.cookie, pids })
    if (init.namespace) for (const p of live) if (p.pid === init.top || p.ppid === init.top) bwrapPids.add(p.pid)
    const group = sendSignal(-init.top, 0)
    // In a pid namespace the kernel ends every member before the namespace's init may become a
    // zombie, so zombies there (bwrap's init, waiting for its new parent to reap it) run nothing.
    const held = !init.namespace && (group || (pids?.size ?? 0) > 0)
    return { live, group, busy: live.length > 0 || held }
  }
  const hit = (p: ProcEntry, signal: NodeJS.Signals): void => {
    if (sendSignal(p.pid, signal) && p.pid !== init.top && !bwrapPids.has(p.pid)) signaled.add(p.pid)
  }

  const terminate = async (graceMs: number): Promise<boolean> => {
    const deadline = init.clock.monotonicMs() + graceMs
    const termed = new Set<number>()
    for (let first = true; ; first = false) {
      const { live, group, busy } = await census()
      if (!busy) return true
      // One signal to the group reaches members forked since the scan; outside a namespace only.
      if (first && !init.namespace && group && sendSignal(-init.top, 'SIGTERM')) {
        for (const p of live) if (p.pgrp === init.top) { termed.add(p.pid); if (p.pid !== init.top) signaled.add(p.pid) }
      }
      for (const p of live) {
        if (termed.has(p.pid) || bwrapPids.has(p.pid)) continue
        termed.add(p.pid)
        hit(p, 'SIGTERM')
      }
      const left = deadline - init.clock.monotonicMs()
      if (left <= 0) return false
      await sleep(Math.min(POLL_MS, left))
    }
  }

  const run = async (graceMs: number): Promise<void> => {
    try {
      if (await terminate(graceMs)) return
      const left = await killRounds(init.top, census, hit)
      if (left.busy) init.logger.warn({ top: init.top, group: left.group, stuck: left.live.map((p) => ({ pid: p.pid, state: p.state })) }, 'step processes survive SIGKILL')
    } catch (err) {
      init.logger.error({ top: init.top, err }, 'could not end a step tree')
    }
  }

  return {
    members: async () => (await census()).live,
    async stop (graceMs) {
      if (running !== null) return await running
      const current = run(graceMs).finally(() => { if (running === current) running = null })
      running = current
      await current
    },
    get killed () { return signaled.size }
  }
}
