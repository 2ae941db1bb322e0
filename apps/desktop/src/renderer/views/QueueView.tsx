/** Queued jobs in schedule order: priority, wait, position, estimated start; change priority, cancel. */
import { useShallow } from 'zustand/react/shallow'
import type { QueueRow } from '../api/types.ts'
import { useAction, useDevq, useDevqContext, useNow } from '../app/context.tsx'
import { duration, short } from '../app/format.ts'
import { hrefOf } from '../app/router.ts'
import { PrioritySelect } from './PrioritySelect.tsx'

function Row ({ row, elapsed }: { row: QueueRow, elapsed: number }): React.JSX.Element {
  const { client } = useDevqContext()
  const act = useAction()
  const job = useDevq((s) => s.jobs[row.id])
  const name = `${row.pipelineJob} (${short(row.id)})`
  return (
    <tr data-job={row.id}>
      <td>{row.position}</td>
      <td><a href={hrefOf({ view: 'job', job: row.id })}>{row.pipelineJob}</a> <span className="muted">{short(row.id)}</span></td>
      <td>{job?.repoName ?? short(row.repo)}</td>
      <td>
        <PrioritySelect job={row.id} priority={row.priority} label={`priority of ${name}`} />
      </td>
      <td>{duration(row.waitMs + elapsed)}</td>
      <td>{startText(row.startsInMs, elapsed)}</td>
      <td>{row.attempt}</td>
      <td><button type="button" aria-label={`cancel ${name}`} onClick={() => { void act('cancelling', async () => { await client.cancelJob(row.id) }) }}>Cancel</button></td>
    </tr>
  )
}

/** The estimate counted down since the status view came; `soon` once it has passed. */
function startText (startsInMs: number | null, elapsed: number): string {
  if (startsInMs === null) return 'unknown'
  if (startsInMs === 0) return 'next'
  const left = startsInMs - elapsed
  return left <= 0 ? 'soon' : `in ${duration(left)}`
}

export function QueueView (): React.JSX.Element {
  const { queue, waiting, statusAt } = useDevq(useShallow((s) => ({ queue: s.queue, waiting: s.waiting, statusAt: s.statusAt })))
  const elapsed = Math.max(0, useNow() - statusAt)
  return (
    <section aria-labelledby="queue-title">
      <h1 id="queue-title">Queue</h1>
      <p className="summary">{queue.length} queued{waiting > 0 ? `, ${waiting} waiting for jobs they need` : ''}</p>
      {queue.length === 0
        ? <p className="muted">Nothing is waiting for a runner.</p>
        : (
          <table>
            <caption className="sr-only">queued jobs in the order they will start</caption>
            <thead><tr><th scope="col">#</th><th scope="col">job</th><th scope="col">repo</th><th scope="col">priority</th><th scope="col">waiting</th><th scope="col">starts</th><th scope="col">attempt</th><th scope="col"><span className="sr-only">actions</span></th></tr></thead>
            <tbody>{queue.map((r) => <Row key={r.id} row={r} elapsed={elapsed} />)}</tbody>
          </table>
          )}
    </section>
  )
}
