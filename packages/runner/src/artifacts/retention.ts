/**
 * Which blobs to evict: least recently used first, never a pinned one, and no more than needed to
 * bring the store's total within its budget. Pure, so the rule is property-tested on its own.
 */

/** One stored blob as retention sees it. `usedAt` is milliseconds on the store's clock; higher is more recent. */
export interface BlobUse {
  digest: string
  size: number
  usedAt: number
}

/**
 * The blobs to remove, oldest use first. Ties in `usedAt` fall to the lower digest, so the plan is
 * the same whatever order `blobs` comes in. When the pinned blobs alone exceed the budget, every
 * unpinned blob is in the plan and the total stays over budget.
 */
export function planEviction (blobs: readonly BlobUse[], budgetBytes: number, pinned: ReadonlySet<string>): BlobUse[] {
  let total = 0
  for (const b of blobs) total += b.size
  const order = [...blobs].sort((a, b) => a.usedAt - b.usedAt || (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0))
  const victims: BlobUse[] = []
  for (const b of order) {
    if (total <= budgetBytes) break
    if (pinned.has(b.digest)) continue
    victims.push(b)
    total -= b.size
  }
  return victims
}
