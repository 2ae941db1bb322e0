/** Every peer as a tile: state, slots, load, labels, share mode, current jobs and version. */
import { useShallow } from 'zustand/react/shallow'
import type { PeerRow } from '../api/types.ts'
import { useDevq } from '../app/context.tsx'
import { peerName } from '../app/format.ts'
import { hrefOf } from '../app/router.ts'
import { StatusBadge } from '../app/status.tsx'
import { gridOrder } from '../store/peers.ts'

function Slots ({ slots }: { slots: { used: number, total: number } }): React.JSX.Element {
  return (
    <div className="slots" role="meter" aria-label="slots used" aria-valuemin={0} aria-valuemax={slots.total} aria-valuenow={slots.used}>
      {Array.from({ length: Math.min(slots.total, 32) }, (_, i) => <span key={i} className={i < slots.used ? 'slot used' : 'slot'} />)}
      <span className="slots-text">{slots.used} used, {slots.total - slots.used} free</span>
    </div>
  )
}

function CurrentJobs ({ ids }: { ids: string[] }): React.JSX.Element {
  const names = useDevq(useShallow((s) => ids.map((id) => s.jobs[id]?.pipelineJob ?? id.slice(0, 8))))
  if (ids.length === 0) return <p className="muted">no job</p>
  return (
    <ul className="current">
      {ids.map((id, i) => <li key={id}><a href={hrefOf({ view: 'job', job: id })}>{names[i]}</a></li>)}
    </ul>
  )
}

function Tile ({ peer }: { peer: PeerRow }): React.JSX.Element {
  return (
    <li className={`tile tile-${peer.state}`} aria-label={`peer ${peerName(peer.id)}${peer.self ? ' (this peer)' : ''}: ${peer.state}`} data-peer={peer.id}>
      <div className="tile-head">
        <span className="peer-name" title={peer.id}>{peerName(peer.id)}</span>
        {peer.self && <span className="tag self-tag">this peer</span>}
        <StatusBadge status={peer.state} />
      </div>
      {peer.slots !== undefined && <Slots slots={peer.slots} />}
      <dl className="facts">
        {peer.load !== undefined && <><dt>load</dt><dd>{peer.load.toFixed(2)}</dd></>}
        {peer.shareMode !== undefined && <><dt>lends</dt><dd>{peer.shareMode}</dd></>}
        {peer.role !== undefined && <><dt>role</dt><dd>{peer.role}</dd></>}
        {peer.version !== undefined && <><dt>version</dt><dd>{peer.version}</dd></>}
        {peer.heardMsAgo !== undefined && peer.state === 'offline' && <><dt>last heard</dt><dd>{Math.round(peer.heardMsAgo / 1000)} s ago</dd></>}
      </dl>
      {peer.labels !== undefined && peer.labels.length > 0 && (
        <ul className="labels" aria-label="labels">{peer.labels.map((l) => <li key={l} className="tag">{l}</li>)}</ul>
      )}
      <CurrentJobs ids={peer.jobs} />
    </li>
  )
}

export function GridView (): React.JSX.Element {
  const peers = useDevq(useShallow((s) => gridOrder(s.peers)))
  const counts = { busy: 0, idle: 0, draining: 0, offline: 0 }
  for (const p of peers) counts[p.state]++
  return (
    <section aria-labelledby="grid-title">
      <h1 id="grid-title">Grid</h1>
      <p className="summary">{peers.length} peers: {counts.busy} busy, {counts.idle} idle, {counts.draining} draining, {counts.offline} offline</p>
      <ul className="grid" aria-label="peers">
        {peers.map((p) => <Tile key={p.id} peer={p} />)}
      </ul>
    </section>
  )
}
