/**
 * Following logs over the event stream: one subscription per job (the node's rule), renewed from
 * the byte the store holds after every reconnect, so a log resumes without repeating or losing a line.
 */
import type { EventConnection } from '../api/client.ts'
import type { ServerMessage } from '../api/types.ts'
import type { DevqStore } from './store.ts'

export interface LogsFollower {
  follow: (job: string, attempt: number) => () => void
  resubscribe: () => void
  message: (m: Extract<ServerMessage, { type: 'log.appended' | 'log.ended' | 'error' }>) => void
}

export function logsFollower (store: DevqStore, connection: () => EventConnection | undefined): LogsFollower {
  /** The attempt followed per job. */
  const followed = new Map<string, number>()

  const subscribe = (job: string, attempt: number): void => {
    const snap = store.getState().logs[`${job}:${attempt}`]?.snapshot
    if (snap?.ended === true) return
    connection()?.send({ subscribe: { logs: job, attempt, from: snap?.end ?? 0 } })
  }

  return {
    follow: (job, attempt) => {
      const before = followed.get(job)
      if (before !== undefined && before !== attempt) connection()?.send({ unsubscribe: { logs: job } })
      followed.set(job, attempt)
      store.getState().logOpened(job, attempt)
      if (before !== attempt) subscribe(job, attempt)
      return () => {
        if (followed.get(job) !== attempt) return
        followed.delete(job)
        connection()?.send({ unsubscribe: { logs: job } })
      }
    },
    resubscribe: () => { for (const [job, attempt] of followed) subscribe(job, attempt) },
    message: (m) => {
      const s = store.getState()
      if (m.type === 'log.appended') s.logAppended(m)
      else if (m.type === 'log.ended') {
        s.logEnded(m)
        if (followed.get(m.job) === m.attempt) followed.delete(m.job)
      } else if (m.error.data.status !== 409) {
        // A 409 is a log already followed on this connection: nothing is wrong.
        const job = typeof m.error.data.job === 'string' ? m.error.data.job : [...followed.keys()].at(-1)
        if (job !== undefined) s.logFailed(job, followed.get(job) ?? 0, m.error.message)
      }
    }
  }
}
