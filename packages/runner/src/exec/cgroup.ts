/**
 * Per-step control groups: the member list of a step's tree, and its process and memory limits.
 *
 * Works with cgroup v2 (one directory with the `pids` and `memory` controllers enabled for its
 * children) and with cgroup v1 (separate writable `pids` and `memory` hierarchies). A step cgroup
 * is made as a child of this process's own place in each hierarchy, as /proc/self/cgroup names it,
 * so it stays inside whatever limits the runner itself runs under.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '@devq/core'

/** Where step cgroups can be made on this machine. */
export interface CgroupSupport {
  readonly version: 1 | 2
  /** Parent directory for step cgroups that limit processes (v2: the same as `memory`). */
  readonly pids: string | null
  /** Parent directory for step cgroups that limit memory. */
  readonly memory: string | null
}

/** A step's own cgroup (one directory per hierarchy). Not for concurrent removal. */
export interface StepCgroup {
  /** `cgroup.procs` files the step's first process writes its pid to before it runs anything. */
  readonly procsFiles: readonly string[]
  /** Whether `pids.max` binds this step (else the caller falls back to rlimits). */
  readonly limitsProcesses: boolean
  /** Whether a memory limit binds this step. */
  readonly limitsMemory: boolean
  /** Pids now in the cgroup. */
  members(): Promise<Set<number>>
  /** Which limit the step has run into so far: a refused fork, or a kill by the OOM killer. */
  limitHit(): Promise<'processes' | 'memory' | null>
  /** Removes the directories; retries for up to a minute while the last members are reaped. Idempotent. */
  remove(): Promise<boolean>
}

/** Limits for one step's cgroup. */
export interface CgroupLimits {
  /** Tasks (processes and threads) the step may have at once. */
  maxProcesses: number
  maxMemoryBytes: number
}

interface MountInfo { root: string, mountPoint: string, fsType: string, superOptions: string[] }

/** Parses /proc/self/mountinfo lines into the fields used here; octal escapes (`\040`) decoded. */
export function parseMountInfo (text: string): MountInfo[] {
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)))
  const mounts: MountInfo[] = []
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ')
    if (left === undefined || right === undefined) continue
    const fields = left.split(' ')
    const [fsType, , superOptions] = right.split(' ')
    if (fields[3] === undefined || fields[4] === undefined || fsType === undefined) continue
    mounts.push({ root: unescape(fields[3]), mountPoint: unescape(fields[4]), fsType, superOptions: (superOptions ?? '').split(',') })
  }
  return mounts
}

/** Parses /proc/self/cgroup into controller (or `''` for v2) -> path. */
export function parseProcCgroup (text: string): Map<string, string> {
  const places = new Map<string, string>()
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line)
    if (match === null) continue
    const controllers = match[1] ?? ''
    for (const c of controllers === '' ? [''] : controllers.split(',')) places.set(c, match[2] ?? '/')
  }
  return places
}

/** The directory of `place` (a path inside the hierarchy) under a mount that shows `root` of it. */
function dirOf (mount: MountInfo, place: string): string | null {
  if (mount.root === '/') return join(mount.mountPoint, place)
  if (place !== mount.root && !place.startsWith(mount.root + '/')) return null
  return join(mount.mountPoint, place.slice(mount.root.length))
}

/** Whether a child cgroup can be made (and removed) in `dir`: the only honest test of writability. */
async function canMakeChild (dir: string, controllers: string[] = []): Promise<boolean> {
  const probe = join(dir, `devq-probe-${randomBytes(4).toString('hex')}`)
  try {
    await mkdir(probe)
  } catch {
    return false
  }
  try {
    if (controllers.length === 0) return true
    const have = (await readFile(join(probe, 'cgroup.controllers'), 'utf8')).trim().split(/\s+/)
    return controllers.every((c) => have.includes(c))
  } catch {
    return false
  } finally {
    await rmdir(probe).catch(() => {})
  }
}

async function detectV2 (mounts: MountInfo[], places: Map<string, string>): Promise<CgroupSupport | null> {
  const mount = mounts.find((m) => m.fsType === 'cgroup2')
  const place = places.get('')
  if (mount === undefined || place === undefined) return null
  const dir = dirOf(mount, place)
  if (dir === null) return null
  // Children get controllers only if this directory delegates them; a non-root cgroup that holds
  // processes cannot, so this succeeds only where the runner was given a delegated subtree.
  await writeFile(join(dir, 'cgroup.subtree_control'), '+pids +memory').catch(() => {})
  return await canMakeChild(dir, ['pids', 'memory']) ? { version: 2, pids: dir, memory: dir } : null
}

async function detectV1 (mounts: MountInfo[], places: Map<string, string>): Promise<CgroupSupport | null> {
  const find = async (controller: string): Promise<string | null> => {
    const mount = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(controller))
    const place = places.get(controller)
    if (mount === undefined || place === undefined) return null
    const dir = dirOf(mount, place)
    return dir !== null && await canMakeChild(dir) ? dir : null
  }
  const pids = await find('pids')
  const memory = await find('memory')
  return pids === null && memory === null ? null : { version: 1, pids, memory }
}

