/**
 * How many jobs this peer runs at once and which labels it offers, changeable while it runs
 * (`POST /v1/settings`). A change applies at once: the scheduler's next pass bids by it and a
 * heartbeat carries it to the peers (node.ts listens). Attempts already running go on.
 */
import type { Scheduler } from '@devq/core'

/** Slots and labels as the settings spell them; an unset one stays as it is. */
export interface CapacitySettings {
  slots?: number
  labels?: readonly string[]
}

/** This peer's slots and labels now. One instance per node; calls are synchronous and idempotent. */
export interface Capacity {
  /** Jobs it runs at once. */
  slots(): number
  /** The labels the settings give it, without the `devq:` ones DevQ adds itself. */
  labels(): string[]
  /**
   * Changes slots and labels at once (values already checked against the config schema), then
   * tells the listeners. Fewer slots than attempts running stops none of them: the peer bids
   * again once the running ones fit.
   */
  set(change: CapacitySettings): void
  /** Calls `listener` after each change (to send a heartbeat and run a pass now). */
  onChanged(listener: () => void): () => void
}

/** The labels a peer offers: the settings' and DevQ's own (`devq:sandbox` where steps can be sandboxed), once each. */
export function offeredLabels (labels: readonly string[], own: readonly string[]): string[] {
  return [...new Set([...labels, ...own])]
}

/** Creates the capacity of the peer whose scheduler is `scheduler`, starting at `init`; `own` are DevQ's labels for it. */
export function createCapacity (components: { scheduler: Scheduler }, init: { slots: number, labels: readonly string[], own: readonly string[] }): Capacity {
  let slots = init.slots
  let labels = [...init.labels]
  const listeners = new Set<() => void>()
  return {
    slots: () => slots,
    labels: () => [...labels],
    set (change) {
      slots = change.slots ?? slots
      labels = change.labels === undefined ? labels : [...change.labels]
      components.scheduler.setCapacity({ slots, labels: offeredLabels(labels, init.own) })
      for (const listener of listeners) listener()
    },
    onChanged (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
}
