/** One job: what it is, its actions, steps, live log, artifacts, attempts and provenance. */
import { useEffect, useMemo } from 'react'
import { useAction, useDevq, useDevqContext } from '../app/context.tsx'
import { branchOf, duration, peerName, repoLabel, short } from '../app/format.ts'
import { hrefOf } from '../app/router.ts'
import { StatusBadge } from '../app/status.tsx'
import { Artifacts, Attempts, ProvenanceFacts, Steps } from './JobParts.tsx'
import { JobLog } from './JobLog.tsx'
import { PrioritySelect } from './PrioritySelect.tsx'
import { stepsOf } from './steps.ts'

const ENDED = new Set(['succeeded', 'failed', 'cancelled', 'skipped', 'superseded', 'cached'])
/** Statuses before any runner started the current attempt: no log yet. */
const NOT_STARTED = new Set(['waiting', 'queued', 'awarded', 'skipped', 'cached'])
const RETRYABLE = new Set(['failed', 'cancelled', 'superseded'])

function Actions ({ job }: { job: string }): React.JSX.Element | null {
  const { client } = useDevqContext()
  const act = useAction()
  const status = useDevq((s) => s.jobs[job]?.status)
  const priority = useDevq((s) => s.jobs[job]?.priority ?? s.queue.find((q) => q.id === job)?.priority)
  if (status === undefined) return null
  return (
    <div className="actions">
      {!ENDED.has(status) && <button type="button" onClick={() => { void act('cancelling', async () => { await client.cancelJob(job) }) }}>Cancel</button>}
      {RETRYABLE.has(status) && <button type="button" onClick={() => { void act('retrying', async () => { await client.retryJob(job) }) }}>Retry</button>}
      {!ENDED.has(status) && priority !== undefined && (
        <label>priority{' '}
          <PrioritySelect job={job} priority={priority} />
        </label>
      )}
    </div>
  )
}

function Header ({ job }: { job: string }): React.JSX.Element {
  const line = useDevq((s) => s.jobs[job])
  const detail = useDevq((s) => s.details[job])
  if (line === undefined) return <h1>Job {short(job)}</h1>
  return (
    <>
      <h1 id="job-title" data-job={job}>{line.pipelineJob} <StatusBadge status={line.status} /></h1>
      <p className="summary">
        {repoLabel(line.repo, line.repoName)} {branchOf(line.ref)} <span className="mono">{short(line.commit)}</span>
        {line.run !== undefined && <> · <a href={hrefOf({ view: 'run', run: line.run })}>run</a></>}
        {' '}· attempt {line.attempt}
        {line.runner !== undefined && <> · on {peerName(line.runner)}</>}
        {line.durationMs !== undefined && <> · {duration(line.durationMs)}</>}
        {line.flaky === true && <> · <span className="tag flaky">flaky</span></>}
      </p>
      {detail?.job.cancelReason !== undefined && <p>Cancelled: {detail.job.cancelReason}</p>}
      {detail?.job.skippedBecause !== undefined && <p>Skipped: {detail.job.skippedBecause}</p>}
      {line.failure !== undefined && <p className="failure">Failed: {line.failure}</p>}
    </>
  )
}

export function JobView ({ job, attempt }: { job: string, attempt?: number | undefined }): React.JSX.Element {
  const { feed } = useDevqContext()
  useEffect(() => feed.watchJob(job), [feed, job])
  const current = useDevq((s) => s.jobs[job]?.attempt ?? s.details[job]?.job.attempt)
  const detail = useDevq((s) => s.details[job])
  const shown = attempt ?? current ?? 1
  const status = useDevq((s) => s.jobs[job]?.status)
  const started = shown < (current ?? 1) || (status !== undefined && !NOT_STARTED.has(status)) || (detail?.attempts.some((a) => a.n === shown && a.startedAt !== undefined) ?? false)
  const log = useDevq((s) => s.logs[`${job}:${shown}`]?.snapshot)
  const steps = useMemo(() => (log === undefined ? [] : stepsOf(log, log.ended)), [log])
  return (
    <section aria-labelledby="job-title" className="job">
      <Header job={job} />
      <Actions job={job} />
      <h2>Steps</h2>
      <Steps steps={steps} />
      <h2>Log{shown !== current && current !== undefined ? ` of attempt ${shown}` : ''}</h2>
      {started || log !== undefined ? <JobLog job={job} attempt={shown} /> : <p className="muted">The log starts when a runner starts the job.</p>}
      <h2>Artifacts</h2>
      {detail === undefined ? <p className="muted">Loading…</p> : <Artifacts artifacts={detail.artifacts} />}
      <h2>Attempts</h2>
      {detail === undefined ? <p className="muted">Loading…</p> : <Attempts attempts={detail.attempts} job={job} shown={shown} />}
      <h2>Provenance</h2>
      {detail === undefined ? <p className="muted">Loading…</p> : <ProvenanceFacts p={detail.provenance} />}
    </section>
  )
}