/**
 * Finds where this process may make step cgroups: v2 first, then v1. Null where neither is
 * writable (an unprivileged runner without delegation, most containers). Probes by making and
 * removing a child directory.
 */
export async function detectCgroups (): Promise<CgroupSupport | null> {
  try {
    const mounts = parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'))
    const places = parseProcCgroup(await readFile('/proc/self/cgroup', 'utf8'))
    return await detectV2(mounts, places) ?? await detectV1(mounts, places)
  } catch {
    return null
  }
}

async function readCounter (file: string, key: string): Promise<number> {
  try {
    const text = await readFile(file, 'utf8')
    const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text)
    return match === null ? 0 : Number(match[1])
  } catch {
    return 0
  }
}

async function writeLimits (support: CgroupSupport, dirs: { pids: string | null, memory: string | null }, limits: CgroupLimits): Promise<void> {
  if (dirs.pids !== null) await writeFile(join(dirs.pids, 'pids.max'), String(limits.maxProcesses))
  if (dirs.memory === null) return
  const bytes = String(limits.maxMemoryBytes)
  if (support.version === 2) {
    await writeFile(join(dirs.memory, 'memory.max'), bytes)
    await writeFile(join(dirs.memory, 'memory.swap.max'), '0').catch(() => {})
  } else {
    await writeFile(join(dirs.memory, 'memory.limit_in_bytes'), bytes)
    // memsw (memory + swap) exists only with swap accounting; where it does, swap may not dodge the limit.
    await writeFile(join(dirs.memory, 'memory.memsw.limit_in_bytes'), bytes).catch(() => {})
  }
}

/** How long removal keeps trying, in ms: a zombie member stays in the cgroup until it is reaped. */
const REMOVE_PATIENCE_MS = 60_000
const REMOVE_PAUSE_MAX_MS = 500

async function removeDir (dir: string): Promise<boolean> {
  // rmdir fails with EBUSY while a member is still a zombie; an orphan waits for its new parent
  // (often pid 1, which on some machines reaps only now and then).
  const deadline = Date.now() + REMOVE_PATIENCE_MS
  for (let pause = 10; ; pause = Math.min(pause * 2, REMOVE_PAUSE_MAX_MS)) {
    try {
      await rmdir(dir)
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true
      if (Date.now() + pause > deadline) return false
      await new Promise((resolve) => setTimeout(resolve, pause))
    }
  }
}

const removals = new Set<Promise<void>>()

/**
 * Removes a step's cgroup without making the caller wait for its last zombies to be reaped;
 * logs a warning if it cannot within a minute. `settleStepCgroups` waits for these.
 */
export function removeStepCgroupLater (cgroup: StepCgroup, logger: Logger): void {
  const removal = cgroup.remove().then((removed) => {
    if (!removed) logger.warn({ dirs: cgroup.procsFiles }, 'could not remove a step cgroup')
  }, (err: unknown) => { logger.warn({ err }, 'could not remove a step cgroup') })
  removals.add(removal)
  void removal.finally(() => { removals.delete(removal) })
}

/** Waits until every step cgroup handed to `removeStepCgroupLater` is removed or given up on. For shutdown and tests. */
export async function settleStepCgroups (): Promise<void> {
  while (removals.size > 0) await Promise.all([...removals])
}

/**
 * Makes a step's cgroup with its limits set, before any process joins it. On failure, what was
 * made is removed again and the error is thrown (the caller falls back to rlimits).
 */
export async function createStepCgroup (support: CgroupSupport, limits: CgroupLimits): Promise<StepCgroup> {
  const name = `devq-step-${randomBytes(6).toString('hex')}`
  const pidsDir = support.pids === null ? null : join(support.pids, name)
  const memoryDir = support.memory === null ? null : support.version === 2 ? pidsDir : join(support.memory, name)
  const dirs = [...new Set([pidsDir, memoryDir].filter((d) => d !== null))]
  const remove = async (): Promise<boolean> => (await Promise.all(dirs.map(removeDir))).every(Boolean)
  try {
    for (const dir of dirs) await mkdir(dir)
    await writeLimits(support, { pids: pidsDir, memory: memoryDir }, limits)
  } catch (err) {
    await remove()
    throw err
  }
  const oomFile = memoryDir === null ? null : join(memoryDir, support.version === 2 ? 'memory.events' : 'memory.oom_control')
  return {
    procsFiles: dirs.map((d) => join(d, 'cgroup.procs')),
    limitsProcesses: pidsDir !== null,
    limitsMemory: memoryDir !== null,
    async members () {
      const lists = await Promise.all(dirs.map(async (d) => await readFile(join(d, 'cgroup.procs'), 'utf8').catch(() => '')))
      return new Set(lists.flatMap((l) => l.split('\n')).filter((s) => s !== '').map(Number))
    },
    async limitHit () {
      if (pidsDir !== null && await readCounter(join(pidsDir, 'pids.events'), 'max') > 0) return 'processes'
      if (oomFile !== null && await readCounter(oomFile, 'oom_kill') > 0) return 'memory'
      return null
    },
    remove
  }
}
