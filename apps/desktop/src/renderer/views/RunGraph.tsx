/** A run's jobs as a small graph: stages left to right by `needs`, each job its status in colour and text. */
import { useEffect } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { JobStatus } from '../api/types.ts'
import { useDevq, useDevqContext } from '../app/context.tsx'
import { hrefOf } from '../app/router.ts'
import { StatusDot } from '../app/status.tsx'
import { stagesOf } from './run-graph.ts'

/** Runs whose detail is being read, so many rows ask once each. */
const asked = new Set<string>()

/** Loads a run's detail once when the store has none (its needs never change). */
export function useRunDetail (run: string): void {
  const { client, store } = useDevqContext()
  const have = useDevq((s) => s.runDetails[run] !== undefined)
  useEffect(() => {
    if (have || asked.has(run)) return
    asked.add(run)
    client.run(run).then((d) => { store.getState().runDetailLoaded(d) }, () => {}).finally(() => { asked.delete(run) })
  }, [client, store, run, have])
}

export function RunGraph ({ run, compact = false }: { run: string, compact?: boolean }): React.JSX.Element | null {
  useRunDetail(run)
  const jobs = useDevq(useShallow((s) => s.runDetails[run]?.jobs))
  const statuses = useDevq(useShallow((s) => (s.runDetails[run]?.jobs ?? []).map((j) => s.jobs[j.id]?.status ?? j.status)))
  if (jobs === undefined) return <span className="muted">…</span>
  const status = new Map<string, JobStatus>(jobs.map((j, i) => [j.id, statuses[i]!]))
  const stages = stagesOf(jobs)
  return (
    <ol className={compact ? 'graph compact' : 'graph'} aria-label="jobs by stage">
      {stages.map((stage, i) => (
        <li key={i} className="stage">
          <ul>
            {stage.map((j) => (
              <li key={j.id} className="graph-job">
                <a href={hrefOf({ view: 'job', job: j.id })}>
                  <StatusDot status={status.get(j.id)!} name={j.pipelineJob} />
                  {!compact && <span className="graph-name">{j.pipelineJob} <span className={`status-text status-${status.get(j.id)!}`}>{status.get(j.id)}</span></span>}
                </a>
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ol>
  )
}
