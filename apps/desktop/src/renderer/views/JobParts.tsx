/** The job page's sections besides the log: steps, artifacts, attempts and provenance. */
import { useState } from 'react'
import type { ArtifactRow, AttemptRow, Provenance } from '../api/types.ts'
import { useAction, useDevqContext } from '../app/context.tsx'
import { bytes, duration, peerName } from '../app/format.ts'
import type { StepRow } from './steps.ts'

export function Steps ({ steps }: { steps: StepRow[] }): React.JSX.Element {
  if (steps.length === 0) return <p className="muted">No step has started.</p>
  return (
    <ol className="steps" aria-label="steps">
      {steps.map((s) => (
        <li key={`${s.line}`} className={`step step-${s.status.replace(' ', '-')}`}>
          <span className="step-name">{s.name}</span>
          <span className="muted">line {s.line}</span>
          <span className={`status status-${s.status === 'timed out' ? 'failed' : s.status === 'stopped' ? 'cancelled' : s.status}`}>{s.status}</span>
          {s.seconds !== undefined && <span className="muted">{duration(s.seconds * 1000)}</span>}
          {s.detail !== undefined && <span className="step-detail">{s.detail}</span>}
        </li>
      ))}
    </ol>
  )
}

function CopyLine ({ text, label }: { text: string, label: string }): React.JSX.Element {
  const [copied, setCopied] = useState(false)
  return (
    <span className="copy-line">
      <code>{text}</code>
      <button type="button" aria-label={label} onClick={() => { void navigator.clipboard?.writeText(text).then(() => { setCopied(true) }, () => {}) }}>{copied ? 'Copied' : 'Copy'}</button>
    </span>
  )
}

export function Artifacts ({ artifacts }: { artifacts: ArtifactRow[] }): React.JSX.Element {
  const { client } = useDevqContext()
  const act = useAction()
  if (artifacts.length === 0) return <p className="muted">No artifacts.</p>
  return (
    <table aria-label="artifacts">
      <thead><tr><th scope="col">name</th><th scope="col">kind</th><th scope="col">size</th><th scope="col">sha256</th><th scope="col"><span className="sr-only">download</span></th></tr></thead>
      <tbody>
        {artifacts.map((a) => (
          <tr key={a.digest} data-digest={a.digest}>
            <td>{a.name}</td>
            <td>{a.kind}</td>
            <td>{bytes(a.size)}</td>
            <td className="mono digest">{a.digest.replace(/^sha256:/, '')}<div><CopyLine text={`devq pull ${a.digest} -o ./artifacts`} label={`copy the devq pull line for ${a.name}`} /></div></td>
            <td><button type="button" onClick={() => { void act('downloading', async () => { await client.downloadArtifact(a.digest, a.file ?? a.name) }) }} aria-label={`download ${a.name}`}>Download</button></td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function Attempts ({ attempts, job, shown }: { attempts: AttemptRow[], job: string, shown: number }): React.JSX.Element {
  if (attempts.length === 0) return <p className="muted">Not awarded to a runner yet.</p>
  return (
    <table aria-label="attempts">
      <thead><tr><th scope="col">attempt</th><th scope="col">runner</th><th scope="col">outcome</th><th scope="col">took</th><th scope="col">reason</th></tr></thead>
      <tbody>
        {attempts.map((a) => (
          <tr key={a.n} aria-current={a.n === shown ? 'true' : undefined}>
            <td><a href={`#/jobs/${encodeURIComponent(job)}/${a.n}`}>{a.n}</a></td>
            <td title={a.runner}>{peerName(a.runner)}</td>
            <td>{a.outcome === undefined ? <span className="status status-running">{a.startedAt === undefined ? 'awarded' : 'running'}</span> : <span className={`status status-${a.outcome}`}>{a.outcome}</span>}</td>
            <td>{a.durationMs === undefined ? '' : duration(a.durationMs)}</td>
            <td>{[a.failure, a.reason, a.exitCode === undefined || a.exitCode === null || a.exitCode === 0 ? undefined : `exit code ${a.exitCode}`].filter((x) => x !== undefined).join('; ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function ProvenanceFacts ({ p }: { p: Provenance }): React.JSX.Element {
  const rows: [string, string | undefined][] = [
    ['origin', p.origin], ['repo', p.repo], ['ref', p.ref], ['commit', p.commit], ['tree', p.tree], ['runner', p.runner],
    ['labels', p.inputs.labels.join(', ') || 'none'], ['priority', p.inputs.priority], ['timeout', duration(p.inputs.timeoutMs)],
    ['retry', `${p.inputs.retry.max} × on ${p.inputs.retry.when.join(', ') || 'nothing'}`], ['sensitive', p.inputs.sensitive ? 'yes' : 'no'],
    ['workspace', p.inputs.workspace], ['env', p.inputs.envKeys?.join(', ')], ['secrets', p.inputs.secrets?.join(', ')],
    ['cache key', p.cacheKey], ['reused from', p.cachedFrom], ['log digest', p.logDigest ?? undefined]
  ]
  return (
    <dl className="provenance">
      {rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => <div key={k}><dt>{k}</dt><dd className="mono">{v}</dd></div>)}
    </dl>
  )
}
