/**
 * This peer's own chain across a lost store. A peer that has written events and then starts with a
 * ledger holding none of them (the store was deleted or moved aside) must not write seq 1 again:
 * that second seq 1 is an equivocation, and every peer would ignore all it writes from then on.
 * A marker outside the ledger's directory remembers that it wrote; until sync brings its own chain
 * back, its appends are refused.
 */
import { readFile } from 'node:fs/promises'
import type { DecodedEvent, Logger } from '@devq/core'
import { dataPath } from './paths.ts'
import { writePrivateFile } from './private-file.ts'

/** Guards one peer's appends; see the module comment. */
export interface OwnChainGuard {
  /** For `LedgerInit.mayAppend`: a reason while this peer's own chain is missing, else undefined. */
  mayAppend(peerId: string, headSeq: number): string | undefined
  /** Records that this peer has written (once), after its own events were accepted. */
  observe(events: readonly DecodedEvent[]): void
  /** Records it from the head seq of this peer's chain as the ledger opened with it. */
  noteHead(headSeq: number): void
  /** Whether this peer wrote before this start (the marker existed). */
  readonly wroteBefore: boolean
}

/** Reads the marker in `dataDir`; call before opening the ledger. */
export async function createOwnChainGuard ({ logger }: { logger: Logger }, { dataDir, peerId }: { dataDir: string, peerId: string }): Promise<OwnChainGuard> {
  const path = dataPath(dataDir, 'ownChain')
  // The marker names the peer, so a new peer key in the same directory starts a chain of its own.
  const wroteBefore = (await readFile(path, 'utf8').catch(() => '')).trim() === peerId
  let marked = wroteBefore
  let warned = false
  return {
    wroteBefore,
    mayAppend (author, headSeq) {
      if (author !== peerId || !wroteBefore || headSeq > 0) return undefined
      if (!warned) logger.warn({ marker: path }, 'this peer wrote events before but its ledger holds none: waiting for sync to bring them back before writing')
      warned = true
      return 'this peer wrote events before but its ledger holds none of them yet; it writes again once sync has brought them back from a peer (a peer alone in its team gets them back only by moving its ledger.corrupt-* store back to ledger)'
    },
    observe (events) {
      if (!marked && events.some((e) => e.event.author === peerId)) mark()
    },
    noteHead (headSeq) {
      if (!marked && headSeq > 0) mark()
    }
  }
  function mark (): void {
    marked = true
    writePrivateFile(path, `${peerId}\n`).catch((err: unknown) => {
      marked = false
      logger.warn({ err, marker: path }, 'could not record that this peer has written events')
    })
  }
}
