/** The job page's live log: follows the attempt's log into the store and shows it. */
import { useEffect } from 'react'
import { useDevq, useDevqContext } from '../app/context.tsx'

export function JobLog ({ job, attempt, jump }: { job: string, attempt: number, jump: { line: number } | undefined }): React.JSX.Element {
  const { feed } = useDevqContext()
  useEffect(() => feed.followLog(job, attempt), [feed, job, attempt])
  const version = useDevq((s) => s.logs[`${job}:${attempt}`]?.version ?? 0)
  const entry = useDevq((s) => s.logs[`${job}:${attempt}`])
  void jump
  return <pre className="log" aria-label="log" data-version={version}>{entry?.lines.slice(-200).join('\n')}</pre>
}
