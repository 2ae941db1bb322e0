/**
 * The newest heartbeat stamp taken from each peer, kept in the data dir across restarts: without
 * it, a heartbeat recorded before a restart and replayed after it would be taken again, and a dead
 * peer would look live. Read back checked in full (it is input from the disk); a file that does not
 * check out is ignored with a warning (and written anew), never trusted in part.
 */
import { z } from 'zod'
import type { Logger } from '@devq/core'
import { limits, PRESENCE_BOOT, type PresenceStamps } from '@devq/p2p'
import { DATA_ENTRIES, dataPath } from './paths.ts'
import { readPrivateFile, writePrivateFile } from './private-file.ts'

/** The file, in the data dir. */
export const PRESENCE_STAMPS_FILE = DATA_ENTRIES.presenceStamps
/** How often the stamps are written while the node runs, ms (and once more as it stops). */
export const STAMPS_SAVE_MS = 30_000
/** Largest file read back, bytes: the tracked peers at about 300 bytes each. */
const MAX_STAMPS_BYTES = limits.PRESENCE_MAX_TRACKED_PEERS * 400

const Boot = z.string().regex(PRESENCE_BOOT)
const StampsFile = z.strictObject({
  v: z.literal(1),
  stamps: z.record(z.string().min(1).max(128), z.strictObject({
    boot: Boot,
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    retired: z.array(Boot).max(limits.PRESENCE_RETIRED_BOOTS)
  }))
})

/** The stamps kept by an earlier run, or undefined (none, or a file that does not check out). */
export async function loadPresenceStamps (dataDir: string, logger: Logger): Promise<PresenceStamps | undefined> {
  const path = dataPath(dataDir, 'presenceStamps')
  try {
    const bytes = await readPrivateFile(path, 'heartbeat stamps', MAX_STAMPS_BYTES, (message) => new Error(message))
    if (bytes === undefined) return undefined
    const parsed = StampsFile.safeParse(JSON.parse(bytes.toString('utf8')))
    if (!parsed.success) throw new Error(parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; '))
    const stamps = parsed.data.stamps
    if (Object.keys(stamps).length > limits.PRESENCE_MAX_TRACKED_PEERS) throw new Error(`more than ${limits.PRESENCE_MAX_TRACKED_PEERS} peers`)
    return stamps
  } catch (err) {
    logger.warn({ path, err: (err as Error).message }, 'heartbeat stamps not read back: replays of heartbeats from before this start are not recognised')
    return undefined
  }
}

/** Writes the mesh's stamps now and then, and once more on `close`. */
export function keepPresenceStamps (mesh: { presenceStamps: () => PresenceStamps }, dataDir: string, logger: Logger): { close: () => Promise<void> } {
  const path = dataPath(dataDir, 'presenceStamps')
  let last = ''
  let writing: Promise<void> = Promise.resolve()
  const save = async (): Promise<void> => {
    const text = JSON.stringify({ v: 1, stamps: mesh.presenceStamps() })
    if (text === last) return
    last = text
    await writePrivateFile(path, text + '\n').catch((err: unknown) => { logger.warn({ path, err }, 'heartbeat stamps not written') })
  }
  const timer = setInterval(() => { writing = writing.then(save) }, STAMPS_SAVE_MS)
  timer.unref()
  return {
    async close () {
      clearInterval(timer)
      await (writing = writing.then(save))
    }
  }
}
