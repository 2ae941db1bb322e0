/** The job page's live log: follows the attempt's log into the store and shows it in the log view. */
import { useEffect } from 'react'
import { useAction, useDevq, useDevqContext } from '../app/context.tsx'
import { LogView } from '../log/index.ts'

export function JobLog ({ job, attempt }: { job: string, attempt: number }): React.JSX.Element {
  const { feed, client, store } = useDevqContext()
  const act = useAction()
  useEffect(() => feed.followLog(job, attempt), [feed, job, attempt])
  const snapshot = useDevq((s) => s.logs[`${job}:${attempt}`]?.snapshot)
  const error = useDevq((s) => s.logs[`${job}:${attempt}`]?.error)
  const ended = snapshot?.ended === true
  useEffect(() => {
    // The node's outline has the groups' collapsed flags; it is final once the log ended.
    if (ended) client.outline(job, attempt).then((o) => { store.getState().outlineLoaded(o) }, () => {})
  }, [client, store, job, attempt, ended])
  if (snapshot === undefined) return <p className="muted">Opening the log…</p>
  return (
    <>
      {error !== undefined && <p className="failure" role="alert">The log could not be followed: {error}</p>}
      <div className="job-log">
        <LogView buffer={snapshot} onDownload={() => { void act('downloading the log', async () => { await client.downloadLog(job, attempt) }) }} />
      </div>
    </>
  )
}
