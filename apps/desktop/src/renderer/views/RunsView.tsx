/** One row per commit (repo, branch, message, author, its jobs as a graph), and a run's own page. */
import { useEffect } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { RunLine } from '../api/types.ts'
import { useAction, useDevq, useDevqContext } from '../app/context.tsx'
import { ago, branchOf, duration, peerName, repoLabel, short } from '../app/format.ts'
import { hrefOf } from '../app/router.ts'
import { StatusBadge } from '../app/status.tsx'
import { runsNewestFirst } from '../store/runs.ts'
import { RunGraph } from './RunGraph.tsx'

/** Runs listed at most; older ones are in History. */
const SHOWN = 50

function RetryFailed ({ run }: { run: RunLine }): React.JSX.Element | null {
  const { client } = useDevqContext()
  const act = useAction()
  if (run.jobs.failed + run.jobs.cancelled === 0) return null
  return <button type="button" onClick={() => { void act('retrying', async () => { await client.retryRun(run.run) }) }} aria-label={`re-run failed jobs of ${short(run.commit)}`}>Re-run failed</button>
}

function Row ({ run }: { run: RunLine }): React.JSX.Element {
  return (
    <tr data-run={run.run}>
      <td><StatusBadge status={run.status} /></td>
      <td><a href={hrefOf({ view: 'run', run: run.run })}>{run.subject ?? short(run.commit)}</a><div className="muted mono">{short(run.commit)}</div></td>
      <td>{repoLabel(run.repo, run.repoName)}<div className="muted">{branchOf(run.ref)}</div></td>
      <td>{run.author ?? <span className="muted">unknown</span>}</td>
      <td><RunGraph run={run.run} compact /></td>
      <td>{ago(run.announcedAt)}</td>
      <td><RetryFailed run={run} /></td>
    </tr>
  )
}

export function RunsView (): React.JSX.Element {
  const runs = useDevq(useShallow((s) => runsNewestFirst(s.runs).slice(0, SHOWN)))
  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      {runs.length === 0
        ? <p className="muted">No runs yet. Commit in a repository with the DevQ hook (devq hook install) and its pipeline shows here.</p>
        : (
          <table>
            <thead><tr><th scope="col">status</th><th scope="col">commit</th><th scope="col">repo, branch</th><th scope="col">author</th><th scope="col">jobs</th><th scope="col">announced</th><th scope="col"><span className="sr-only">actions</span></th></tr></thead>
            <tbody>{runs.map((r) => <Row key={r.run} run={r} />)}</tbody>
          </table>
          )}
    </section>
  )
}

export function RunView ({ run }: { run: string }): React.JSX.Element {
  const { feed } = useDevqContext()
  useEffect(() => feed.watchRun(run), [feed, run])
  const line = useDevq((s) => s.runs[run] ?? s.runDetails[run]?.run)
  const jobs = useDevq(useShallow((s) => (s.runDetails[run]?.jobs ?? []).map((j) => s.jobs[j.id] ?? j)))
  if (line === undefined) return <section><h1>Run {short(run)}</h1><p className="muted">Loading…</p></section>
  return (
    <section aria-labelledby="run-title">
      <h1 id="run-title">{line.subject ?? `Run ${short(run)}`}</h1>
      <p className="summary"><StatusBadge status={line.status} /> {repoLabel(line.repo, line.repoName)} {branchOf(line.ref)} <span className="mono">{short(line.commit)}</span> {line.author !== undefined && `by ${line.author}`} <RetryFailed run={line} /></p>
      <RunGraph run={run} />
      <table>
        <thead><tr><th scope="col">job</th><th scope="col">status</th><th scope="col">runner</th><th scope="col">attempt</th><th scope="col">time</th></tr></thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.id} data-job={j.id}>
              <td><a href={hrefOf({ view: 'job', job: j.id })}>{j.pipelineJob}</a></td>
              <td><StatusBadge status={j.status} /></td>
              <td>{j.runner === undefined ? '' : peerName(j.runner)}</td>
              <td>{j.attempt}</td>
              <td>{j.durationMs === undefined ? '' : duration(j.durationMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
