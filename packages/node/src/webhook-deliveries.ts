/**
 * The last webhook deliveries and what became of each, so a user can see why a push did not build
 * (`GET /v1/webhook/deliveries`). In memory only: a restart starts an empty list.
 */
import { randomBytes } from 'node:crypto'
import type { Forge } from './webhook-signature.ts'

/** Where a delivery stands. `refused` and `ignored` are final at once; a push goes queued -> fetching -> announced | failed, or is superseded while it waits. */
export type DeliveryStatus = 'refused' | 'ignored' | 'queued' | 'superseded' | 'fetching' | 'announced' | 'failed'

/** One delivery as the list shows it. Never holds a secret or a URL's credentials. */
export interface Delivery {
  /** This node's id of the delivery (16 hex digits), as the 202 answer names it. */
  id: string
  /** The forge's own id of it (`X-GitHub-Delivery`, `X-Gitea-Delivery`, `X-Gitlab-Event-UUID`), when sent. */
  forgeDelivery?: string
  /** Local wall ms it arrived, and of its last change. */
  receivedAt: number
  updatedAt: number
  forge?: Forge
  event?: string
  status: DeliveryStatus
  /** HTTP status the webhook answered with. */
  answer: number
  /** Why it was refused, ignored, superseded or failed. */
  detail?: string
  repository?: string
  ref?: string
  commit?: string
  /** The run announced for it, and its jobs. */
  run?: string
  jobs?: string[]
}

/** Fields a delivery starts with. */
export type NewDelivery = Omit<Delivery, 'id' | 'receivedAt' | 'updatedAt'>

/** The list; not shared across processes. */
export interface DeliveryLog {
  /** Records a delivery (the oldest goes once `keep` are held) and returns it with its id. */
  add(delivery: NewDelivery): Delivery
  /** Changes a delivery still held; a dropped one is left alone. */
  update(id: string, change: Partial<NewDelivery>): void
  /** Newest first. */
  list(): Delivery[]
}

/** Longest `detail` kept, in characters. */
const MAX_DETAIL_CHARS = 2000

export function createDeliveryLog (components: { now: () => number }, init: { keep: number }): DeliveryLog {
  const held = new Map<string, Delivery>()
  const clip = <D extends Partial<NewDelivery>>(d: D): D => d.detail === undefined ? d : { ...d, detail: d.detail.slice(0, MAX_DETAIL_CHARS) }
  return {
    add (delivery) {
      const at = components.now()
      const entry: Delivery = { id: randomBytes(8).toString('hex'), receivedAt: at, updatedAt: at, ...clip(delivery) }
      held.set(entry.id, entry)
      for (const id of held.keys()) {
        if (held.size <= init.keep) break
        held.delete(id)
      }
      return entry
    },
    update (id, change) {
      const entry = held.get(id)
      if (entry !== undefined) Object.assign(entry, clip(change), { updatedAt: components.now() })
    },
    list: () => [...held.values()].reverse().map((d) => ({ ...d }))
  }
}
