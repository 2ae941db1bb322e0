/** Every job this node knows, filtered by repo, branch, author and status; jobs passed on retry are marked flaky. */
import { useMemo, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { JobStatus } from '../api/types.ts'
import { useDevq } from '../app/context.tsx'
import { ago, branchOf, duration, peerName, repoLabel, short } from '../app/format.ts'
import { hrefOf } from '../app/router.ts'
import { StatusBadge } from '../app/status.tsx'
import { newestFirst } from '../store/jobs.ts'
import type { JobEntry } from '../store/state.ts'

/** Rows drawn at most; the filters narrow the rest. */
const SHOWN = 300

interface Filters { repo: string, branch: string, author: string, status: string }

function Select ({ label, value, options, onChange }: { label: string, value: string, options: string[], onChange: (v: string) => void }): React.JSX.Element {
  return (
    <label>{label}{' '}
      <select value={value} onChange={(e) => { onChange(e.target.value) }}>
        <option value="">any</option>
        {options.map((o) => <option key={o} value={o}>{o}</option>)}
      </select>
    </label>
  )
}

const distinct = (values: (string | undefined)[]): string[] => [...new Set(values.filter((v): v is string => v !== undefined && v !== ''))].sort()

export function HistoryView (): React.JSX.Element {
  const jobs = useDevq(useShallow((s) => newestFirst(s.jobs)))
  const authors = useDevq(useShallow((s) => jobs.map((j) => (j.run === undefined ? undefined : s.runs[j.run]?.author))))
  const [f, setF] = useState<Filters>({ repo: '', branch: '', author: '', status: '' })
  const rows = useMemo(() => jobs.map((j, i) => ({ job: j, author: authors[i], repo: repoLabel(j.repo, j.repoName), branch: branchOf(j.ref) })), [jobs, authors])
  const shown = rows.filter((r) => (f.repo === '' || r.repo === f.repo) && (f.branch === '' || r.branch === f.branch) &&
    (f.author === '' || r.author === f.author) && (f.status === '' || (f.status === 'flaky' ? r.job.flaky === true : r.job.status === f.status as JobStatus)))
  const set = (k: keyof Filters) => (v: string) => { setF({ ...f, [k]: v }) }
  return (
    <section aria-labelledby="history-title">
      <h1 id="history-title">History</h1>
      <form className="filters" aria-label="filters" onSubmit={(e) => { e.preventDefault() }}>
        <Select label="repo" value={f.repo} options={distinct(rows.map((r) => r.repo))} onChange={set('repo')} />
        <Select label="branch" value={f.branch} options={distinct(rows.map((r) => r.branch))} onChange={set('branch')} />
        <Select label="author" value={f.author} options={distinct(rows.map((r) => r.author))} onChange={set('author')} />
        <Select label="status" value={f.status} options={[...distinct(rows.map((r) => r.job.status)), 'flaky']} onChange={set('status')} />
      </form>
      <p className="summary">{shown.length} of {rows.length} jobs{shown.length > SHOWN ? `, the newest ${SHOWN} shown` : ''}</p>
      <table>
        <thead><tr><th scope="col">status</th><th scope="col">job</th><th scope="col">repo, branch</th><th scope="col">author</th><th scope="col">runner</th><th scope="col">took</th><th scope="col">announced</th></tr></thead>
        <tbody>{shown.slice(0, SHOWN).map((r) => <Row key={r.job.id} job={r.job} author={r.author} repo={r.repo} branch={r.branch} />)}</tbody>
      </table>
    </section>
  )
}

function Row ({ job, author, repo, branch }: { job: JobEntry, author: string | undefined, repo: string, branch: string }): React.JSX.Element {
  return (
    <tr data-job={job.id}>
      <td><StatusBadge status={job.status} />{job.flaky === true && <span className="tag flaky" title="passed on a retry after a failed attempt">flaky</span>}</td>
      <td><a href={hrefOf({ view: 'job', job: job.id })}>{job.pipelineJob}</a> <span className="muted mono">{short(job.commit)}</span></td>
      <td>{repo}<div className="muted">{branch}</div></td>
      <td>{author ?? ''}</td>
      <td>{job.runner === undefined ? '' : peerName(job.runner)}</td>
      <td>{job.durationMs === undefined ? '' : duration(job.durationMs)}</td>
      <td>{ago(job.announcedAt)}</td>
    </tr>
  )
}
